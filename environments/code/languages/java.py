"""Java: Maven builds and runs the tests as root, Surefire's forked test JVM runs as uid 1000.

Sits in the language layer (`_base.py`). Detect: pom.xml (single-module Maven projects; Gradle is
not driven yet). Toolchain: Debian's default-jdk-headless, maven and maven-debian-helper (the
Surefire, compiler, resources and jar plugins in /usr/share/maven-repo) with junit4 and junit5.
Dependencies at environment build (host network): for a Debian source package (a `debian/` folder
with Maven rules), its Build-Depends Java packages from Debian, then the pom patched as Debian's own
build patches it (`mh_patchpoms --debian-build` against a copy of /usr/share/maven-repo), so Maven
resolves every artifact offline from Debian's repository; any other project resolves its
dependencies from its registry into /opt/synth/m2 (Maven Central on a user's machine).

Tests: one Maven process per reading, `test` run by root in the reading's root-owned copy with
annotation processing off (a build runs no project code), and Surefire's `jvm` set to a wrapper that
starts the forked test JVM as uid 1000 (`setpriv`, `env -i`). The JUnit XML is written by Maven (root)
into target/surefire-reports of the root-owned copy, which the test JVM cannot write; the root shell
then prints each report as one base64 line, so nothing a test prints can split or forge a report.
A fork that dies (System.exit, halt, a crash) makes Surefire say so in Maven's log, which the test
JVM never writes (its output goes to report files): the reading is then invalid. synth's canary test
(`SynthCanaryTest`, JUnit 4 or Jupiter after the project's tests) must fail with the run's nonce.
One test by id (`org.pkg.ClassTest::method`): `-Dtest=Class#m1+m2`.
"""

from __future__ import annotations

import base64
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

from ._base import CANARY, Case, Language, Plan, Process

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_TEST_METHOD = re.compile(r"@(?:org\.junit\.(?:jupiter\.api\.)?)?Test\b(?:\([^)]*\))?\s*(?:@\w+(?:\([^)]*\))?\s*)*"
                          r"(?:public\s+|protected\s+)?(?:final\s+)?void\s+(\w+)\s*\(")
CANARY_CLASS = "SynthCanaryTest"
CRASH = ("The forked VM terminated", "SurefireBooterForkException", "There was an error in the forked process",
         "ExecutionException", "Crashed tests", "VM crash or System.exit")
IGNORED_PLUGINS = ("maven-javadoc-plugin", "maven-source-plugin", "maven-gpg-plugin", "maven-site-plugin",
                   "maven-release-plugin", "maven-enforcer-plugin", "maven-checkstyle-plugin", "jacoco-maven-plugin",
                   "spotbugs-maven-plugin", "maven-jflex-plugin", "nexus-staging-maven-plugin", "animal-sniffer-maven-plugin",
                   "apache-rat-plugin", "maven-pmd-plugin", "maven-antrun-plugin", "exec-maven-plugin")
"""Plugins a test run does not need (documentation, signing, release, static checks, code
generation whose output is checked in, running programs): left out of the patched pom."""
MAVEN_PROPERTIES = ("-Dsurefire.redirectTestOutputToFile=true -Dmaven.test.failure.ignore=true -DskipTests=false "
                    "-Dmaven.test.skip=false -DfailIfNoTests=false -Dsurefire.failIfNoSpecifiedTests=false "
                    "-Dmaven.compiler.proc=none -DtrimStackTrace=false -Dsurefire.skipAfterFailureCount=0 "
                    "-DforkCount=1 -DreuseForks=true -Dsurefire.rerunFailingTestsCount=0")
