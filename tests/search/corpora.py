"""Corpora the search tests write themselves (no download): a dictionary-style text-only corpus
(entries with a defining first sentence and cross-reference sentences, no category field), a
documentation-style folder of HTML pages with relative links and "name — description" titles, and
a hostile corpus (symbol-only titles, empty texts, one huge document).

Each is a pure function of its arguments, so the same call writes the same bytes. Also used by
hand for the issue's figures: `python tests/search/corpora.py dictionary OUT.jsonl` or `docs OUT_DIR`.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

_ON = ["ka", "lo", "mi", "ra", "ve", "to", "su", "ne", "pa", "zo", "qui", "dar", "mel", "tor", "vin", "bel", "cor", "fen", "gal", "hul"]
GENERA = [
    ("programming language", "designed", "language"), ("operating system", "released", "system"),
    ("network protocol", "specified", "protocol"), ("file format", "introduced", "format"),
    ("text editor", "released", "editor"), ("sorting algorithm", "published", "algorithm"),
    ("database engine", "released", "engine"), ("compiler", "released", "compiler"),
    ("software company", "founded", "company"), ("research laboratory", "founded", "laboratory"),
    ("markup language", "designed", "language"), ("video game", "released", "game"),
]
TRAITS = ["functional", "interpreted", "distributed", "proprietary", "open-source", "experimental", "portable", "lightweight",
          "concurrent", "embedded"]
PLACES = ["Kelmar", "Ostvik", "Brandor", "Talune", "Pyrrhen", "Vossberg", "Amaril", "Quennet"]


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = "".join(rng.choice(_ON) for _ in range(rng.choice((2, 3)))).capitalize()
        if name not in used and len(name) >= 4:
            used.add(name)
            return name


def dictionary_entries(n: int = 300, seed: int = 0) -> list[dict]:
    """`n` dictionary entries ({id, title, text}): 'X is a <trait> <genus> <verb> at <place> in <year>.', then
    sentences that cross-reference other entries ('It influenced Y.', 'See also Z.'). No category field."""
    rng = random.Random(seed)
    used: set[str] = set()
    names = [_name(rng, used) for _ in range(n)]
    entries = []
    for i, name in enumerate(names):
        genus, verb, _ = GENERA[i % len(GENERA)]
        trait = rng.choice(TRAITS)
        year = rng.randrange(1955, 2020)
        place = rng.choice(PLACES)
        text = f"{name} is a {trait} {genus} {verb} at {place} University in {year}."
        others = rng.sample([m for m in names if m != name], 3)
        text += f" It was strongly influenced by {others[0]}, which its authors had used for years."
        text += rng.choice([f" Its successor, {others[1]}, kept most of its ideas.", f" It is often compared with {others[1]}."])
        text += f" Users praised its {rng.choice(['speed', 'clarity', 'small size', 'documentation'])}. See also {others[2]}."
        entries.append({"id": f"dict:{name.lower()}", "title": name, "text": text})
    return entries


def write_dictionary(path: Path, n: int = 300, seed: int = 0) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in dictionary_entries(n, seed)), encoding="utf-8")
    return path


def write_docs_site(root: Path, modules: int = 150, seed: int = 0) -> Path:
    """A documentation site: library/<module>.html (title 'module — description — Kit 3.1 documentation'),
    library/<module>.<func>.html pages, tutorial/ and howto/ pages, linked with relative hrefs whose
    anchor text is the module or function name (never the full page title)."""
    rng = random.Random(seed)
    used: set[str] = set()
    mods = [_name(rng, used).lower() for _ in range(modules)]
    purposes = ["encoder and decoder", "file locking", "secure hashes", "date parsing", "thread pools", "socket servers",
                "archive reading", "terminal colors", "config files", "process pools", "binary packing", "text wrapping"]
    pages: dict[str, str] = {}

    def page(title: str, h1: str, body: str) -> str:
        return (f"<!DOCTYPE html><html><head><title>{title} &#8212; Kit 3.1 documentation</title>"
                f"<style>p {{color: red}}</style></head><body><div class='nav'><a href='../index.html'>index</a></div>"
                f"<h1>{h1}</h1>{body}</body></html>")

    for i, mod in enumerate(mods):
        purpose = purposes[i % len(purposes)]
        funcs = [f"{mod}.{_name(rng, used).lower()}" for _ in range(3)]
        peers = rng.sample([m for m in mods if m != mod], 2)
        year = rng.randrange(1998, 2024)
        body = (f"<p>The <code>{mod}</code> module provides {purpose} for Kit programs. It was added in version "
                f"{rng.randrange(1, 4)}.{rng.randrange(0, 12)} in {year}.</p>"
                f"<p>It builds on <a href='{peers[0]}.html'>{peers[0]}</a> and is often used with "
                f"<a href='{peers[1]}.html#usage'>the {peers[1]} module</a>.</p><ul>"
                + "".join(f"<li><a href='{f}.html'>{f}()</a>: a function of this module.</li>" for f in funcs) + "</ul>")
        pages[f"library/{mod}.html"] = page(f"{mod} &#8212; {purpose.capitalize()}", f"{mod} &#8212; {purpose.capitalize()}", body)
        for f in funcs:
            action = rng.choice(["returns", "raises", "reads", "writes", "formats"])
            kind = rng.choice(["function", "class", "coroutine function", "decorator", "context manager", "exception class"])
            fbody = (f"<p><code>{f}</code> is a {kind} of the {mod} module, added in {rng.randrange(1998, 2024)}.</p>"
                     f"<p><code>{f}(value)</code> {action} a value for the {purpose} of the "
                     f"<a href='{mod}.html'>{mod}</a> module.</p><p>See <a href='{rng.choice(mods)}.html'>another module</a>.</p>")
            pages[f"library/{f}.html"] = page(f"{f} &#8212; {action.capitalize()} values", f"{f} &#8212; {action.capitalize()} values", fbody)
    for i in range(modules // 2):
        mod = mods[i]
        pages[f"tutorial/part{i}.html"] = page(f"Part {i} &#8212; Working with {mod}", f"Part {i}",
                                               f"<p>This part of the tutorial walks through <a href='../library/{mod}.html'>{mod}</a>"
                                               f" with small examples.</p>")
        pages[f"howto/{mod}.html"] = page(f"{mod.capitalize()} HOWTO", f"{mod.capitalize()} HOWTO",
                                          f"<p>How to use <a href='../library/{mod}.html'>the {mod} module</a> well, "
                                          f"with <a href='../library/{mods[-1 - i]}.html'>{mods[-1 - i]}</a>.</p>")
    pages["index.html"] = page("Kit 3.1 documentation", "Kit documentation",
                               "".join(f"<p><a href='library/{m}.html'>{m}</a></p>" for m in mods))
    for rel, text in pages.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def write_hostile(path: Path, huge_words: int = 400_000) -> Path:
    """A dictionary corpus where some titles are symbols only (/, :-), ?, £), some texts are empty and one
    document is huge; the rest is an ordinary dictionary so candidates reach every stage."""
    entries = dictionary_entries(120, seed=3)
    titles = {e["title"] for e in entries}
    for e in entries:  # given links (the cross-references), so links to the symbol entries are not mined away
        e["links"] = [w.strip(".,") for w in e["text"].split() if w.strip(".,") in titles and w.strip(".,") != e["title"]]
    for i, symbol in enumerate(["/", ":-)", "?", "£", "...", "&&"]):
        others = [e["title"] for e in entries[i * 3 : i * 3 + 2]]
        entries.append({"id": f"sym{i}", "title": symbol, "text": f"{symbol} is a symbol used in mail. See also {others[0]} and {others[1]}.",
                        "links": others})
        for j in range(i * 5, i * 5 + 12):
            entries[j]["text"] += f" Its manual writes {symbol} often."
            entries[j]["links"].append(f"sym{i}")
    for i in range(4):
        entries.append({"id": f"empty{i}", "title": f"Empty{i}", "text": "", "links": [entries[i]["title"]]})
        entries[i + 40]["links"].append(f"empty{i}")
    words = " ".join(f"word{i % 5000}" for i in range(huge_words))
    entries.append({"id": "huge", "title": "Huge", "text": f"Huge is a very long file format. See also {entries[0]['title']}. {words}",
                    "links": [entries[0]["title"]]})
    entries[1]["links"].append("huge")
    path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return path


if __name__ == "__main__":
    kind, out = sys.argv[1], Path(sys.argv[2])
    if kind == "dictionary":
        write_dictionary(out, int(sys.argv[3]) if len(sys.argv) > 3 else 300)
    elif kind == "docs":
        write_docs_site(out)
    else:
        write_hostile(out)
    print(out)


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _b64(text: str) -> int:
    value = 0
    for ch in text:
        value = value * 64 + _B64.index(ch)
    return value


def foldoc_jsonl(dictionary: Path, index: Path, out: Path) -> Path:
    """A dictd dictionary (e.g. Debian's dict-foldoc: foldoc.dict.dz and foldoc.index, fetched by hand with
    `apt-get download dict-foldoc`) as a text-only JSONL corpus: one entry per definition, its headwords as
    title and aliases, the text without the {cross-reference} braces and <subject> tags (so nothing but the
    text says what an entry is). For the issue's figures by hand; the tests use `dictionary_entries`."""
    import gzip
    import re

    data = gzip.open(dictionary).read()
    blocks: dict[tuple[int, int], list[str]] = {}
    for line in index.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not parts[0].startswith("00-database"):
            blocks.setdefault((_b64(parts[1]), _b64(parts[2])), []).append(parts[0])
    lines = []
    for (offset, length), words in sorted(blocks.items()):
        raw = data[offset : offset + length].decode("utf-8", "replace")
        body = raw.split("\n\n", 1)[1] if "\n\n" in raw else raw
        heads = [h.strip() for h in raw.split("\n\n", 1)[0].splitlines() if h.strip()] or words
        text = re.sub(r"<[^>]{1,60}>\s*", "", body)
        text = re.sub(r"\{([^{}]*)\}", r"\1", text)
        text = re.sub(r"\(\d{4}-\d{2}-\d{2}\)\s*$", "", text.strip())
        text = " ".join(text.split())
        if text:
            lines.append(json.dumps({"id": f"foldoc:{offset}", "title": heads[0], "aliases": heads[1:4], "text": text}))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


MEASURE = """
import sys
from synth.cli import app

def peak():  # VmHWM: this program's own peak (ru_maxrss would keep the forking parent's across exec)
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])

base = peak()
try:
    app(sys.argv[1:], standalone_mode=True)
except SystemExit as exc:
    code = exc.code
print("RSS", base, peak(), code, file=sys.stderr)
"""


def measure_build(path: Path, cache: Path) -> tuple[int, int, str]:
    """(exit code, peak memory growth in bytes over the interpreter's, output) of `synth corpus build PATH`."""
    import os
    import subprocess

    done = subprocess.run([sys.executable, "-c", MEASURE, "corpus", "build", str(path)], capture_output=True, text=True,
                          env={**os.environ, "SYNTH_CACHE": str(cache)}, timeout=600)
    line = next(x for x in done.stderr.splitlines() if x.startswith("RSS"))
    _, base, peak, code = line.split()
    return int(code), (int(peak) - int(base)) * 1024, done.stdout + done.stderr
