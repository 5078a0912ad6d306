"""Code commands: `synth generate code`, `synth images base|list|prune`, `synth sandbox cleanup`.

Sits at the top of the code family's generate stage. Bad input (no source or two sources, an
unreachable repository, a bad --sdist spec, a project whose tests do not run) is one line on
stderr and exit 2; a problem with one candidate is a recorded rejection in code_rejections.jsonl.
Re-running the same command on the same run directory resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import SynthGroup, app, fail, generate_app

images_app = typer.Typer(cls=SynthGroup, help="Docker images of code environments (base -> env -> task).",
                         no_args_is_help=True, rich_markup_mode=None)
sandbox_app = typer.Typer(cls=SynthGroup, help="Sandbox containers.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(images_app, name="images")
app.add_typer(sandbox_app, name="sandbox")


def _log(message: str) -> None:
    typer.echo(message, err=True)


@generate_app.command("code")
def generate_code(
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to create or resume.")],
    github: Annotated[Optional[str], typer.Option("--github", help="Mine merged PRs that fix issues: OWNER/NAME.")] = None,
    git: Annotated[Optional[Path], typer.Option("--git", help="Mine a local repository's history (or mutate it with --mutate).")] = None,
    sdist: Annotated[Optional[str], typer.Option("--sdist", help="Mutate a PyPI source release: NAME==VERSION.")] = None,
    mutate: Annotated[bool, typer.Option("--mutate", help="With --git: mutate the project at HEAD instead of mining history.")] = False,
    n: Annotated[int, typer.Option("--n", min=1, max=100_000, help="Tuples to keep.")] = 5,
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Reruns per state during validation.")] = 3,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of mutation order.")] = 0,
    timeout: Annotated[float, typer.Option("--timeout", min=5, help="Seconds per test run.")] = 300,
    suite: Annotated[str, typer.Option("--suite", help="Debian suite of the base image: bullseye (3.9), bookworm (3.11), trixie (3.13).")] = "bookworm",
    max_candidates: Annotated[int, typer.Option("--max-candidates", min=1, help="Most candidates (commits, PRs, mutants) to look at.")] = 300,
    setup_base_url: Annotated[Optional[str], typer.Option("--setup-base-url", help="OpenAI-compatible server of the LLM setup agent; default: the heuristic installer.")] = None,
    setup_model: Annotated[Optional[str], typer.Option("--setup-model", help="Model name for the setup agent.")] = None,
    judge_base_url: Annotated[Optional[str], typer.Option("--judge-base-url", help="OpenAI-compatible server of an LLM judge of problem statements (optional).")] = None,
    judge_model: Annotated[Optional[str], typer.Option("--judge-model", help="Model name for the judge.")] = None,
) -> None:
    """Generate code tasks validated in Docker by fail-to-pass and pass-to-pass tests.

    Examples: synth generate code --sdist toolz==0.12.1 --n 5 --out runs/code;
    synth generate code --git ../myproject --n 10 --out runs/mine;
    synth generate code --github pallets/click --n 5 --out runs/click (GITHUB_TOKEN raises rate limits)
    """
    import re
    import tempfile

    from synth import Run
    from synth.environments.code import (
        GitHubClient,
        GitHubMiner,
        Generator,
        Rejection,
        Settings,
        checkout_head,
        fetch_sdist,
        mine_history,
        open_repo,
        tree_from_dir,
    )
    from synth.sandbox import SUITES

    sources = [s for s in (github, git, sdist) if s]
    if len(sources) != 1:
        fail("give exactly one of --github OWNER/NAME, --git PATH, --sdist NAME==VERSION")
    if mutate and git is None:
        fail("--mutate goes with --git")
    if suite not in SUITES:
        fail(f"--suite {suite!r}: known suites are {', '.join(SUITES)}")
    if git is not None:
        open_repo(git)  # a bad path fails before the run directory is made
    if github is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
        fail(f"--github {github!r}: give OWNER/NAME")
    if sdist is not None and (sdist.count("==") != 1 or not all(sdist.split("=="))):
        fail(f"--sdist {sdist!r}: give NAME==VERSION, e.g. toolz==0.12.1")
    settings = Settings(k=k, timeout=timeout, suite=suite, seed=seed)
    source = {"github": github} if github else {"git": str(Path(git).resolve()), "mutate": mutate} if git else {"sdist": sdist}
    run = Run.create(out)
    config = {"family": "code", **source, "n": n, **settings.config()}
    if setup_base_url:
        config["setup_model"] = {"base_url": setup_base_url, "model": setup_model}
    if judge_base_url:
        config["judge_model"] = {"base_url": judge_base_url, "model": judge_model}
    run.begin("generate", config)
    from synth._config import RolloutConfig

    model = RolloutConfig(base_url=setup_base_url, model=setup_model, temperature=0.0) if setup_base_url else None
    judge = RolloutConfig(base_url=judge_base_url, model=judge_model, temperature=0.0, max_tokens=8) if judge_base_url else None
    gen = Generator(run, settings, log=_log, setup_model=model, judge_model=judge)
    try:
        with tempfile.TemporaryDirectory(prefix="synth-code-") as tmp:
            if sdist:
                root = fetch_sdist(sdist, Path(tmp))
                gen.from_mutations(root, sdist, sdist.split("==")[1], tree_from_dir(root), n, max_candidates)
            elif git is not None and mutate:
                root, commit = checkout_head(git, Path(tmp) / "tree")
                name = open_repo(git).name
                gen.from_mutations(root, name, commit, tree_from_dir(root), n, max_candidates)
            elif git is not None:
                gen.from_candidates(mine_history(git, max_commits=max_candidates), n)
            else:
                miner = GitHubMiner(GitHubClient(), github or "", max_pulls=max_candidates)
                try:
                    def skipped(ident: str, reason: str) -> None:
                        if ident not in gen.done:
                            gen.rejections.append(Rejection(key=ident, source="github", repo=miner.repo, reason=reason))
                            gen.done.add(ident)

                    gen.from_candidates(miner.candidates(on_skip=skipped), n)
                finally:
                    miner.close()
    finally:
        gen.close()
    kept = gen.accepted
    rejected = sum(1 for _ in run.journal("code_rejections.jsonl", Rejection))
    run.finish("generate", tuples=kept, rejected=rejected)
    typer.echo(f"{kept} code tuples in {out} ({rejected} candidates rejected; reasons in code_rejections.jsonl)")
    if kept == 0:
        fail(f"no candidate became a task (see {out}/code_rejections.jsonl)")


@images_app.command("base")
def images_base(
    suite: Annotated[str, typer.Option("--suite", help="bullseye (Python 3.9), bookworm (3.11), trixie (3.13).")] = "bookworm",
    source: Annotated[str, typer.Option("--source", help="auto (pull where a registry answers, else debootstrap), pull, debootstrap.")] = "auto",
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build even if the tag exists.")] = False,
) -> None:
    """Build (or find) the base image; prints its tag.

    Example: synth images base --suite bookworm
    """
    from synth.sandbox import SUITES, ensure_base

    if suite not in SUITES:
        fail(f"--suite {suite!r}: known suites are {', '.join(SUITES)}")
    if source not in ("auto", "pull", "debootstrap"):
        fail(f"--source {source!r}: use auto, pull or debootstrap")
    typer.echo(ensure_base(suite, source=source, rebuild=rebuild, log=_log))


@images_app.command("list")
def images_list() -> None:
    """List synth's images (kind, tag, size, parent)."""
    from synth.sandbox import list_images

    for info in list_images():
        typer.echo(f"{info.kind:5} {info.tag:32} {info.size / 1e6:8.1f} MB  {info.created}  parent {info.parent}")


@images_app.command("prune")
def images_prune(
    include_base: Annotated[bool, typer.Option("--all", help="Remove base images too.")] = False,
) -> None:
    """Remove task and environment images (and base images with --all)."""
    from synth.sandbox import prune

    kinds = ("task", "env", "base") if include_base else ("task", "env")
    typer.echo(f"removed {prune(kinds)} images")


@sandbox_app.command("cleanup")
def sandbox_cleanup(
    everything: Annotated[bool, typer.Option("--all", help="Also remove containers of synth processes still running.")] = False,
) -> None:
    """Remove leftover synth containers (those whose owning process is gone).

    Example: synth sandbox cleanup
    """
    from synth.sandbox import cleanup

    typer.echo(f"removed {cleanup(everything)} containers")
