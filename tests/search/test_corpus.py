"""Corpus ingestion: each format, link mining, the content hash, and every kind of bad input (one
line, exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth import ConfigError
from synth.cli import app
from synth.environments.search import factbook, from_folder, from_jsonl, load, wiki

from .conftest import TINY


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_jsonl_links_mined_from_mentions_when_none_are_given(tiny_corpus) -> None:
    links = {d.id: d.links for d in tiny_corpus.documents}
    assert links["varnholm"] == ["ostra", "trent"] and links["lund"] == ["fell", "tovik"]
    assert tiny_corpus.relation == "mentions" and tiny_corpus.header.mined


def test_given_links_by_id_or_title_are_kept_and_not_mined(tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", [
        {"id": "a", "title": "Alpha", "text": "Alpha names Beta.", "links": ["Beta"], "url": "http://x/a"},
        {"id": "b", "title": "Beta", "text": "Beta stands alone.", "links": ["a", "missing"]},
        {"id": "c", "title": "Gamma", "text": "Gamma mentions Alpha but has no given link."},
    ])
    corpus = from_jsonl(path)
    assert {d.id: d.links for d in corpus.documents} == {"a": ["b"], "b": ["a"], "c": []}
    assert corpus.relation == "links to" and not corpus.header.mined


def test_one_word_names_are_mentioned_only_with_their_capitals(tmp_path: Path) -> None:
    path = write(tmp_path / "c.jsonl", [
        {"id": "p", "title": "Prince", "text": "Prince was a musician."},
        {"id": "r", "title": "Rurik", "text": "Rurik was a prince of the north; later princes followed."},
        {"id": "s", "title": "Song", "text": "A song by Prince."},
    ])
    assert {d.id: d.links for d in from_jsonl(path).documents}["r"] == []
    assert {d.id: d.links for d in from_jsonl(path).documents}["s"] == ["p"]


def test_the_hash_is_the_content_not_the_line_order(tmp_path: Path) -> None:
    lines = [json.loads(line) for line in TINY.read_text().splitlines()]
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    first = from_jsonl(write(tmp_path / "a" / "tiny.jsonl", lines)).hash
    again = from_jsonl(write(tmp_path / "b" / "tiny.jsonl", list(reversed(lines))))
    assert again.hash == first
    lines[0]["text"] += " It has a lighthouse."
    assert from_jsonl(write(tmp_path / "c" / "tiny.jsonl", lines)).hash != first


def test_a_folder_of_markdown_html_and_text(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# The Alpha Page\n\nAlpha links to [beta](sub/b.html) and [out](https://x.org).\n")
    (tmp_path / "sub" / "b.html").write_text("<html><head><title>Beta &amp; Co</title><style>x{}</style></head>"
                                            "<body><h1>Beta</h1><p>Back to <a href='../a.md'>alpha</a>.</p><script>no()</script></body></html>")
    (tmp_path / "c.txt").write_text("Plain text that mentions The Alpha Page.\n")
    (tmp_path / "ignored.csv").write_text("x,y\n")
    corpus = from_folder(tmp_path)
    docs = {d.id: d for d in corpus.documents}
    assert set(docs) == {"a.md", "sub/b.html", "c.txt"}
    assert docs["a.md"].title == "The Alpha Page" and docs["sub/b.html"].title == "Beta & Co" and docs["c.txt"].title == "c"
    assert docs["a.md"].links == ["sub/b.html"] and docs["sub/b.html"].links == ["a.md"]
    assert "no()" not in docs["sub/b.html"].text and "#" not in docs["a.md"].text


@pytest.mark.parametrize("content, message", [
    ('{"id": "a", "title": "A", "text": "x"}\nnot json\n', "line 2"),
    ('{"id": "a", "text": "x"}\n', "line 1: title"),
    ('{"id": "a", "title": "A", "text": "x"}\n{"id": "a", "title": "B", "text": "y"}\n', "duplicate document id 'a'"),
    ("\n\n", "holds no documents"),
    ('{"id": "a", "title": "Alpha", "text": "nothing here"}\n{"id": "b", "title": "Beta", "text": "nor here"}\n', "has no links"),
])
def test_malformed_jsonl_is_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        from_jsonl(path)


def test_unreadable_inputs_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "latin.jsonl").write_bytes('{"id": "a", "title": "Caf\xe9", "text": "x"}\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        from_jsonl(tmp_path / "latin.jsonl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no .md"):
        from_folder(tmp_path / "empty")
    with pytest.raises(ConfigError, match="neither a known corpus"):
        load("encyclopedia")


@pytest.mark.parametrize("args", [
    ["generate", "search", "--corpus", "encyclopedia", "--n", "1"],
    ["generate", "search", "--corpus", "EMPTY", "--n", "1"],
    ["generate", "search", "--corpus", "NOLINKS", "--n", "1"],
    ["generate", "search", "--corpus", "TINY", "--answer-type", "number", "--n", "1"],
    ["generate", "search", "--corpus", "TINY", "--model", "m", "--n", "1"],
    ["corpus", "stats", "MISSING"],
    ["corpus", "build", "EMPTY"],
])
def test_bad_corpus_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("")
    write(tmp_path / "nolinks.jsonl", [{"id": "a", "title": "Alpha", "text": "x y"}, {"id": "b", "title": "Beta", "text": "z"}])
    names = {"EMPTY": tmp_path / "empty.jsonl", "NOLINKS": tmp_path / "nolinks.jsonl", "TINY": TINY, "MISSING": tmp_path / "none.jsonl"}
    args = [str(names.get(a, a)) for a in args]
    out = tmp_path / "run"
    result = CliRunner().invoke(app, [*args, *(["--out", str(out)] if args[0] == "generate" else [])])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: "), result.output
    assert not out.exists()


def test_the_embedded_corpora() -> None:
    book = factbook()
    kenya = next(d for d in book.documents if d.title == "Kenya")
    assert len(book.documents) >= 250 and book.relation == "borders"
    assert {book.by_id[t].title for t in kenya.links} == {"Ethiopia", "Somalia", "South Sudan", "Tanzania", "Uganda"}
    assert kenya.facts["population"].value > 4e7 and kenya.facts["independence"].value == "1963-12-12"
    assert "Republic of Kenya" in kenya.aliases and "Population: " in kenya.text
    articles = wiki()
    assert len(articles.documents) > 10_000 - 100 and articles.relation == "mentions"
    assert sum(1 for d in articles.documents if d.links) > 5_000
    assert articles.hash == wiki().hash