"""Pinned on every reading (a -D property on the command line wins over a pom property, and the
pom itself is never the agent's: protected configuration)."""
MAVEN_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""Flags of the JVMs of a reading: C1 alone and the serial collector halve a reading (86 s -> 43 s for
json-simple's 73 tests, under load). Maven's JVM gets them through JAVA_TOOL_OPTIONS (both launchers
honour it), Surefire's fork on its wrapper's command line (the fork's environment is emptied)."""


class Java(Language):
    name = "java"
    runners = ("maven-surefire",)
    manifests = ("pom.xml",)
    packages = ("default-jdk-headless", "maven", "maven-debian-helper", "junit4", "junit5")
    extensions = (".java",)
    grammar = "tree_sitter_java"
    test_patterns = ("*Test.java", "*Tests.java", "*TestCase.java", "Test*.java")
    config_patterns = ("pom.xml", "*/pom.xml", ".mvn/*", "mvnw", "mvnw.cmd", "build.gradle", "build.gradle.kts",
                       "settings.gradle", "settings.gradle.kts", "gradle.properties", "gradlew", "junit-platform.properties",
                       "*/junit-platform.properties", ".synth*")
    test_dirs = frozenset({"test", "tests", "testdata"})
    tamper_rules = (
        ("process exit (System.exit, Runtime.exit/halt, shutdown hooks)",
         r"\bSystem\s*\.\s*exit\b|\.\s*(halt|exit)\s*\(|addShutdownHook|Runtime\s*\.\s*getRuntime"),
        ("a static initializer (runs when the class loads, before a test sees it)", r"(^|[;{}\s])static\s*\{"),
        ("the process's raw streams (FileDescriptor, /dev/stdout, System.setOut/setErr)",
         r"FileDescriptor|System\s*\.\s*set(Out|Err)\b|/dev/(stdout|stderr|fd|tty)|SynthCanary"),
        ("test framework or runner classes in source (org.junit, surefire, opentest4j)",
         r"\borg\s*\.\s*(junit|opentest4j|testng|apache\s*\.\s*maven)\b|\bjunit\s*\.\s*framework\b"),
        ("runner output text (Tests run:, surefire)", r"Tests run:|maven-surefire|surefire"),
        ("reflection, native code, processes or /proc",
         r"\bsetAccessible\b|sun\s*\.\s*misc|jdk\s*\.\s*internal|\bnative\s+\w|ProcessBuilder|\.exec\s*\(|/proc/|"
         r"System\s*\.\s*(load|loadLibrary)\b|Instrumentation"),
    )

    def is_protected_path(self, path: str) -> bool:
        """Also Debian packaging (debian/: how the pom is patched) and service-loader files (a
        JUnit Platform listener or a Surefire provider found on the class path runs in the fork)."""
        parts = PurePosixPath(path).parts
        return (bool(parts) and parts[0] == "debian") or "META-INF" in parts or super().is_protected_path(path)

    def setup_script(self, root: Path) -> str:
        debian = (root / "debian" / "control").is_file() and (
            (root / "debian" / "maven.rules").is_file() or any((root / "debian").glob("*.poms")))
        if debian:
            return _debian_setup(root)
        return """set -eu
mkdir -p /opt/synth/m2
cd /testbed
# the project's own registry (Maven Central on a user's machine) at environment build
mvn -B -q -Dmaven.repo.local=/opt/synth/m2 -DskipTests test-compile surefire:help >/dev/null
printf '%s\\n' '#!/bin/sh' 'exec mvn -o -B -Dmaven.repo.local=/opt/synth/m2 "$@"' > /opt/synth/mvn
chmod 755 /opt/synth/mvn; chmod -R a+rX /opt/synth; rm -rf target
"""

    def test_files(self, listing: list[str]) -> list[str]:
        return sorted(p for p in listing if p.endswith(".java") and p.startswith("src/test/") and self.is_test_path(p))

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        if "pom.xml" not in listing:
            return Plan([], {}, nonce)
        names: list[str] = []
        jupiter = False
        for path in self.test_files(listing):
            text = tests.get(path, "")
            jupiter = jupiter or "org.junit.jupiter" in text
            package = _PACKAGE.search(text)
            cls = (package.group(1) + "." if package else "") + PurePosixPath(path).stem
            names += [f"{cls}::{m}" for m in _TEST_METHOD.findall(text)]
        if jupiter:
            canary = (f"import org.junit.jupiter.api.Test;\n\npublic class {CANARY_CLASS} {{\n    @Test\n    void synthCanary() "
                      f"{{ org.junit.jupiter.api.Assertions.fail(\"{CANARY} {nonce}\"); }}\n}}\n")
        else:
            canary = (f"import org.junit.Test;\n\npublic class {CANARY_CLASS} {{\n    @Test\n    public void synthCanary() "
                      f"{{ org.junit.Assert.fail(\"{CANARY} {nonce}\"); }}\n}}\n")
        select = ""
        if ids is not None:
            by_class: dict[str, list[str]] = {}
            for ident in ids:
                cls, _, method = ident.partition("::")
                by_class.setdefault(cls, []).append(re.sub(r"[\[(].*$", "*", method))
            spec = ",".join(f"{c}#{'+'.join(sorted(set(m)))}" for c, m in sorted(by_class.items()))
            select = "-Dtest=" + shlex.quote(f"{spec},{CANARY_CLASS}")
        command = (
            # the fork's java: the test JVM as uid 1000 without the root shell's environment
            "mkdir -p $R/jvm/bin && printf '%s\\n' '#!/bin/sh' "
            f"\"exec $AS_USER /usr/lib/jvm/default-java/bin/java {MAVEN_JVM} \\\"\\$@\\\"\" "
            "> $R/jvm/bin/java && chmod 755 $R/jvm/bin/java; "
            f"JAVA_TOOL_OPTIONS={shlex.quote(MAVEN_JVM)} timeout -k 5 $TIMEOUT /opt/synth/mvn test "
            f"-Djvm=$R/jvm/bin/java {MAVEN_PROPERTIES} {select} "
            "> $R/out/$INDEX.maven 2>&1; rc=$?; echo \"SYNTH-MAVEN-EXIT $rc\"; "
            f"grep -qF -e {' -e '.join(shlex.quote(c) for c in CRASH)} $R/out/$INDEX.maven && echo SYNTH-MAVEN-FORK-CRASH; "
            "for f in target/surefire-reports/TEST-*.xml; do [ -f \"$f\" ] && printf 'SYNTH-XML %s\\n' \"$(base64 -w0 \"$f\")\"; done; "
            "tail -c 3000 $R/out/$INDEX.maven | base64 -w0 | sed 's/^/SYNTH-MAVEN-LOG /'; echo; "
            "[ $rc = 124 ] && exit 124; exit 1"
        )
        expected = names if ids is None else list(ids)
        return Plan([Process(name="maven", command=command, cwd=".", expected=expected)],
                    {f"src/test/java/{CANARY_CLASS}.java": canary}, nonce, private=True)

    def read(self, process: Process, stream: str) -> tuple[list[Case], str]:
        cases: list[Case] = []
        crashed, maven_exit, log = False, "", ""
        for line in stream.splitlines():
            if line.startswith("SYNTH-MAVEN-EXIT "):
                maven_exit = line.split()[-1]
            elif line == "SYNTH-MAVEN-FORK-CRASH":
                crashed = True
            elif line.startswith("SYNTH-MAVEN-LOG "):
                log = _b64(line[len("SYNTH-MAVEN-LOG "):])
            elif line.startswith("SYNTH-XML "):
                cases += _report(_b64(line[len("SYNTH-XML "):]))
        renamed = []
        for case in cases:
            if case.id.split("::")[0].rsplit(".", 1)[-1] == CANARY_CLASS:
                if crashed:  # a report written before the fork died: the reading is invalid
                    continue
                renamed.append(Case(f"{process.name}::{CANARY}", case.outcome, case.message))
            else:
                renamed.append(case)
        if not cases and maven_exit not in ("", "0"):
            return [], "build-failed" if not crashed else log[-300:]
        return renamed, "crashed" if crashed else maven_exit

    def exploit_text(self, old: str, code: str) -> str:
        """Code goes inside the file's last class (before its closing brace)."""
        cut = old.rstrip().rfind("}")
        return old[:cut] + code + old[cut:] if cut >= 0 else old + code

    def exploits(self, target: str) -> list[tuple[str, str]]:
        forged = ("Tests run: 1, Failures: 0, Errors: 0, Skipped: 0\\n<testcase name=\\\"synthCanary\\\" "
                  "classname=\\\"SynthCanaryTest\\\"/>\\n")
        return [
            ("java_exit0_at_start", "\n    static { System.exit(0); }\n"),
            ("java_forged_result_lines", "\n    static {\n        try {\n            java.io.PrintStream o = new java.io.PrintStream("
             "new java.io.FileOutputStream(java.io.FileDescriptor.out), true);\n"
             f"            o.print(\"{forged}\");\n        }} catch (Exception e) {{ }}\n"
             "        Runtime.getRuntime().halt(0);\n    }\n"),
            ("java_skip_by_assumption", "\n    static { if (Boolean.TRUE) throw new org.junit.AssumptionViolatedException(\"synth\"); }\n"),
        ]


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text.strip(), validate=False).decode("utf-8", "replace")
    except ValueError:
        return ""


def _report(xml: str) -> list[Case]:
    """The cases of one Surefire report (TEST-*.xml), written by Maven (root)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return []
    cases = []
    for element in root.iter("testcase"):
        ident = f"{element.get('classname', '')}::{element.get('name', '')}"
        failure = element.find("failure")
        error = element.find("error")
        if failure is not None or error is not None:
            node = failure if failure is not None else error
            message = (node.get("message") or "") + " " + (node.text or "")[:1500]  # type: ignore[union-attr]
            cases.append(Case(ident, "failed" if failure is not None else "error", message.strip()))
        elif element.find("skipped") is not None:
            cases.append(Case(ident, "skipped"))
        else:
            cases.append(Case(ident, "passed"))
    return cases


def _debian_setup(root: Path) -> str:
    """The environment of a Debian source package built with maven-debian-helper."""
    control = (root / "debian" / "control").read_text("utf-8", "replace")
    fields = re.findall(r"^Build-Depends(?:-Indep|-Arch)?:(.*(?:\n[ \t].*)*)", control, re.M)
    wanted = []
    for item in ",".join(fields).replace("\n", " ").split(","):
        name = item.split("|")[0].strip().split(" ")[0].split(":")[0].strip()
        if re.fullmatch(r"(lib[\w.+-]+-java|junit\d*|testng|maven-repo-helper)", name) and not any(
                p.replace("maven-", "").replace("-plugin", "") in name for p in IGNORED_PLUGINS if "plugin" in p) and "-doc" not in name:
            wanted.append(name)
    poms = sorted(p.name for p in (root / "debian").glob("*.poms"))
    package = poms[0][:-len(".poms")] if poms else re.search(r"^Package:\s*(\S+)", control, re.M).group(1)  # type: ignore[union-attr]
    ignore = "\n".join(f"* {p} * * * *" for p in IGNORED_PLUGINS)
    install = (f"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
               f"{' '.join(sorted(set(wanted)))} >/dev/null && rm -rf /var/lib/apt/lists/*") if wanted else "true"
    launcher = ("exec java -cp /usr/share/maven/boot/plexus-classworlds-2.x.jar -Dmaven.home=/usr/share/maven "
                "-Dmaven.multiModuleProjectDirectory=\"$PWD\" -Dclassworlds.conf=/etc/maven/m2-debian.conf "
                "org.codehaus.plexus.classworlds.launcher.Launcher -s/etc/maven/settings-debian.xml "
                "-Ddebian.dir=\"$PWD/debian\" -Dmaven.repo.local=/opt/synth/debian/maven-repo --batch-mode \"$@\"")
    return f"""set -eu
cd /testbed
# the Java packages the Debian source package builds with (Debian's Maven repository grows with them)
{install}
mkdir -p /opt/synth/debian
/usr/share/maven-debian-helper/copy-repo.sh /opt/synth/debian >/dev/null
# plugins a test run does not need are left out, as Debian's own rules leave out others
printf '%s\\n' {shlex.quote(ignore)} >> debian/maven.ignoreRules
mh_patchpoms -p{shlex.quote(package)} --debian-build --keep-pom-version --maven-repo=/opt/synth/debian/maven-repo
rm -rf debian/.mh pom.xml.save */pom.xml.save debian/stamp-poms-patched
printf '%s\\n' '#!/bin/sh' {shlex.quote(launcher)} > /opt/synth/mvn
chmod 755 /opt/synth/mvn; chmod -R a+rX /opt/synth
# resolve every plugin and dependency once, offline (a project that does not build stops here)
/opt/synth/mvn -q -DskipTests test-compile >/dev/null
rm -rf target
"""
