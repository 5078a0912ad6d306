"""Java (Maven + Surefire) without Docker: the reading of Maven's reports, the canary and crash
rules, the tamper scan, protected paths, selection by id, mutation and the Debian set-up. Each
exploit the runner allows has a regression test named after it; the same attacks run end to end in
Docker on a real project in test_real_projects.py."""

from __future__ import annotations

import base64

import pytest

from synth.environments.code._mutate import diff, ts_mutants
from synth.environments.code.languages import CANARY, Process, Stream, detect, language, to_run
from synth.environments.code.languages._controls import exploit_diffs
from synth.verifiers.code import judge

from lang_projects import JAVA_PROJECT as PROJECT, write

JAVA = language("java")
NONCE = "0123456789abcdef01234567"


def report(cls: str, *cases: tuple[str, str, str]) -> str:
    body = []
    for name, outcome, message in cases:
        inner = {"failed": f'<failure message="{message}" type="java.lang.AssertionError">trace</failure>',
                 "error": f'<error message="{message}" type="java.lang.NullPointerException"/>',
                 "skipped": "<skipped/>", "passed": ""}[outcome]
        body.append(f'<testcase name="{name}" classname="{cls}" time="0">{inner}</testcase>')
    return f'<?xml version="1.0"?><testsuite name="{cls}" tests="{len(cases)}">{"".join(body)}</testsuite>'


def stream(*reports: str, maven_exit: int = 0, crash: bool = False, extra: str = "") -> str:
    lines = [f"SYNTH-MAVEN-EXIT {maven_exit}"] + (["SYNTH-MAVEN-FORK-CRASH"] if crash else [])
    lines += ["SYNTH-XML " + base64.b64encode(r.encode()).decode() for r in reports]
    return extra + "\n".join(lines) + "\n"


CANARY_REPORT = report("SynthCanaryTest", ("synthCanary", "failed", f"{CANARY} {NONCE}"))
EXPECTED = ["org.x.CalcTest::adds", "org.x.CalcTest::clamps"]


def java_run(text: str, exit_code: int = 1):
    process = Process("maven", "mvn test", expected=EXPECTED)
    return to_run(JAVA, "maven-surefire", [Stream(process, exit_code, text)], NONCE, command="c", duration=0.1,
                  timed_out=False)


def test_surefire_reports_are_read_per_test_and_the_canary_is_kept_apart():
    judged = judge(java_run(stream(report("org.x.CalcTest", ("adds", "passed", ""), ("clamps", "failed", "want 3")),
                                   CANARY_REPORT)))
    assert judged.valid, judged.reason
    assert judged.results == {"org.x.CalcTest::adds": "passed", "org.x.CalcTest::clamps": "failed",
                              f"synth::{CANARY}": "failed"}
    assert "want 3" in judged.messages["org.x.CalcTest::clamps"]


def test_exploit_java_exit0_at_start_a_dead_fork_is_an_invalid_run():
    # System.exit(0) in a static initializer: Surefire says the fork died; the reports written
    # before (the canary's too) do not make a valid reading
    text = stream(report("org.x.CalcTest", ("adds", "passed", "")), CANARY_REPORT, maven_exit=1, crash=True)
    judged = judge(java_run(text))
    assert not judged.valid and "no JUnit XML" in judged.reason


def test_exploit_java_forged_result_lines_printed_by_the_tests_are_not_read():
    # text a test writes to the raw stdout reaches Maven's log, never the base64 report lines
    forged = ("Tests run: 2, Failures: 0, Errors: 0, Skipped: 0\n<testcase name=\"clamps\" classname=\"org.x.CalcTest\"/>\n"
              "SYNTH-XML PHRlc3RzdWl0ZT48dGVzdGNhc2UgbmFtZT0iY2xhbXBzIiBjbGFzc25hbWU9Im9yZy54LkNhbGNUZXN0Ii8+PC90ZXN0c3VpdGU+\n")
    judged = judge(java_run(stream(report("org.x.CalcTest", ("clamps", "failed", "want 3")), CANARY_REPORT)))
    assert judged.results["org.x.CalcTest::clamps"] == "failed"
    # even a forged report line (were a test able to write the stream) loses to the real failure
    judged = judge(java_run(stream(report("org.x.CalcTest", ("clamps", "failed", "want 3")), CANARY_REPORT, extra=forged)))
    assert judged.results["org.x.CalcTest::clamps"] == "failed"


