"""Flag, in a review file written by `review_export.py`, the classes of faults the 60-question review of
issue 21 found (each flag is a heuristic a reader then checks):
  1 date     an event clue whose sentence's subject is not the entity, or whose number is a model number
  2 sense    a link whose target's title qualifier ('(music)') the source never says, or whose mention is
             glued to a lowercase noun after it ('Scale models', 'Shandong peninsula')
  3 listing  a hop through a document that only lists senses or points elsewhere ('1. ... 2. ...', 'See ...')
  4 relation a genus 'a kind of X' made from 'the study / group / body / family of X'
  5 garbled  a genus phrase that ends on an adjective, participle or preposition, or starts with a verb in -ing
  6 vague    an entity whose only clue is a one-word genus from a list of vague or relational nouns
  7 category a category quoted from a longer phrase ('the only English-speaking country in South America')
  8 cut      a genus cut short of its noun phrase: a plain noun or 'and <noun> <noun>' follows it in the text ('an oil'
             of 'oil painting', 'a research' of 'research and development organisation'), it is an evaluative word or
             an ordinal ('a huge', 'a second emperor'), or it is the last words of a site's description ('described as
             reading' of 'Archive reading'), or a clause's object ('described as classes' of 'a language integrating classes')
  9 relative a genus whose head says what the thing is to another ('an embodiment', 'a subset', 'a parallel version',
             'a maker', 'an umbrella term', 'a pivotal event')
 10 token    a link whose mention is part of a longer token ('CTC' in 'CTC++', 'OSF' in 'OSF/1'), the source's own
             leading abbreviation ('(DDN) A military ...'), or a border whose sentence is not the 'Border countries' line
 11 value    a date answer or date clue from a field stating two years ('4 October 1830 ...; 21 July 1831'), or a
             year window running past the corpus's latest year ('between 2020 and 2039')
`python tests/search/review_flags.py questions.jsonl [CORPUS_FILE_OR_FOLDER ...]` prints a count per class and each flag."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from synth.environments.search._corpus import load

VAGUE = {"combination", "extension", "section", "tool", "service", "project", "version", "state", "subregion", "successor",
         "model", "break", "effort", "shell", "bounce", "boot", "cross", "capital", "responsibility", "system", "method",
         "program", "process", "technique", "concept", "object", "entity", "thing", "item", "element", "component", "means",
         "approach", "idea", "product", "organisation", "organization", "structure", "region", "place", "person", "word",
         "term", "name", "device", "feature", "function", "facility", "package", "protocol", "standard", "format", "mechanism",
         "application", "language", "software", "routine", "procedure", "operation", "unit", "part", "piece", "member", "kind",
         "type", "form", "group", "set", "series", "collection", "family", "body", "branch", "study", "field", "area", "way",
         "abbreviation", "acronym", "prefix", "suffix", "variant", "implementation", "library", "interface", "exonym", "saint"}
RELATIONAL = ("study", "group", "family", "branch", "body", "set", "collection", "series", "class", "pair", "combination")
ADJECTIVE = re.compile(r"(?:al|ic|ous|ive|ful|less|able|ible|ary|-based|-level|-like|-oriented|-free|-specific|ed|ing|ent|ant|ar)$")
PREPOSITION = {"of", "in", "to", "for", "with", "by", "from", "on", "at", "as", "between", "local", "indigenous", "how", "what", "which"}
LISTING = re.compile(r"^\s*(?:1\.\s.*\b2\.\s|see\b|.{0,80}\bmay (?:also )?refer to\b)", re.IGNORECASE | re.DOTALL)
NOUNS = {"capital", "animal", "journal", "manual", "terminal", "signal", "protocol", "festival", "tribunal", "hospital", "arsenal", "mammal", "metal", "canal", "cathedral", "mineral", "general", "chemical", "republic", "mechanic", "relative", "objective", "native", "explosive", "detective", "archive", "directive", "student", "agent", "element", "parent", "president", "continent", "instrument", "plant", "giant", "merchant", "servant", "tenant", "infant", "variant", "star", "bar", "war", "calendar", "scholar", "dollar", "seminar", "pillar", "library", "dictionary", "boundary", "secretary", "century", "sanctuary", "glossary", "military", "monetary", "bed", "seed", "creed", "breed", "speed", "building", "painting", "king", "thing", "string", "ring", "wing", "spring", "meeting", "setting", "clothing"}
PRONOUN = {"it", "he", "she", "they", "its", "his", "her", "their"}
RELATIVE = {"subset", "superset", "replacement", "version", "embodiment", "arrangement", "term", "event", "maker", "community",
            "mode", "enhancement", "scheme", "development", "developments", "successor", "predecessor", "variant", "derivative",
            "improvement", "modification", "alternative", "equivalent", "counterpart", "example", "instance", "manifestation"}
EVALUATIVE = {"huge", "large", "small", "big", "vast", "major", "minor", "great", "new", "old", "main", "whole", "various"}
ORDINAL = {"second", "third", "fourth", "fifth", "last", "next", "former", "latter", "other", "only", "same"}
STOPS = {"of", "in", "by", "from", "for", "at", "on", "with", "to", "that", "which", "who", "whose", "where", "when", "as", "or",
         "is", "was", "are", "were", "has", "had", "and", "but", "than", "used", "known", "called", "based", "made", "written",
         "within", "into", "through", "across", "over", "under", "near", "between", "among", "during", "after", "before", "since",
         "until", "about", "against", "along", "around", "beyond", "without", "towards", "toward", "upon", "via", "per", "located",
         "active", "native", "endemic", "the", "a", "an", "its", "their", "his", "her", "can", "may", "will", "also", "not"}
ING_NOUN = ("building", "painting", "drawing", "string", "thing", "king", "ring", "wing", "setting", "meeting")
FUNCTION = {"the", "a", "an", "and", "or", "of", "in", "on", "at", "by", "for", "to", "is", "was", "are", "were", "has", "had",
            "have", "as", "with", "from", "which", "who", "that", "its", "his", "her", "their", "s"}


def listing(text: str) -> bool:
    """Whether a document only lists senses of a name or points to other entries."""
    return bool(LISTING.match(text[:600])) and len(text) < 1500


def flags(row: dict, corpus) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    by_id = corpus.by_id
    names = {d["id"]: by_id[d["id"]].name for d in row["evidence_documents"]}
    for clue in row["clues"]:
        text = by_id[clue["doc"]].text
        lo, hi = clue["span"]
        if clue["kind"] == "event":
            start = max(text.rfind(". ", 0, lo) + 2, text.rfind("\n", 0, lo) + 1, 0)
            verb = re.match(r"\w+", text[lo:hi])
            before = text[start:lo]
            clause = re.split(r",|;|\b(?:when|which|and|after|before|while|where|who|but)\b", before)[-1]
            words = {w.casefold() for w in re.findall(r"\w+", clause)}
            name = {w.casefold() for w in re.findall(r"\w+", names[clue["doc"]]) if len(w) > 3}
            year = re.search(r"\b(1[0-9]{3}|20[0-2][0-9])\b(\s+[a-z]+)?", text[lo:hi + 30])
            model = re.search(r"built-in|model|\bthe\s+\d{4}\b", text[max(0, lo - 5):hi]) or (
                year and year.group(2) and year.group(2).strip() not in FUNCTION | {"by", "until", "during", "when", "after"})
            subject = clause.strip() == "" or words & name or words & PRONOUN and not (words - PRONOUN - FUNCTION)
            if verb and verb.group(0).lower() in ("born", "died") and lo < 300:
                subject = True
            if model or not subject:
                out.append((1, f"{clue['subject']}: {clue['text']!r} from {text[start:hi]!r}"))
        if clue["kind"] == "genus":
            value = clue["text"].split(" is ", 1)[-1].split(" was ", 1)[-1]
            lead = text[max(0, lo - 40):lo].casefold()
            if "a kind of" in value and re.search(rf"\b(?:{'|'.join(RELATIONAL)})\s+of\s+(?:the\s+|a\s+|an\s+)?$", lead):
                out.append((4, f"{clue['subject']}: {clue['text']!r} from {text[max(0, lo - 40):hi]!r}"))
            words = re.sub(r"^(?:described as|an?|a kind of)\s+", "", value).split()
            if words and (ADJECTIVE.search(words[-1]) and words[-1] not in NOUNS and not words[-1].endswith(("ing", "er", "ent", "ant")) or words[-1] in PREPOSITION
                          or (words[0].endswith("ing") and len(words) > 1 and words[1] in PREPOSITION) or text[hi:hi + 1] == ","):
                if not re.search(r"\b\w+\s*$", text[lo:hi]) or (ADJECTIVE.search(words[-1]) and words[-1] not in NOUNS) or words[-1] in PREPOSITION or words[0].endswith("ing"):
                    out.append((5, f"{clue['subject']}: {clue['text']!r} from {text[max(0, lo - 20):hi + 25]!r}"))
        if clue["kind"] == "genus":
            value = re.sub(r"^.*? (?:is|was) (?:described as |a kind of |an? |the )?", "", clue["text"])
            words = value.split()
            after = re.match(r"\s+(?:and\s+([a-z][\w-]*)\s+([a-z][\w-]*)(?=\s*[,.;:(]|\s+(?:that|which|who|of|in|for|with|by)\b)"
                             r"|([a-z][\w-]*))", text[hi:hi + 80])
            doc = by_id[clue["doc"]]
            before = re.findall(r"[\w'’-]+", text[max(0, lo - 30):lo])
            cut = None
            if after and after.group(3) and after.group(3) not in STOPS and after.group(3) not in PRONOUN and not after.group(3).endswith(("ly", "ed", "en")) \
                    and not (ADJECTIVE.search(after.group(3)) and after.group(3) not in NOUNS and not after.group(3).endswith("ing")) \
                    and not (after.group(3).endswith("ing") and after.group(3) not in ING_NOUN) and after.group(3) not in PREPOSITION:
                cut = f"followed by {after.group(3)!r}"
            elif after and after.group(1) and after.group(2) not in STOPS and not ADJECTIVE.search(after.group(2)):
                cut = f"followed by 'and {after.group(1)} {after.group(2)}'"
            elif words and (words[0] in ORDINAL or (len(words) == 1 and words[0] in EVALUATIVE)):
                cut = "an evaluative word or an ordinal"
            elif doc.category and value.casefold() != doc.category.casefold() and (doc.category.casefold().endswith(" " + value.casefold())
                                                                                  or doc.category.casefold().startswith(value.casefold() + " ")):
                cut = f"part of the description {doc.category!r}"
            elif before and before[-1].endswith("ing") and before[-1] not in ING_NOUN and len(before) > 1 \
                    and not ADJECTIVE.search(before[-2]) and before[-2].casefold() not in FUNCTION:
                cut = f"the object of {before[-2]} {before[-1]!r}"
            if cut:
                out.append((8, f"{clue['subject']}: {clue['text']!r} ({cut}) from {text[max(0, lo - 30):hi + 30]!r}"))
            if words and words[-1] in RELATIVE:
                out.append((9, f"{clue['subject']}: {clue['text']!r} from {text[max(0, lo - 20):hi + 25]!r}"))
        if clue["kind"] in ("date_range", "event", "year_range"):
            line = text[lo:hi] if clue["kind"] == "date_range" else ""
            if len(set(re.findall(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b", line))) > 1:
                out.append((11, f"{clue['subject']}: {clue['text']!r} from a line stating two years: {line[:120]!r}"))
            window = re.search(r"between (\d{4}) and (\d{4})|from (\d{4}) to (\d{4})", clue["text"])
            if window and int(window.group(2) or window.group(4)) > latest(corpus):
                out.append((11, f"{clue['subject']}: {clue['text']!r} runs past the corpus's latest year {latest(corpus)}"))
        if clue["kind"] == "category":
            before = text[max(0, lo - 25):lo]
            if not re.search(r"(?:^|\n|:\s*|\ban?\s+|\bthe\s+)$", before):
                out.append((7, f"{clue['subject']}: {clue['text']!r} from {text[max(0, lo - 30):hi]!r}"))
    subjects: dict[str, list[dict]] = {}
    for clue in row["clues"]:
        subjects.setdefault(clue["subject"], []).append(clue)
    for subject, own in subjects.items():
        if len(own) == 1 and own[0]["kind"] == "genus":
            head = own[0]["text"].split()[-1]
            if len(own[0]["text"].split(" is ", 1)[-1].split()) <= 2 and head in VAGUE or own[0]["text"].endswith(tuple(f"a {v}" for v in ("state", "subregion"))):
                out.append((6, f"{subject}: only {own[0]['text']!r}"))
    for link in row["links"]:
        source, target = by_id[link["source"]], by_id[link["target"]]
        qualifier = re.search(r"\(([^)]*)\)\s*$", target.title)
        if qualifier:
            stems = [w[:5].casefold() for w in re.findall(r"[A-Za-z]{3,}", qualifier.group(1))]
            if stems and not any(s in source.text.casefold() for s in stems):
                out.append((2, f"{link['source_title']} -> {link['target_title']} (qualifier unsaid): {link['mention']!r}"))
                continue
        at = link["sentence"].find(link["mention"])
        after = re.match(r"\s([a-z][\w-]*)", link["sentence"][at + len(link["mention"]):]) if at >= 0 else None
        if after and link["mention"][:1].isupper() and after.group(1) not in FUNCTION and not re.search(r"ed$|ly$", after.group(1)) \
                and after.group(1) not in {"is", "was", "became", "remains", "has", "can", "will", "would", "may", "did", "does", "said"}:
            out.append((2, f"{link['source_title']} -> {link['target_title']}: {link['mention']!r} + {after.group(1)!r}"))
    for link in row["links"]:
        source = by_id[link["source"]]
        at = source.text.find(link["sentence"]) if link["sentence"] else -1
        spot = source.text.find(link["mention"], max(at, 0))
        if spot >= 0:
            glued_after = re.match(r"\+|[/.#-](?=[A-Za-z0-9])(?!-?[a-z]{2,})|/\d|\.\d|-(?=\d|[A-Z])", source.text[spot + len(link["mention"]):])
            glued_before = re.search(r"(?:[+/#]|\w[.-]|\w\+)$", source.text[:spot])
            if glued_after or glued_before:
                out.append((10, f"{link['source_title']} -> {link['target_title']}: {link['mention']!r} inside "
                                f"{source.text[max(0, spot - 5):spot + len(link['mention']) + 5]!r}"))
        lead = re.split(r"(?<=[.!?])\s", source.text[:300], maxsplit=1)[0]
        if re.search(rf"\({re.escape(link['mention'])}\)", lead):
            out.append((10, f"{link['source_title']} -> {link['target_title']}: the source's own abbreviation {link['mention']!r}"))
        if link["relation"] == "borders" and not link["sentence"].startswith("Border countries"):
            out.append((10, f"{link['source_title']} -> {link['target_title']}: border evidenced by {link['sentence'][:80]!r}"))
    if row.get("answer_type") == "date":
        year = str(row["answer"])[:4]
        for d in row["evidence_documents"]:
            for line in by_id[d["id"]].text.splitlines():
                if year in line and len(set(re.findall(r"\b1[0-9]{3}\b|\b20[0-9]{2}\b", line))) > 1 and re.match(r"[A-Z][\w ]+: ", line):
                    out.append((11, f"date answer {row['answer']!r} from a field stating two: {line[:100]!r}"))
    for d in row["evidence_documents"][1:]:
        if listing(by_id[d["id"]].text):
            out.append((3, f"hop through {d['title']!r}: {by_id[d['id']].text[:80]!r}"))
    return out


_LATEST: dict[int, int] = {}


def latest(corpus) -> int:
    """The corpus's latest year (no later than this year)."""
    import datetime

    if id(corpus) not in _LATEST:
        years = [int(y) for d in corpus.documents for y in re.findall(r"\b(?:1[0-9]{3}|20[0-2][0-9])\b", d.text)]
        _LATEST[id(corpus)] = min(max(years, default=datetime.date.today().year), datetime.date.today().year)
    return _LATEST[id(corpus)]


def main(path: str, *sources: str) -> Counter:
    """`sources`: the files or folders of the corpora that are not built in (matched to a row by their name)."""
    from pathlib import Path

    by_name = {Path(s).name: s for s in sources}
    corpora: dict[str, object] = {}
    counts: Counter = Counter()
    for n, line in enumerate(open(path, encoding="utf-8")):
        row = json.loads(line)
        name = row["corpus"]
        if name not in corpora:
            corpora[name] = load(name if name in ("wiki", "factbook") else by_name.get(name, sources[0] if len(sources) == 1 else name))
        for cls, what in flags(row, corpora[name]):
            counts[cls] += 1
            print(f"[{cls}] #{n} {name} {row['answer']}: {what}")
    print("per class:", {c: counts[c] for c in range(1, 12)})
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:])
