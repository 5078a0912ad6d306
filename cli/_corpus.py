"""`synth corpus build|stats|search|eval`: the search family's corpora and their indexes.

Sits at the top, beside the stage commands; each parses its options, calls the search family's
library functions (imported inside the command, so `synth --help` loads no family) and prints.
Bad input (an unknown corpus name, an unreadable or malformed file, a corpus with no links) is one
line `synth: error: ...` and exit 2, with nothing written.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import SynthGroup, app, fail

corpus_app = typer.Typer(cls=SynthGroup, help="Search corpora: build an index once, inspect it, query it, evaluate retrieval.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(corpus_app, name="corpus")

SOURCE = typer.Argument(metavar="CORPUS", help="wiki, factbook, a JSONL file ({id, title, text, url?, links?}) or a folder of .md/.html/.txt files.")


class Retriever(str, Enum):
    bm25 = "bm25"
    dense = "dense"
    hybrid = "hybrid"


@corpus_app.command("build")
def build(
    source: Annotated[str, SOURCE],
    dense: Annotated[bool, typer.Option("--dense", help="Also compute dense vectors (all-MiniLM-L6-v2; ~1 minute per 1,000 documents on 2 cores).")] = False,
) -> None:
    """Ingest a corpus and build its index (once: cached by content hash); prints the cache folder.

    Example: synth corpus build wiki    (synth corpus build docs/ --dense)
    """
    from synth.environments.search import ensure_cached, load_source

    from ._progress import progress

    corpus = load_source(source)
    with progress("embedding", len(corpus.documents) if dense else None) as bar:
        folder = ensure_cached(corpus, dense=dense, progress=lambda n: bar.advance(n))
    stats = corpus.stats()
    typer.echo(f"{stats['name']}: {stats['documents']} documents, {stats['links']} links ({stats['relation']}), hash {stats['hash'][:16]}")
    typer.echo(f"index: {folder}{' (with dense vectors)' if (folder / 'dense.npy').exists() else ''}")


@corpus_app.command("stats")
def stats(
    source: Annotated[str, SOURCE],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Documents, links, facts and the content hash of a corpus.

    Example: synth corpus stats factbook
    """
    from synth.environments.search import cache_dir, load_source

    corpus = load_source(source)
    facts = corpus.stats()
    folder = cache_dir(corpus.hash)
    facts["index"] = str(folder) if (folder / "info.json").exists() else None
    facts["dense"] = (folder / "dense.npy").exists()
    if as_json:
        typer.echo(json.dumps(facts, indent=2, sort_keys=True))
        return
    for key in ("name", "hash", "documents", "words", "links", "documents_with_links", "relation", "mined_links", "facts", "index", "dense"):
        typer.echo(f"{key:22} {facts[key]}")


@corpus_app.command("search")
def search(
    source: Annotated[str, SOURCE],
    query: Annotated[str, typer.Argument(help="What to search for.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, max=100, help="Results to show.")] = 5,
    retriever: Annotated[Retriever, typer.Option("--retriever", help="bm25, dense or hybrid (dense and hybrid need --dense vectors).")] = Retriever.bm25,
) -> None:
    """Query a corpus as the search tool does (builds the index first if needed).

    Example: synth corpus search wiki "pointillist painting"
    """
    from synth import SynthError
    from synth.environments.search import load_source, open_index

    corpus = load_source(source)
    index = open_index(corpus)
    try:
        hits = index.search(query, k, retriever.value)  # type: ignore[arg-type]
    except SynthError as exc:
        fail(str(exc))
        return
    for rank, hit in enumerate(hits, start=1):
        doc = corpus.documents[hit.doc]
        typer.echo(f"{rank:3}. {hit.score:8.3f}  {doc.id}  {doc.title}\n       {' '.join(doc.text.split())[:150]}")


@corpus_app.command("eval")
def eval_(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN", help="A run of search tasks.")],
    k: Annotated[Optional[list[int]], typer.Option("--k", "-k", min=1, max=100, help="Cut-offs (repeatable; default 1, 5, 10).")] = None,
    dense: Annotated[bool, typer.Option("--dense", help="Compute the corpus's dense vectors if missing (slow on a CPU).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Also print the per-task clue report as one JSON line.")] = False,
) -> None:
    """Retriever Recall@k of each task's evidence documents (BM25 vs dense vs hybrid, BrowseComp-Plus style), and
    whether each clue is checkable with the tools (its evidence found by searching the clue's words, or
    stated in a document the question's chain reaches).

    Example: synth corpus eval runs/search --k 5 --k 10
    """
    from synth import Run
    from synth.environments.search._eval import evaluate_clues, evaluate_retrieval

    from ._progress import progress

    run = Run.open(run_dir)
    ks = k or [1, 5, 10]
    with progress("eval", None) as bar:
        report = evaluate_retrieval(run, ks, ["bm25", "dense", "hybrid"], dense=dense, progress=lambda n: bar.advance(n))
    typer.echo(f"{report.tasks} tasks; query = the question; relevant = its evidence documents")
    header = "retriever " + "".join(f"  R@{k:<4}" for k in report.ks) + "".join(f"  ans@{k:<3}" for k in report.ks)
    typer.echo(header)
    for name in report.recall:
        typer.echo(f"{name:9} " + "".join(f"  {report.recall[name][k]:.3f}" for k in report.ks)
                   + "".join(f"  {report.answer_hit[name][k]:.3f} " for k in report.ks))
    for note in report.skipped:
        typer.echo(f"skipped {note}")
    with progress("clues", None) as bar:
        clues = evaluate_clues(run, progress=lambda n: bar.advance(n))

    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"

    typer.echo(f"clues: {clues.clues} over {clues.tasks} tasks; checkable with the tools {share(clues.checkable, clues.clues)};"
               f" evidence found by searching the clue's own words {share(clues.found_by_search, clues.clues)};"
               f" surface clues {share(clues.surface, clues.clues)}")
    typer.echo(f"questions: every clue checkable {share(clues.all_checkable, clues.tasks)}; only surface clues"
               f" {share(clues.surface_only, clues.tasks)}")
    if as_json:
        typer.echo(json.dumps({"tasks": clues.tasks, "clues": clues.clues, "checkable": clues.checkable,
                               "found_by_search": clues.found_by_search, "surface": clues.surface, "all_checkable": clues.all_checkable,
                               "surface_only": clues.surface_only, "per_task": clues.per_task}, sort_keys=True))