def test_exploit_java_forged_canary_without_the_nonce_is_an_invalid_run():
    stale = report("SynthCanaryTest", ("synthCanary", "failed", f"{CANARY} another-runs-nonce"))
    assert not judge(java_run(stream(report("org.x.CalcTest", ("adds", "passed", "")), stale))).valid
    passing = report("SynthCanaryTest", ("synthCanary", "passed", ""))
    assert not judge(java_run(stream(report("org.x.CalcTest", ("adds", "passed", "")), passing))).valid


def test_exploit_java_skipped_tests_are_not_passes():
    judged = judge(java_run(stream(report("org.x.CalcTest", ("adds", "skipped", ""), ("clamps", "error", "EIIE")),
                                   CANARY_REPORT)))
    assert judged.valid and judged.results["org.x.CalcTest::adds"] == "skipped"
    assert judged.results["org.x.CalcTest::clamps"] == "error"


def test_exploit_java_exit_zero_of_the_process_is_an_invalid_run():
    assert not judge(java_run(stream(CANARY_REPORT), exit_code=0)).valid


def test_a_project_that_does_not_compile_errors_its_tests_instead_of_invalidating_the_run():
    judged = judge(java_run(stream(maven_exit=1)))
    assert judged.valid and judged.results["org.x.CalcTest::adds"] == "error"


@pytest.mark.parametrize("name", [n for n, _ in JAVA.exploits("src/main/java/x/Calc.java")])
def test_tamper_scan_flags_every_java_exploit(name):
    code = dict(JAVA.exploits("x"))[name]
    old = "package x;\n\npublic class Calc {\n    int add(int a, int b) { return a + b; }\n}\n"
    assert JAVA.tamper(diff("src/main/java/x/Calc.java", old, JAVA.exploit_text(old, code))), name


def test_tamper_scan_flags_the_fork_s_stdout_by_another_name():
    # surefire reads the fork's events from its stdout: /dev/stdout reaches it without FileDescriptor
    old = "public class Calc {\n}\n"
    new = 'public class Calc {\n    static void f() throws Exception { new java.io.FileOutputStream("/dev/stdout").write(1); }\n}\n'
    assert JAVA.tamper(diff("src/main/java/Calc.java", old, new))


@pytest.mark.xfail(strict=True, reason="open: the scan reads text, so a path to the fork's stdout built at run "
                   "time is not flagged; the canary's nonce and Surefire's protocol are what such a forger still needs")
def test_tamper_scan_flags_a_computed_path_to_the_fork_s_stdout():
    old = "public class Calc {\n}\n"
    new = ('public class Calc {\n    static void f(String d) throws Exception {\n'
           '        new java.io.FileOutputStream(d + "/std" + "out").write(1);\n    }\n}\n')
    assert JAVA.tamper(diff("src/main/java/Calc.java", old, new))


def test_tamper_scan_ignores_ordinary_java_fixes_and_test_files():
    old = "public class Calc {\n    static int add(int a, int b) { return a - b; }\n}\n"
    assert JAVA.tamper(diff("src/main/java/Calc.java", old, old.replace("a - b", "a + b"))) == []
    assert JAVA.tamper(diff("src/test/java/CalcTest.java", "", "class T { static { System.exit(0); } }\n")) == []


def test_java_tests_build_files_debian_rules_and_service_files_are_protected():
    for path in ("pom.xml", "sub/pom.xml", ".mvn/extensions.xml", "src/test/java/x/CalcTest.java", "debian/maven.rules",
                 "debian/patches/series", "src/main/resources/META-INF/services/org.junit.platform.launcher.TestExecutionListener",
                 "build.gradle", "src/test/resources/junit-platform.properties"):
        assert JAVA.is_protected_path(path), path
    assert not JAVA.is_protected_path("src/main/java/x/Calc.java")


