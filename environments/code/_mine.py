"""Mining task candidates from local git history, and what every miner hands on (`Candidate`).

Sits at the start of code generation: GitHub mining (`_github.py`), local git history (here) and
mutation (`_mutate.py`) all produce `Candidate`s (keyed by instance id, the generate stage's resume
key); `_generate.py` filters, builds and validates them.
Local git: every commit with one parent (and every merge, against its first parent) whose diff
changes both source and test files becomes a candidate; the problem statement is the commit message
(or the PR title and body of a merge message). Guarantees: candidates come newest first and are a
pure function of the repository's history; the tree stored for a candidate is `git archive` of its
base commit (tracked files only, no .git), so no later commit can leak into an environment.
"""

from __future__ import annotations

import gzip
import io
import re
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from synth import ConfigError, GenerationError

from ._patch import runnable_test_files, split


@dataclass
class Candidate:
    """A possible task before validation."""

    source: str
    """git, github or mutation."""
    repo: str
    """Display name of the repository (path, OWNER/NAME, or NAME==VERSION)."""
    instance_id: str
    """Unique within the source, e.g. repo@commit or repo#pr."""
    commit: str
    """Base commit (or version) the task starts from."""
    tree: bytes
    """tar.gz of the repository at the base commit (tracked files only)."""
    gold_patch: str
    test_patch: str
    problem: str
    """Problem statement (issue text, commit message); written from failing tests for mutations."""
    test_files: list[str] = field(default_factory=list)
    """Test files to run; empty means the whole suite."""
    start_patch: str = ""
    """Applied to the tree to make the task's starting state (mutations)."""
    details: dict[str, object] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The resume key of the generate stage: the instance id."""
        return self.instance_id


def git(repo: Path, *args: str, text: bool = True) -> str | bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GenerationError(f"git {' '.join(args[:2])} failed: {exc}") from None
    if done.returncode != 0:
        err = done.stderr if text else done.stderr.decode("utf-8", "replace")
        raise GenerationError(f"git {' '.join(args[:3])} in {repo} failed: {str(err).strip()[:300]}")
    return done.stdout


def open_repo(path: str | Path) -> Path:
    """A local git repository; ConfigError when `path` is not one."""
    repo = Path(path).expanduser()
    if not repo.is_dir():
        raise ConfigError(f"--git {path}: no such directory")
    try:
        top = git(repo, "rev-parse", "--show-toplevel")
    except GenerationError:
        raise ConfigError(f"--git {path}: not a git repository") from None
    try:
        git(repo, "rev-parse", "--verify", "HEAD")
    except GenerationError:
        raise ConfigError(f"--git {path}: the repository has no commits") from None
    return Path(str(top).strip())


def archive(repo: Path, commit: str) -> bytes:
    """tar.gz of the tracked files at `commit`."""
    data = git(repo, "archive", "--format=tar.gz", commit, text=False)
    assert isinstance(data, bytes)
    return data


ZIP_EPOCH = 315532800
"""1980-01-01, the mtime of every file of an unpacked source tree: fixed, so the same tree gives the
same bytes, and not earlier, since wheel builders (flit, setuptools) zip the tree and ZIP stores no
earlier time (with mtime 0 `pip install -e .` of a flit project fails)."""


def tree_from_dir(root: Path) -> bytes:
    """tar.gz of a directory (for sdists), with stable order and mtimes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if any(part in ("__pycache__", ".git", ".tox", ".eggs") for part in path.relative_to(root).parts):
                continue
            info = tar.gettarinfo(str(path), arcname=rel)
            info.mtime, info.uid, info.gid, info.uname, info.gname = ZIP_EPOCH, 0, 0, "", ""
            if path.is_file():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            elif path.is_dir():
                tar.addfile(info)
    # gzip with a zero mtime: the same tree always gives the same bytes (asset digest, image tag)
    return gzip.compress(buffer.getvalue(), mtime=0)


_MERGE_PR = re.compile(r"^Merge pull request #(\d+) from \S+\s*\n+(.*)", re.S)


def problem_from_message(message: str) -> str:
    """The problem statement of a commit: its message, or for a PR merge the PR title and body."""
    match = _MERGE_PR.match(message.strip())
    if match:
        return match.group(2).strip()
    return message.strip()


def mine_history(path: str | Path, *, max_commits: int = 500, language: str = "python") -> Iterator[Candidate]:
    """Candidates from a local repository's history, newest first."""
    repo = open_repo(path)
    log = str(git(repo, "log", f"--max-count={max_commits}", "--format=%H %P", "HEAD"))
    for line in log.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue  # the root commit has no parent to start from
        commit, parent = parts[0], parts[1]
        diff = str(git(repo, "diff", "--binary", "--no-color", "--no-ext-diff", "--no-renames", parent, commit))
        pieces = split(diff, language)
        if not pieces.gold or not pieces.tests:
            continue
        message = str(git(repo, "log", "-1", "--format=%B", commit))
        yield Candidate(
            source="git",
            repo=repo.name,
            instance_id=f"{repo.name}@{commit[:12]}",
            commit=parent,
            tree=archive(repo, parent),
            gold_patch=pieces.gold,
            test_patch=pieces.tests,
            problem=problem_from_message(message),
            test_files=runnable_test_files(pieces.tests),
            details={"fix_commit": commit, "merge": len(parts) > 2},
        )
