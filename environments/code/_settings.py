"""The settings of `synth generate code`: one source of candidates, validation and model options.

Sits between the command line (each field is an option `--field-name`, its docstring the help) and
the code generator. Guarantees: a bad combination is refused with one line before the run
directory exists (exactly one source; --mutate only with --git; a known Debian suite; OWNER/NAME;
NAME==VERSION; NAME@VERSION; a Debian package name; a known language), and `stage_config` is the generate config that runs made before these settings
existed recorded, so they resume.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from synth import FamilySettings
from synth.sandbox import DEFAULT_SUITE, SUITES

MAX_LINES = 400
"""Largest gold patch, in changed lines."""
MAX_FILES = 10
"""Most files the gold patch may touch."""
MIN_WORDS = 3
"""Shortest acceptable problem statement, in words."""


class CodeSettings(FamilySettings):
    """Where candidates come from, how they are validated, and the optional model helpers."""

    github: str | None = None
    """Mine merged PRs that fix issues: OWNER/NAME."""
    git: Path | None = None
    """Mine a local repository's history (or mutate it with --mutate)."""
    sdist: str | None = None
    """Mutate a PyPI source release: NAME==VERSION."""
    npm: str | None = None
    """Mutate an npm package whose tarball ships its tests: NAME@VERSION (JavaScript/TypeScript)."""
    debian: str | None = None
    """Mutate a project a Debian package ships with its tests: a golang-*-dev (Go module) or
    librust-*-dev (crate) binary package, fetched with apt-get download, or a source package
    (a Maven project such as json-simple), fetched with apt-get source."""
    language: str = "auto"
    """Language of the project: auto (from its manifest), python, go, javascript, typescript, rust, java."""
    mutate: bool = False
    """With --git: mutate the project at HEAD instead of mining history."""
    n: int = Field(5, ge=1, le=100_000)
    """Tuples to keep."""
    k: int = Field(3, ge=1, le=20)
    """Reruns per state during validation."""
    seed: int = Field(0, ge=0)
    """Seed of mutation order."""
    timeout: float = Field(300.0, ge=5)
    """Seconds per test run."""
    suite: str = DEFAULT_SUITE
    """Debian suite of the base image: bullseye (3.9), bookworm (3.11), trixie (3.13)."""
    max_candidates: int = Field(300, ge=1)
    """Most candidates (commits, PRs, mutants) to look at."""
    setup_base_url: str | None = None
    """OpenAI-compatible server of the LLM setup agent; default: the heuristic installer."""
    setup_model: str | None = None
    """Model name for the setup agent."""
    judge_base_url: str | None = None
    """OpenAI-compatible server of an LLM judge of problem statements (optional)."""
    judge_model: str | None = None
    """Model name for the judge."""

    @field_validator("suite")
    @classmethod
    def _known_suite(cls, suite: str) -> str:
        if suite not in SUITES:
            raise ValueError(f"{suite!r}: known suites are {', '.join(SUITES)}")
        return suite

    @field_validator("github")
    @classmethod
    def _owner_name(cls, github: str | None) -> str | None:
        if github is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
            raise ValueError(f"{github!r}: give OWNER/NAME")
        return github

    @field_validator("sdist")
    @classmethod
    def _name_version(cls, sdist: str | None) -> str | None:
        if sdist is not None and (sdist.count("==") != 1 or not all(sdist.split("=="))):
            raise ValueError(f"{sdist!r}: give NAME==VERSION, e.g. toolz==0.12.1")
        return sdist

    @field_validator("npm")
    @classmethod
    def _npm_spec(cls, npm: str | None) -> str | None:
        if npm is not None and not re.fullmatch(r"(@[\w.-]+/)?[\w.-]+@[\w.+-]+", npm):
            raise ValueError(f"{npm!r}: give NAME@VERSION, e.g. minimist@1.2.8")
        return npm

    @field_validator("debian")
    @classmethod
    def _debian_package(cls, debian: str | None) -> str | None:
        if debian is not None and not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", debian):
            raise ValueError(f"{debian!r}: give a Debian binary package name, e.g. golang-github-pmezard-go-difflib-dev")
        return debian

    @field_validator("language")
    @classmethod
    def _known_language(cls, language: str) -> str:
        from .languages import LANGUAGES

        known = ("auto", "python", *LANGUAGES)
        if language not in known:
            raise ValueError(f"{language!r}: known languages are {', '.join(known)}")
        return language

    @model_validator(mode="after")
    def _one_source(self) -> "CodeSettings":
        if sum(bool(source) for source in (self.github, self.git, self.sdist, self.npm, self.debian)) != 1:
            raise ValueError("give exactly one of --github OWNER/NAME, --git PATH, --sdist NAME==VERSION, "
                             "--npm NAME@VERSION, --debian PACKAGE")
        if self.mutate and self.git is None:
            raise ValueError("--mutate goes with --git")
        return self

    def stage_config(self) -> dict[str, Any]:
        """The generate stage's config in the run manifest (as runs have always recorded it)."""
        if self.github:
            origin: dict[str, Any] = {"github": self.github}
        elif self.git is not None:
            origin = {"git": str(Path(self.git).resolve()), "mutate": self.mutate}
        elif self.npm:
            origin = {"npm": self.npm}
        elif self.debian:
            origin = {"debian": self.debian}
        else:
            origin = {"sdist": self.sdist}
        config: dict[str, Any] = {
            "family": "code", **origin, "n": self.n, "k": self.k, "timeout": self.timeout, "max_lines": MAX_LINES,
            "max_files": MAX_FILES, "min_words": MIN_WORDS, "suite": self.suite, "seed": self.seed,
        }
        if self.language != "auto":
            config["language"] = self.language
        if self.setup_base_url:
            config["setup_model"] = {"base_url": self.setup_base_url, "model": self.setup_model}
        if self.judge_base_url:
            config["judge_model"] = {"base_url": self.judge_base_url, "model": self.judge_model}
        return config