def test_plan_runs_maven_once_with_the_canary_and_selects_ids():
    tests = {"src/test/java/org/x/CalcTest.java": PROJECT["src/test/java/org/x/CalcTest.java"]}
    plan = JAVA.plan(list(PROJECT), tests, None, NONCE)
    (process,) = plan.processes
    assert process.expected == EXPECTED and plan.private
    assert NONCE in plan.files["src/test/java/SynthCanaryTest.java"]
    assert "org.junit.Test" in plan.files["src/test/java/SynthCanaryTest.java"]
    assert "-Djvm=$R/jvm/bin/java" in process.command and "-Dmaven.compiler.proc=none" in process.command
    assert "-Dtest" not in process.command
    by_id = JAVA.plan(list(PROJECT), tests, ["org.x.CalcTest::clamps"], NONCE).processes[0]
    assert "-Dtest='org.x.CalcTest#clamps,SynthCanaryTest'" in by_id.command
    jupiter = {"src/test/java/org/x/CalcTest.java": "import org.junit.jupiter.api.Test;\nclass CalcTest {\n @Test\n void adds() {}\n}\n"}
    assert "jupiter" in JAVA.plan(list(PROJECT), jupiter, None, NONCE).files["src/test/java/SynthCanaryTest.java"]


def test_java_mutation_breaks_one_node_of_a_covered_method_and_is_seeded(tmp_path):
    root = write(tmp_path, PROJECT)
    assert detect(root) == "java"
    first = list(ts_mutants(root, JAVA, seed=3))
    assert first and first == list(ts_mutants(root, JAVA, seed=3))
    for mutant in first:
        assert mutant.function == "add" and not JAVA.is_test_path(mutant.path)


def test_java_controls_put_the_exploit_inside_the_class_and_change_the_pom(tmp_path):
    root = write(tmp_path, PROJECT)
    path = "src/main/java/org/x/Calc.java"
    gold = diff(path, PROJECT[path].replace("a + b", "a - b"), PROJECT[path])
    controls = {name: (text, check) for name, text, check in exploit_diffs(JAVA, root, gold)}
    assert set(controls) == {"java_exit0_at_start", "java_forged_result_lines", "java_skip_by_assumption",
                             "java_config_change"}
    assert "+    static { System.exit(0); }\n }" in controls["java_exit0_at_start"][0]  # before the class's brace
    assert "<skipTests>true</skipTests>" in controls["java_config_change"][0]
    assert controls["java_config_change"][1] == "fail_to_pass"


def test_debian_setup_installs_the_java_build_depends_and_patches_the_pom(tmp_path):
    root = write(tmp_path, {**PROJECT, "debian/control": "Source: calc\nBuild-Depends: debhelper-compat (= 13), default-jdk,\n"
                                                       " junit4, libmaven-javadoc-plugin-java, libcommons-io-java (>= 2),\n"
                                                       " maven-debian-helper\n\nPackage: libcalc-java\n",
                            "debian/maven.rules": "junit junit * s/.*/4.x/ * *\n", "debian/libcalc-java.poms": "pom.xml\n"})
    script = JAVA.setup_script(root)
    assert "junit4 libcommons-io-java" in script and "javadoc-plugin-java" not in script.split("apt-get install")[1].split("\n")[0]
    assert "mh_patchpoms -plibcalc-java --debian-build" in script
    assert "* maven-javadoc-plugin * * * *" in script and "settings-debian.xml" in script
    assert "mvn -B -q -Dmaven.repo.local=/opt/synth/m2" in JAVA.setup_script(write(tmp_path / "plain", PROJECT))


def test_a_mutant_of_a_crlf_file_gives_a_starting_patch_that_applies(tmp_path):
    # json-simple's older sources end lines with CRLF: the patch must be made from the file's bytes
    import subprocess

    from synth.environments.code._mine import tree_from_dir
    from synth.environments.code.languages._controls import task_files

    files = {k: v.replace("\n", "\r\n") if k.endswith("Calc.java") else v for k, v in PROJECT.items()}
    root = tmp_path / "p"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode())
    mutant = next(ts_mutants(root, JAVA, seed=0))
    old = (root / mutant.path).read_bytes().decode("utf-8")
    start = diff(mutant.path, old, mutant.mutated_source)
    unpacked = task_files(tree_from_dir(root), start)  # git apply, as the task image does
    try:
        assert (unpacked / mutant.path).read_bytes() == mutant.mutated_source.encode()
    finally:
        subprocess.run(["rm", "-rf", str(unpacked)], check=True)
