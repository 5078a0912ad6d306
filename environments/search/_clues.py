"""Clues: facts about one document that a question states without naming it, each a predicate the
generator evaluates over the whole corpus.

Sits under question synthesis (`_programmatic.py`). A `Clue` has a kind, parameters and a
subject label ("the answer", "X1", ...); `Features` precomputes, once per corpus, the sets that
answer every clue kind, so the set of documents satisfying a clue is a lookup and uniqueness of an
answer is exact: every document of the corpus is an alternative candidate checked against every
clue. Clues obfuscate: ranges instead of numbers and years, the first letters of a name instead of
the name, a kind of thing instead of an entity.
"""

from __future__ import annotations

import datetime
import random
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from synth.verifiers.search import normalize

from ._corpus import Corpus, Document

_THIS_YEAR = datetime.date.today().year
YEAR = re.compile(r"\b(1[0-9]{3}|20[0-2][0-9])\b")
NOUN = {"wiki": "article", "factbook": "entry"}
"""What a document of a corpus is called in questions."""
RELATION_TEXT = {
    "mentions": "{s}'s {noun} mentions {t} by name",
    "borders": "{s} borders {t}",
    "links to": "{s}'s {noun} links to {t}'s {noun}",
}
TOPIC_LABEL = {"factbook": "government type"}
SURFACE = frozenset({"name_prefix", "name_words", "year_range", "capital_prefix"})
"""Clue kinds that state letters, lengths or a bare year of the text, not a fact about the entity:
off by default (`--surface-clues` allows one per question)."""
EVENT_TEXT = {"born": "was born", "died": "died", "independence": "became independent", "formed": "was formed"}
EVENT = re.compile(
    r"\b(born|founded|established|formed|released|published|built|completed|launched|discovered|invented|introduced|"
    r"designed|premiered|opened|signed|died|added|created)\b(?:[^.;\n]|\.(?=\d)){0,50}?\b(1[0-9]{3}|20[0-2][0-9])\b", re.IGNORECASE)
LIFESPAN = re.compile(r"\(([^()]{0,40}?\b(1[0-9]{3}|20[0-2][0-9]))\s*[–—-]")
_COPULA = re.compile(r"\b(is|was|are|were)\s+(a|an|the)\s+", re.IGNORECASE)
_ADVERB = re.compile(r"^(?!(?:family|assembly|anomaly|monopoly|butterfly|supply|italy|ally|rally|jelly|belly|lily|folly|bully|"
                     r"homily|melancholy|oligopoly|polyfly)$)[a-z]{3,}ly$")
_ACTIVE = re.compile(r"\s+(?:(?:[Tt]he|[Aa]n?|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir|[Tt]his|[Tt]hat|[Tt]hese|several|many|some|two|three)\b|[A-Z\"“])")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATED = re.compile(rf"(?:\b(?:in|on|of|since|around|circa|c\.|by|from|until|during|born|died|founded|released|established|"
                    rf"published|built|completed|launched|opened|formed|introduced|designed|created|added)\s+(?:(?:early|late|mid)-?\s*)?"
                    rf"|\b(?:{_MONTHS})\s+(?:\d{{1,2}},?\s+)?|\b\d{{1,2}}\s+(?:{_MONTHS})\s+)$")
_NEXT_STOP = re.compile(r"\s+(?:from|in|of|with|to|by|at|on|for|into|as|how|what|whether|that|which|the|a|an|its|their)\b")
_DEFINITION = re.compile(r"(?:\([^)]{0,40}\)\s*)?(?:A|An)\s+")
_PARTICIPLE = {"found", "known", "made", "built", "written", "held", "born", "spoken", "used", "seen", "given", "taken", "grown",
               "sold", "kept", "led", "run", "set", "spread", "have", "has", "had", "can", "will", "may", "consisting", "including",
               "comprising", "being", "having", "dealing", "relating", "concerning", "involving", "containing", "describing",
               "covering", "featuring", "using", "worn", "consists", "includes", "contains", "refers", "means", "covers", "describes",
               "involves", "uses", "forms", "makes", "takes", "comprises", "represents", "lies", "runs", "serves", "occurs", "fought", "taught",
               "brought", "bought", "thought", "sought", "caught", "won", "begun", "drawn", "shown", "flown", "chosen", "driven", "sung",
               "struck", "sent", "spent", "lost", "told", "meant", "left", "felt", "dug", "hung", "woven", "frozen", "stolen", "providing", "allowing", "enabling", "giving", "making", "taking", "regarding", "representing", "serving", "spanning"}
_STOP = {"of", "in", "by", "from", "for", "at", "on", "with", "to", "that", "which", "who", "whose", "during", "between", "and",
         "or", "as", "where", "when", "since", "after", "before", "under", "near", "about", "into", "than", "based", "known",
         "used", "located", "made", "called", "named", "written", "directed", "produced", "first", "most", "best", "largest",
         "the", "a", "an", "within", "its", "their", "his", "her", "through", "across", "over", "per", "each", "every", "such",
         "similar", "different", "various", "several", "like", "unlike", "than", "but", "not", "along", "alongside", "beside",
         "besides", "around", "among", "amongst", "amid", "throughout", "beyond", "inside", "outside", "upon", "toward", "towards",
         "against", "behind", "below", "above", "beneath", "via", "off", "onto", "past", "till", "without", "despite"}
_VAGUE = {"group", "type", "kind", "form", "member", "part", "one", "series", "set", "list", "term", "name", "number",
          "collection", "class", "branch", "field", "area", "study", "way", "piece", "variety", "sort", "range", "unit", "body",
          "thing", "person", "people", "work", "family", "genus", "species", "phrase"}
_KIND = {"kind", "type", "form", "sort", "variety"}
"""'a kind of fish' is a fish: the genus is the complement, said as 'a kind of'."""
_MEASURE = {"quantity", "amount", "mass", "accumulation", "line", "sheet", "layer", "volume", "sequence", "mixture", "array",
            "batch", "bundle", "heap", "pile", "fraction", "proportion", "degree", "extent"}
"""Heads that measure or hold something ('a line of smartphones', 'an accumulation of debris', 'a mass of ice', 'a quantity'):
alone they say no kind of thing; with 'of Y' the genus is the whole phrase, as for 'the study of X'."""
_RELATIONAL = {"study", "group", "family", "branch", "body", "set", "collection", "series", "class", "pair", "combination",
               "list", "range", "system", "suite", "network", "union", "federation", "league", "alliance", "chain", "cluster"} | _MEASURE
"""'the study of computation' is no computation: the genus is the whole phrase 'study of computation'."""
_THE = {"study"}
"""Only 'the study of X' is said with 'the'; 'a branch of mathematics', 'a body of water' keep 'a' as their texts do."""
_VAGUE_HEAD = {"combination", "extension", "section", "tool", "service", "project", "version", "state", "subregion", "successor",
               "model", "break", "effort", "shell", "bounce", "boot", "cross", "capital", "responsibility", "standard", "technique",
               "method", "concept", "thing", "item", "element", "component", "means", "approach", "idea", "product", "structure",
               "region", "place", "entity", "object", "word", "device", "feature", "function", "facility", "package", "mechanism",
               "application", "program", "procedure", "operation", "process", "routine", "abbreviation", "acronym", "variant",
               "implementation", "interface", "name", "term", "member", "part", "one", "piece", "unit", "field", "area", "way",
               "person", "people", "work", "genus", "species", "phrase", "number", "exonym", "saint", "character", "style",
               "situation", "condition", "case", "result", "effect", "use", "example", "instance", "aspect", "matter", "issue",
               "problem", "solution", "change", "event", "act", "action", "activity", "practice", "property", "quality", "value",
               "measure", "level", "point", "stage", "step", "period", "time", "suffix", "prefix", "vendor", "accessory"} | _MEASURE
_BARE_HEAD = {"agency", "organisation", "organization", "institution", "authority", "establishment", "partner", "passing"}
"""Heads that say what a thing does for others, not what it is, when nothing qualifies them ('an agency', 'a partner',
'the passing of traits'): refused alone, kept with a modifier ('a government agency', 'a research and development organisation')."""
_RELATIVE_HEAD = {"subset", "superset", "replacement", "version", "embodiment", "arrangement", "term", "event", "maker",
                  "community", "mode", "enhancement", "scheme", "branch", "development", "developments", "successor", "predecessor",
                  "variant", "derivative", "descendant", "offshoot", "improvement", "modification", "adaptation",
                  "alternative", "equivalent", "counterpart", "generalisation", "generalization", "specialisation", "example",
                  "instance", "manifestation", "expression", "incarnation", "aspect", "portion", "fragment", "vendor", "supplier"}
"""Heads that say what the thing is to another thing ('a subset of Ada', 'a disk drive maker', 'a parallel version of C',
'the embodiment of a style', 'an umbrella term'): no kind of thing to search for, with or without a modifier."""
_ORDINAL = {"second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "last", "next", "former",
            "latter", "previous", "earlier", "later", "current", "present", "final", "other", "another", "same", "only", "sole"}
"""Words that place the thing in a sequence, not in a kind ('a second emperor' is an emperor)."""
_ING_NOUN = {"painting", "building", "drawing", "recording", "setting", "meeting", "clothing", "wedding", "ring",
             "king", "thing", "string", "spring", "wing", "ceiling", "engraving", "carving", "opening", "crossing", "housing",
             "binding", "dumpling", "pudding", "sibling", "dwelling", "lodging", "earring", "landing", "filling", "heading",
             "mapping", "encoding", "rendering", "fitting", "bearing", "coating", "casing", "etching", "sketching",
             "writing", "teaching", "uprising", "gathering", "hearing", "ruling", "finding", "blessing", "feeling"}
"""Words in -ing that name a thing ('an oil painting by'), not a participle starting a clause."""
_ING_VERB = re.compile(r"(?:ating|izing|ising|ifying|supporting|implementing|combining|extending|connecting|linking|handling|"
                       r"managing|controlling|producing|performing|holding|carrying|adding|joining|merging|mixing|replacing|"
                       r"offering|enabling|allowing|providing|giving|making|taking|having|being)$")
"""An -ing word of a verb after a noun starts a clause ('a language integrating classes with objects')."""
"""A one-word genus that says too little to search for or to tell what is sought ('a tool', 'a service');
with a modifier it can stay ('a build tool', 'a programming language')."""
_ADJECTIVE = re.compile(r"(?:al|ic|ous|ive|ful|less|able|ible|-rich|ose|-based|-level|-oriented|-like|-specific|-free|-wide|-scale|"
                        r"-related|-speaking|-born|-down|-up|-level|-end|ed)$")
_NOUN_AL = {"capital", "animal", "journal", "manual", "terminal", "signal", "festival", "tribunal", "hospital", "arsenal", "mammal",
            "metal", "canal", "cathedral", "mineral", "general", "chemical", "republic", "mechanic", "relative", "objective",
            "native", "explosive", "detective", "archive", "directive", "protocol", "seed", "bed", "creed", "breed", "speed",
            "ritual", "portal", "rival", "pedal", "crystal", "interval", "principal", "cereal", "criminal", "official", "editorial",
            "periodical", "tutorial", "musical", "rational", "numeral", "spiral", "moral", "total", "cardinal", "arrival", "proposal",
            "survival", "approval", "renewal", "tribal", "epic", "logic", "music", "magic", "topic", "clinic", "graphic", "tactic",
            "critic", "fabric", "lyric", "mosaic", "traffic", "arithmetic", "rhetoric", "panic", "comic", "public", "fiction",
            "classic", "cleric", "picnic", "tonic", "arabic", "plastic", "electronic", "electric"}
_POSTPOSITIVE = {"native", "endemic", "indigenous", "local", "common", "unique", "peculiar", "adjacent", "equivalent", "similar", "related"}
"""Adjectives that follow their noun when a complement follows them ('a mushroom native to East Asia')."""
_EVALUATIVE = {"diverse", "large", "small", "major", "minor", "wide", "broad", "various", "general", "common", "important",
               "particular", "certain", "new", "old", "great", "main", "single", "whole", "loose", "vast", "distinct", "big", "huge",
               "significant", "notable", "famous", "key", "basic", "simple", "special", "typical", "usual", "standard"}
"""Modifiers that say nothing about the kind of thing: 'a diverse group', 'a large number' are as vague as 'a group'."""
_EVALUATIVE_ONLY = _EVALUATIVE - {"key", "standard", "special", "basic", "common", "general", "major", "minor", "main", "single",
                                  "whole", "simple", "particular", "typical", "usual", "new", "old", "key", "famous", "notable"}
"""Words that are only adjectives: 'a huge' names nothing ('a standard', 'a key', 'a general' are nouns too)."""
_ACTIVITY = re.compile(r"(?:ment|tion|sion|ing|ware|ance|ence|ysis|ics|ogy|ry)$")
_ACTIVITY_WORDS = {"research", "design", "query", "report", "sound", "speech", "data", "text", "image", "video", "audio", "file",
                   "input", "output", "command", "control", "test", "security", "safety", "trade", "health", "power", "energy",
                   "oil", "gas", "water", "food", "art", "science", "music", "print", "sales", "service", "support", "repair"}
"""What names an activity or a matter ('research', 'development', 'hardware', 'analysis'): coordinated before a noun,
two of them are its modifiers ('a research and development organisation', 'a hardware and software company')."""
_HEAD_NOUN = {"application", "paper", "interface", "company", "firm", "corporation", "foundry", "house", "language", "library", "machine", "system", "bus", "database",
              "framework", "tool", "program", "editor", "compiler", "interpreter", "format", "protocol", "network", "computer",
              "processor", "device", "operating", "kit", "glove", "glossary", "dictionary", "book", "journal", "magazine"}
"""A noun that is the head of its own conjunct ('a company and systems integrator', 'a language and database system'): the
coordination is of two kinds of thing, not of two modifiers ('a research and development organisation')."""
_LISTED = ("Languages", "Religions", "Location")
_NOT_ITEMS = {"other", "none", "unspecified", "unknown", "note", "note:", "official", "and", "see", "mixed"}


_NOUN_ARY = {"library", "dictionary", "boundary", "secretary", "anniversary", "missionary", "commentary", "summary", "salary",
             "glossary", "sanctuary", "diary", "granary", "aviary", "itinerary", "vocabulary", "capillary", "luminary", "emissary",
             "adversary", "mercenary", "visionary", "dignitary", "functionary", "notary", "estuary", "obituary", "seminary",
             "documentary", "beneficiary", "military", "revolutionary", "secondary", "primary", "dromedary", "apothecary",
             "rosary", "bestiary", "breviary", "formulary", "reliquary", "cemetery", "monastery", "artery", "battery", "lottery"}


def _adjective(word: str) -> bool:
    if word.endswith("ary") and len(word) > 5:  # 'a literary and religious figure': 'literary' is no kind of thing
        return word not in _NOUN_ARY
    return bool(_ADJECTIVE.search(word)) and word not in _NOUN_AL and not word.endswith(("eed", "ied"))


def _conjunct(lead: str, at: int) -> list[tuple[str, int, int]]:
    """The plain lowercase words of a coordination's second conjunct, from `at` to the first other word, with
    their spans in `lead`."""
    words: list[tuple[str, int, int]] = []
    for m in re.finditer(r"[\w'’-]+|[^\w\s]", lead[at:]):
        word = m.group(0)
        if not re.fullmatch(r"[a-z][a-z-]*", word) or word in _STOP or word in _PARTICIPLE or _ADVERB.search(word):
            break
        words.append((word, at + m.start(), at + m.end()))
    return words


def genus_of(text: str, limit: int = 400) -> tuple[str, str, bool, int, int] | None:
    """The kind of thing a text's first sentence says its subject is, generalised one level:
    'X is a Hungarian composer and pianist' -> 'composer'; 'X is a functional programming language' ->
    'programming language'; 'X is a type of fish' -> 'fish' (kind_of); 'X is the study of computation' ->
    'study of computation' (a relational noun keeps its complement: the study of a thing is no such thing).
    A phrase never ends on an adjective or a participle, a one-word genus that says too little ('a tool',
    'a service', 'a cross') is none. Returns (value, verb, kind_of, start, end) with the span of the words
    in the text, or None."""
    lead = text[:limit]
    first = lead.split(". ")[0] + "."
    match = _COPULA.search(first) if lead else None
    definition = _DEFINITION.match(lead)
    if match is not None and definition is not None and re.search(r"\b(?:where|which|that|whose|who|when|if)\b", lead[: match.start()]):
        match = None  # 'A form of multitasking where it is the responsibility of...': the definition, not a copula inside it
    elif match is not None:
        definition = None
    if match is None and definition is None:
        return None
    verb = "was" if match is not None and match.group(1).lower() in ("was", "were") else "is"
    start = match.end() if match is not None else definition.end()  # type: ignore[union-attr]
    if skip := re.match(r"(?:(?:[a-z][\w-]*\s+)?[a-z][\w-]*,\s+)+(?:[a-z]{3,}ly\s+)?", lead[start:]):
        start += skip.end()  # 'a high-level, general-purpose programming language': the noun after the list of adjectives
    kind_of = False
    relation: tuple[str, int] | None = None  # a relational head before 'of' ('study', its start)
    for _ in range(2):
        words = []
        stop: re.Match[str] | None = None
        for m in re.finditer(r"[\w'’-]+|[^\w\s]", lead[start:]):
            word = m.group(0)
            if not re.fullmatch(r"[\w'’-]+", word) or word.casefold() in _STOP:
                stop = m
                break
            if words and word not in _ING_NOUN and _ING_VERB.search(word) and not _adjective(words[-1][0]) \
                    and re.match(r"\s+(?:[a-z]+[^s\W]s\b|(?:the|a|an|its|their|his|her|[A-Z]))", lead[start + m.end():]):
                break  # 'a distributed language integrating classes with ...': a clause, not 'integrating classes'
            if words and ((word.casefold() in _PARTICIPLE and not re.match(r"\s+of\b", lead[start + m.end():])) or (word.endswith("ed") and len(word) > 4 and word[:1].islower() and "-" not in word
                                                             and not re.match(r"\s+(?!(?:[a-z]+ly|" + "|".join(_STOP) + r")\b)[a-z]{3,}\b",
                                                                              lead[start + m.end():]))):
                break  # 'a system designed for', not 'logic integrated circuits' (an -ed word before a noun is its modifier)
            if _ADVERB.search(word) or (words and word.endswith("ing") and word not in _ING_NOUN and _NEXT_STOP.match(lead, start + m.end())):
                break
            words.append((word, start + m.start(), start + m.end()))
            if len(words) > 8:
                break
        kept = [w for w in words if w[0][:1].islower() and w[0].isascii() and re.fullmatch(r"[a-z][a-z-]*", w[0]) and not w[0].endswith("-born")]
        # a capitalised word or a figure in between ends the phrase before it (the head is the last run of plain words)
        run: list[tuple[str, int, int]] = []
        for w in words:
            if w in kept:
                run.append(w)
            else:
                run = []
        while len(run) > 1 and run[-1] is words[-1] and (_adjective(run[-1][0]) or (
                run[-1][0] in _POSTPOSITIVE and re.match(r"\s+(?:to|in)\b", lead[run[-1][2]:]))):
            run = run[:-1]  # 'a language family indigenous to': the noun before a postpositive adjective
            words = words[: words.index(run[-1]) + 1]
        while len(run) > 1 and (run[0][0] in _ORDINAL or re.fullmatch(r"[a-z]+-[a-z]+est|[a-z]{4,}most", run[0][0])):
            run = run[1:]  # 'a second emperor' is an emperor, 'the fifth-longest river' a river, 'the southernmost region' a region
        if not run or run[-1][0] in _ORDINAL or run[-1][0] in _EVALUATIVE_ONLY:
            return None  # 'a huge', 'a second': no noun
        if stop is not None and stop.group(0).casefold() == "and" and run[-1] is words[-1] and not _adjective(run[-1][0]) \
                and relation is None and not kind_of and start + stop.start() - run[-1][2] <= 1 and run[-1][0] not in _HEAD_NOUN \
                and (_ACTIVITY.search(run[-1][0]) or run[-1][0] in _ACTIVITY_WORDS):
            # 'a research and development organisation': the coordination is of modifiers when the second conjunct
            # runs on to a noun of its own; the head is that noun ('a composer and pianist' stays 'composer')
            after = _conjunct(lead, start + stop.end())
            clause = next((i for i, w in enumerate(after) if i and w[0].endswith("ing") and w[0] not in _ING_NOUN), len(after))
            after = after[:clause]  # 'a research and development organisation providing ...': the conjunct ends at the clause
            if len(after) == 2 and not _adjective(after[0][0]) and not _adjective(after[-1][0]) \
                    and not any(re.search(r"[^s]s$", w[0]) for w in after) and after[-1][0] not in (_VAGUE | _VAGUE_HEAD | _RELATIVE_HEAD):
                value = re.sub(r"\s+", " ", lead[run[-1][1] : after[-1][2]]).casefold()
                return value, verb, False, run[-1][1], after[-1][2]
        if stop is not None and stop.group(0).casefold() in ("and", "or") and run[-1] is words[-1] and relation is None \
                and start + stop.start() - run[-1][2] <= 1 and len(_conjunct(lead, start + stop.end())) >= 3:
            return None  # 'the nature and landscape conservation area': modifiers coordinated before a head of their own, not 'a nature'
        if run[0][0].endswith("ing") and run[0] is words[0] and len(run) > 1 and run[1][0] in ("how", "what", "whether"):
            return None  # 'a specifying how': a verb, not a kind of thing
        if run[0][0].endswith("ing") and run[0] is words[0] and len(run) > 1 and not relation and run[0][0] in _PARTICIPLE:
            return None  # 'a providing compatibility': a verb, not a kind of thing
        head = run[-1][0]
        if head in (_VAGUE | _KIND | _RELATIONAL) and len(run) == 1 and run[-1] is words[-1] and relation is None and not kind_of:
            rest = lead[run[-1][2]:]
            nxt = re.match(r"\s+of\s+(?:the\s+|a\s+|an\s+)?", rest)
            if nxt and head in _KIND:
                start, kind_of = run[-1][2] + nxt.end(), True
                continue
            if nxt and head in _RELATIONAL:
                start, relation = run[-1][2] + nxt.end(), (head, run[-1][1])
                continue
            return None
        if len(head) < 3 or _adjective(head) or (len(run) == 1 and re.match(r"\s*,", lead[run[-1][2]:]) and relation is None):
            return None  # an adjective with no noun after it ('a spherical', 'a compact, polymorphically typed ...')
        if relation is not None:
            value = re.sub(r"\s+", " ", lead[relation[1] : run[-1][2]]).casefold()
            return value, verb, False, relation[1], run[-1][2]
        chosen = run[-2:]
        value = " ".join(w[0] for w in chosen)
        if len(chosen) == 2 and lead[chosen[0][1]:chosen[1][2]] != value:
            chosen = chosen[-1:]
            value = chosen[0][0]
        if len(chosen) == 1 and (head in _VAGUE_HEAD or head in _VAGUE or head in _BARE_HEAD) and not kind_of:
            return None
        if len(chosen) == 1 and match is not None and match.group(2).lower() == "the" and re.match(r"\s+of\b", lead[chosen[0][2]:]) \
                and not kind_of:
            return None  # 'the speed of light', 'the emission of electrons': a relation to its complement, no kind of thing
        if head in _RELATIVE_HEAD and not kind_of:
            return None  # 'a parallel version', 'an umbrella term', 'the embodiment', 'a disk drive maker': no kind of thing
        if re.search(r"[^suio]s$", head) and not head.endswith(("ics", "series", "species", "news", "ys", "as")) and not kind_of \
                and (match is None or match.group(1).lower() in ("is", "was")):
            return None  # 'X is the theoretical developments needed to ...': a plural said of one thing is no kind of it  # 'a tool', 'a service': nothing to search for, nothing that says what is sought
        if len(chosen) == 2 and chosen[0][0].casefold() in _EVALUATIVE and head in (_VAGUE_HEAD | _VAGUE | _RELATIONAL | _KIND):
            return None  # 'a diverse group', 'a large number': an evaluative word before a vague noun says no more
        return value.casefold(), verb, kind_of, chosen[0][1], chosen[-1][2]
    return None


_SENSES = {"system", "program", "process", "object", "organisation", "organization", "protocol", "standard", "format", "language",
           "software", "library", "interface", "engine", "network", "model", "code", "board", "bank", "cell", "court", "party"}
"""Heads that alone name several kinds of thing ('a library': books or code; 'a language': spoken or programmed): a genus is
not broadened to them (the reading of 60 questions counts 'X1 is a library' as vague)."""


def broader(text: str, genus: tuple[str, str, bool, int, int] | None) -> tuple[str, str, bool, int, int] | None:
    """The head noun of a genus of several words, as a genus of its own ('a stringed instrument' -> 'an
    instrument'), or None: for a one-word genus, a relational one ('the study of computation'), or a head that
    says too little alone ('a tool', 'a native')."""
    if genus is None:
        return None
    value, verb, kind_of, start, end = genus
    words = value.split()
    head = words[-1]
    if len(words) < 2 or " of " in f" {value} " or len(head) < 4 or not re.fullmatch(r"[a-z]+", head) or _adjective(head) \
            or re.search(r"(?:ing|[^sui]s)$", head) \
            or head in (_VAGUE_HEAD | _VAGUE | _KIND | _RELATIONAL | _SENSES | _BARE_HEAD | {"native", "based", "born"}):
        return None
    if text[end - len(head) : end].casefold() != head:
        return None
    return head, verb, kind_of, end - len(head), end


_LISTING = re.compile(r"\s*(?:1\.\s.*\b2\.\s|see\b|.{0,80}\bmay (?:also )?refer to\b)", re.IGNORECASE | re.DOTALL)


def listing(text: str) -> bool:
    """Whether a document only lists senses of a name or points to other entries ('USB: 1. Universal Serial Bus.
    2. Upper Side-Band modulation.', 'Markov: See Andrei Markov, Markov chain'): a walk never steps through one,
    since the sense it leaves by need not be the sense it came in by."""
    return len(text) < 1500 and bool(_LISTING.match(text[:600]))


_DEMONYM = re.compile(r"[A-Z][a-z]+(?:an|ian|ese|ish|ch)$")


def qualifier_of(text: str, genus: tuple[str, str, bool, int, int] | None) -> tuple[str, int, int] | None:
    """The demonym the first sentence puts before the genus ('a Hungarian composer' -> 'Hungarian'), with its span."""
    if genus is None:
        return None
    before = text[max(0, genus[3] - 60) : genus[3]]
    m = re.search(r"([A-Z][a-z]+)(?:-born)?\s+(?:[a-z-]+\s+){0,2}$", before)
    if m and _DEMONYM.fullmatch(m.group(1)) and not re.search(r"\b(?:is|was|are|were|a|an|the)\b", before[m.end(1):]) \
            and before[m.start(1) - 1 : m.start(1)] not in ("-", "–"):  # 'Indo-Aryan' is not 'Aryan'
        start = genus[3] - len(before) + m.start(1)
        return m.group(1), start, start + len(m.group(1))
    return None


def described(doc: Document) -> tuple[str, str, bool, int, int] | None:
    """The genus of a document's stated category, when its lead shows it: a page titled 'unittest.mock — mock
    object library' is 'a mock object library'. A description is used whole or not at all ('Archive reading' is
    'archive reading', never 'reading'; 'Encoder and decoder' is not 'an encoder'; 'Formats values', a verb, is
    none), so every question of a run that states it says the same words."""
    if not doc.category:
        return None
    category = re.sub(r"\s+", " ", doc.category.strip().rstrip("."))
    category = re.sub(r"^(?:an?|the)\s+", "", category, flags=re.IGNORECASE)
    phrase = category[:1].lower() + category[1:]
    words = phrase.split()
    if not words or not all(re.fullmatch(r"[a-z][a-z-]*", w) for w in words) \
            or (len(words) > 1 and re.search(r"[^su]s$", words[0])):  # 'formats values': a verb and its object
        return None
    for lead in (f"It is a {phrase}.", f"These are the {phrase}."):  # 'Secure hashes' is a plural
        found = genus_of(lead)
        if found is not None:
            break
    if found is None or found[4] != len(lead) - 1 or phrase.casefold() in _SENSES:
        return None  # only part of the description is a noun phrase ('encoder' of 'encoder and decoder')
    value = phrase.casefold()
    at = doc.text[:400].casefold().find(value)
    return (value, "is", found[2], at, at + len(value)) if at >= 0 else None


_PRONOUN = {"it", "he", "she", "they", "this", "its", "his", "her", "their"}
_CLAUSE = re.compile(r",|;|\(|\)|\b(?:when|which|whose|and|after|before|while|where|who|but|until|as|since|though|although)\b")
_AFTER_YEAR = re.compile(r"(?:\s*(?:[,.;:)\]–—-]|$)|\s+(?:[A-Z]|by|and|to|as|in|at|on|with|when|after|before|under|for|the|a|an|"
                         r"but|which|while|until|during|following|where|from|BC|AD|CE|BCE|or|that|it|he|she|they|was|were|is|"
                         r"through|into|among|against|alongside|along|upon|within|without|because|if|though|although)\b)")
_SUBJECT_WORDS = {"the", "a", "an", "also", "first", "originally", "later", "then", "officially", "formally", "eventually",
                  "finally", "initially", "subsequently", "was", "were", "is", "are", "been", "has", "had", "have", "being"}


def _subject_is(text: str, start: int, verb_at: int, names: tuple[str, ...]) -> bool:
    """Whether the clause that ends at the event's verb is about the entity named `names`: its subject words
    are the entity's name (or a word of it) or a pronoun, and nothing else ('the state was formed' in a
    sentence about Ranchi is about the state)."""
    sentence = max(text.rfind(". ", 0, verb_at) + 2, text.rfind("\n", 0, verb_at) + 1, start)
    clause = _CLAUSE.split(text[sentence:verb_at])[-1]
    words = [w.casefold() for w in re.findall(r"[\w'’]+", clause)]
    words = [re.sub(r"['’]s$", "", w) for w in words if w not in _SUBJECT_WORDS]
    if not words:
        return False
    own = {w.casefold() for n in names for w in re.findall(r"\w+", n) if len(w) > 2}
    return all(w in own or w in _PRONOUN for w in words)


def events_of(text: str, names: tuple[str, ...] = ()) -> list[tuple[str, int, int, int]]:
    """(verb, year, start, end) of every dated event a text states of its own entity ('X was founded in 1987',
    'It was released in 1991', 'born 12 May 1820', a lifespan '(1879 – 1955)' in the lead, read as born): the
    clause's subject is the entity (one of `names`) or a pronoun, the year reads as a date (after 'in', 'on', a
    month, and followed by punctuation or a function word, so 'a built-in 1541 floppy disk drive' dates nothing)."""
    out = []
    for m in EVENT.finditer(text):
        verb = m.group(1).lower()
        if text[m.end(1) : m.end(1) + 1] == "-":  # 'built-in', 'built-up'
            continue
        if not (verb in ("born", "died") or not _ACTIVE.match(text, m.end(1))):  # 'founded the state in 1932' is about another
            continue
        if not _DATED.search(text, max(m.start(1), m.start(2) - 30), m.start(2)):  # a year as a date, not a model number ('the 1541')
            continue
        if not _AFTER_YEAR.match(text, m.end(2)):  # '1541 floppy disk drive': a model number
            continue
        lead = verb in ("born", "died") and m.start() < 300 and "(" in text[max(0, m.start() - 3) : m.start()]
        if not lead and not _subject_is(text, 0, m.start(1), names):
            continue
        out.append((verb, int(m.group(2)), m.start(), m.end()))
    life = LIFESPAN.search(text[:300])
    own = {w.casefold() for n in names for w in re.findall(r"\w+", n) if len(w) > 2}
    if life and (re.search(r"\b(?:is|was|are|were)\b|\.\s", text[: life.start()]) or len(text[: life.start()]) > 120
                 or (own and not own & {w.casefold() for w in re.findall(r"\w+", text[: life.start()])})):
        life = None  # '(1925–1954)' after 'He held positions at Oxford' dates the positions, not the person
    if life and not any(v == "born" for v, *_ in out):
        out.append(("born", int(life.group(2)), life.start(), life.end()))
    return out


def listed_of(doc: Document) -> list[tuple[str, str, int, int]]:
    """(label, item, start, end) of the items of a document's labelled list lines (a Factbook entry's
    'Languages:', 'Religions:' and the region its 'Location:' line starts with)."""
    out = []
    for label in _LISTED:
        m = re.search(rf"(?m)^{label}: (.*)$", doc.text)
        if m is None:
            continue
        line, base = m.group(1), m.start(1)
        parts = [line.split(",")[0]] if label == "Location" else re.split(r"[,;]", line)
        offset = 0
        for part in parts:
            at = line.find(part, offset)
            offset = at + len(part)
            if line[:at].count("(") > line[:at].count(")"):
                continue  # 'other 1.5% (includes Muslim, Jewish, Hindu)': a note's item is no item of the list
            item = re.sub(r"\([^)]*\)|\d[\d.,%]*|\best\b\.?", " ", part)
            item = " ".join(w for w in item.split() if w.strip(".:").casefold() not in _NOT_ITEMS).strip(" .:-")
            item = re.sub(r"[()\[\]]", "", item).strip(" .:-")
            if len(item) < 3 or not item[:1].isupper() or len(item.split()) > 4:
                continue
            where = line.find(item, at)
            if where >= 0:
                out.append((label, item, base + where, base + where + len(item)))
    return out


@dataclass(frozen=True)
class Clue:
    """One stated fact about one entity of a question."""

    kind: str
    """category, topic, name_prefix, name_words, year_range, number_range, date_range, capital_prefix."""
    params: tuple[tuple[str, Any], ...]
    """The clue's values (hashable), e.g. (("lo", 1860), ("hi", 1879))."""
    span: tuple[int, int] | None = field(default=None, compare=False, hash=False)
    """Where the subject's document states the fact (character offsets in its text); None for a
    surface clue (letters, word counts), which states nothing the document says."""

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)

    def text(self, subject: str, corpus: Corpus) -> str:
        p = self.p
        if self.kind == "genus":
            value = p["value"]
            vowel = value[:1] in "aeiou" and not value.startswith(("uni", "use", "usu", "eu", "one", "uti"))
            if value.split(" ", 1)[0] in _RELATIONAL and " of " in value:  # 'the study of computation', 'a group of languages'
                article = "the" if value.split(" ", 1)[0] in _THE else ("an" if vowel else "a")
                return f"{subject} {p.get('verb', 'is')} {article} {value}"
            if not p.get("kind_of") and re.search(r"(?:[^sui]s|ing)$", value) and not value.endswith("species"):  # 'tools', 'testing': no article fits
                return f"{subject} {p.get('verb', 'is')} described as {value}"
            kind_of = "a kind of " if p.get("kind_of") else ("an " if vowel else "a ")
            return f"{subject} {p.get('verb', 'is')} {kind_of}{value}"
        if self.kind == "qualifier":
            return f"{subject}'s {NOUN.get(corpus.name, 'document')} describes it as {p['value']}"
        if self.kind == "event":
            lo, hi = p["lo"], p["hi"]
            when = f"in the {lo}s" if hi == lo + 9 and lo % 10 == 0 else f"between {lo} and {hi}"
            return f"{subject} {EVENT_TEXT.get(p['verb'], 'was ' + p['verb'])} {when}"
        if self.kind == "listed":
            label = p["label"].lower()
            if label == "location":
                return f"{subject}'s {NOUN.get(corpus.name, 'document')} places it in {p['value']}"
            return f"{subject}'s {NOUN.get(corpus.name, 'document')} lists {p['value']} among its {label}"
        if self.kind == "category":
            return f"{subject} is described as \"{p['value']}\""
        if self.kind == "topic":
            return f"{subject}'s {TOPIC_LABEL.get(corpus.name, 'topic')} is {p['value']}"
        if self.kind == "name_prefix":
            return f"{subject}'s name begins with \"{p['value'].capitalize()}\""
        if self.kind == "name_words":
            return f"{subject}'s name is {p['value']} word{'s' if p['value'] != 1 else ''} long"
        if self.kind == "year_range":
            return f"{subject}'s {NOUN.get(corpus.name, 'document')} mentions a year from {p['lo']} to {p['hi']}"
        if self.kind == "number_range":
            unit = f" {p['unit']}" if p["unit"] else ""
            return f"{subject}'s {p['label'].lower()} is between {_figure(p['lo'])} and {_figure(p['hi'])}{unit}"
        if self.kind == "date_range":
            return f"{subject}'s {p['label'].lower()} date falls between {p['lo']} and {p['hi']}"
        if self.kind == "capital_prefix":
            return f"the name of {subject}'s capital begins with \"{p['value'].capitalize()}\""
        raise ValueError(f"unknown clue kind {self.kind}")

    def public(self, subject: str) -> dict[str, Any]:
        """The clue as structured task metadata (what the prompt states, nothing more)."""
        return {"subject": subject, "kind": self.kind, **self.p}


def search_words(kind: str, p: dict[str, Any]) -> str:
    """The words a searcher searches for when it reads a clue of `kind` with values `p` (none for a surface clue)."""
    if kind in ("genus", "category", "topic", "listed", "qualifier"):
        return str(p.get("value", ""))
    if kind == "event":
        return str(p.get("verb", ""))
    if kind in ("number_range", "date_range"):
        return str(p.get("label", ""))
    return ""


def _figure(value: float) -> str:
    for scale, word in ((1e9, "billion"), (1e6, "million")):
        if value >= scale:
            return f"{value / scale:g} {word}"
    return f"{value:,.0f}"


def _round2(value: float) -> float:
    """`value` to two significant figures."""
    if value <= 0:
        return 0.0
    digits = len(str(int(value))) - 2
    return round(value, -digits) if digits > 0 else round(value, 1)


def prefix(name: str, n: int = 2) -> str:
    letters = normalize(name).replace(" ", "")
    return letters[:n]


class Features:
    """Per-corpus lookups that answer every clue kind with a set of document positions."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.n = len(corpus.documents)
        self.by: dict[tuple[str, Any], set[int]] = defaultdict(set)
        self.years: dict[int, set[int]] = defaultdict(set)
        self.doc_years: list[list[int]] = []
        self.latest = 0
        """The corpus's latest year (no later than this year): a year window never runs past it."""
        self.numbers: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self.dates: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.incoming: list[list[int]] = [[] for _ in corpus.documents]
        self.outgoing: list[list[int]] = []
        self._folded: dict[int, str] = {}
        self._lead_words: dict[str, set[int]] | None = None
        self.genus: list[tuple[str, str, bool, int, int] | None] = []
        self.broad: list[tuple[str, str, bool, int, int] | None] = []
        """The genus one level broader again, its head noun alone ('a saltwater fish' -> 'a fish'), where that still says something."""
        self.qualifier: list[tuple[str, int, int] | None] = []
        self.leads: list[str] = []
        self.events: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.doc_events: list[list[tuple[str, int, int, int]]] = []
        self.doc_listed: list[list[tuple[str, str, int, int]]] = []
        self.listed_lines: list[dict[str, str]] = []
        order = corpus.order
        titles = {d.title for d in corpus.documents} | {d.name for d in corpus.documents}
        """A name the corpus has an entry for is no nationality ('a Fortran compiler' does not describe it as Fortran)."""
        for i, doc in enumerate(corpus.documents):
            own = genus_of(doc.text)
            self.genus.append(own or described(doc))
            self.broad.append(broader(doc.text, own))  # a site's description is used whole, never broadened
            qualifier = qualifier_of(doc.text, genus_of(doc.text))
            self.qualifier.append(None if qualifier is not None and qualifier[0] in titles else qualifier)
            self.leads.append(doc.text[:400].casefold())
            events = events_of(doc.text, (doc.name, *doc.aliases))
            self.doc_events.append(events)
            for verb, year, _, _ in events:
                self.events[verb].append((year, i))
            listed = listed_of(doc) if doc.facts else []
            self.doc_listed.append(listed)
            self.listed_lines.append({label: m.group(1).casefold() for label in _LISTED
                                      if (m := re.search(rf"(?m)^{label}: (.*)$", doc.text))} if doc.facts else {})
            if doc.category:
                self.by[("category", doc.category)].add(i)
            if doc.topic:
                self.by[("topic", doc.topic)].add(i)
            self.by[("name_prefix", prefix(doc.name))].add(i)
            self.by[("name_words", len(doc.name.split()))].add(i)
            years = sorted({int(y) for y in YEAR.findall(doc.text)})
            self.doc_years.append(years)
            self.latest = max(self.latest, years[-1] if years else 0)
            for year in years:
                self.years[year].add(i)
            for key, fact in doc.facts.items():
                if fact.kind == "number":
                    self.numbers[key].append((float(fact.value), i))
                elif fact.kind == "date":
                    self.dates[key].append((int(str(fact.value)[:4]), i))
                elif key == "capital":
                    self.by[("capital_prefix", prefix(str(fact.value)))].add(i)
            self.outgoing.append([order[t] for t in doc.links if t in order])
        self.listing = [listing(doc.text) for doc in corpus.documents]
        self.outgoing = [[] if self.listing[i] else [t for t in targets if not self.listing[t]] for i, targets in enumerate(self.outgoing)]
        for i, targets in enumerate(self.outgoing):
            for t in targets:
                self.incoming[t].append(i)
        for table in (self.numbers, self.dates, self.events):
            for values in table.values():
                values.sort()

    def _window(self, year: int, lo: int, width: int) -> int:
        """The start of a `width`-year window from `lo`, moved back so that it ends no later than the corpus's latest
        year or this year ('added between 2020 and 2039' for a 2021 page: the window holds no year the corpus could state)."""
        latest = min(self.latest or _THIS_YEAR, _THIS_YEAR)
        return max(year - width + 1, min(lo, latest - width + 1)) if lo + width - 1 > latest else lo  # still holds `year`

    def folded(self, i: int) -> str:
        """Document `i`'s text, casefolded (kept once computed)."""
        found = self._folded.get(i)
        if found is None:
            found = self._folded[i] = self.corpus.documents[i].text.casefold()
        return found

    def satisfying(self, clue: Clue) -> frozenset[int]:
        return self._satisfying(clue)

    @lru_cache(maxsize=65536)  # noqa: B019  (one Features per corpus, kept for the process)
    def _satisfying(self, clue: Clue) -> frozenset[int]:
        p = clue.p
        if clue.kind in ("category", "topic", "name_prefix", "name_words", "capital_prefix"):
            return frozenset(self.by.get((clue.kind, p["value"]), ()))
        if clue.kind == "year_range":
            found: set[int] = set()
            for year in range(p["lo"], p["hi"] + 1):
                found |= self.years.get(year, set())
            return frozenset(found)
        if clue.kind in ("genus", "qualifier"):
            value = p["value"].casefold()
            pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")
            return frozenset(i for i in self._lead_candidates(value) if pattern.search(self.leads[i]))
        if clue.kind == "listed":
            pattern = re.compile(rf"(?<!\w){re.escape(p['value'].casefold())}(?!\w)")
            return frozenset(i for i, lines in enumerate(self.listed_lines) if pattern.search(lines.get(p["label"], "")))
        if clue.kind == "event":
            values = self.events.get(p["verb"], [])
            lo = bisect_left(values, (p["lo"], -1))
            hi = bisect_right(values, (p["hi"], self.n))
            return frozenset(i for _, i in values[lo:hi])
        if clue.kind in ("number_range", "date_range"):
            values = (self.numbers if clue.kind == "number_range" else self.dates)[p["fact"]]
            lo = bisect_left(values, (p["lo"], -1))
            hi = bisect_right(values, (p["hi"], self.n))
            return frozenset(i for _, i in values[lo:hi])
        raise ValueError(f"unknown clue kind {clue.kind}")

    def _lead_candidates(self, value: str) -> set[int] | range:
        """The documents whose lead holds every word of `value` (a superset of those holding the phrase: a
        whole-word phrase is made of whole words), from an index of the leads' words built on first use."""
        if self._lead_words is None:
            self._lead_words = defaultdict(set)
            for i, lead in enumerate(self.leads):
                for word in set(re.findall(r"\w+", lead)):
                    self._lead_words[word].add(i)
        words = sorted(set(re.findall(r"\w+", value)), key=lambda w: len(self._lead_words.get(w, ())))  # type: ignore[union-attr]
        if not words:
            return range(self.n)
        found = set(self._lead_words.get(words[0], ()))  # type: ignore[union-attr]
        for word in words[1:]:
            found &= self._lead_words.get(word, set())  # type: ignore[union-attr]
        return sorted(found)

    def linking_to(self, targets: frozenset[int]) -> frozenset[int]:
        """Documents that link to any of `targets`."""
        return frozenset().union(*(self.incoming[t] for t in targets))

    # -- proposing clues about one document ----------------------------------------------------
    def has_facts(self, i: int) -> bool:
        """Whether document `i` states anything a fact clue can say (a genus, a category its text
        gives, a dated event, a structured fact)."""
        doc = self.corpus.documents[i]
        return bool(self.genus[i] or self.doc_events[i] or doc.facts
                    or (doc.category and doc.category.casefold() in self.folded(i)))

    def proposals(self, i: int, rng: random.Random, *, skip_fact: str | None = None, surface: bool = False,
                  avoid: tuple[str, ...] = ()) -> list[Clue]:
        """Every fact clue that holds for document `i`, each with the span of the text that states it, in a
        random order (the genus first when there is one: it says what is sought, and a searcher searches for
        it); with `surface`, one surface clue (letters, word count, a bare year) at the end. A listed item
        that shares its first four letters with a name in `avoid` (the answer, the hidden entities) is left out."""
        doc: Document = self.corpus.documents[i]
        text = doc.text
        out: list[Clue] = []
        genus = self.genus[i]
        first: list[Clue] = []
        if genus is not None:
            value, verb, kind_of, lo, hi = genus
            first.append(Clue("genus", (("value", value), ("verb", verb), ("kind_of", kind_of)), span=(lo, hi)))
        stated = re.search(rf"(?:^|\n|:\s*|\b(?:a|an|is)\s+)({re.escape(doc.category)})", text, re.IGNORECASE) if doc.category else None
        if stated and not (genus and genus[0] in doc.category.casefold()):  # 'the only English-speaking country in ...' is not stated
            (out if first else first).append(Clue("category", (("value", doc.category),), span=(stated.start(1), stated.end(1))))
        qualifier = self.qualifier[i]
        if qualifier is not None:
            out.append(Clue("qualifier", (("value", qualifier[0]),), span=(qualifier[1], qualifier[2])))
        if doc.topic and doc.facts and (at := text.casefold().find(doc.topic.casefold())) >= 0:  # a labelled line states it
            out.append(Clue("topic", (("value", doc.topic),), span=(at, at + len(doc.topic))))
        seen: set[str] = set()
        for verb, year, lo, hi in self.doc_events[i]:
            if verb in seen:
                continue
            seen.add(verb)
            width = rng.choice((10, 10, 20))
            start = year - year % 10 if width == 10 else self._window(year, year - rng.randrange(width), width)
            out.append(Clue("event", (("verb", verb), ("lo", start), ("hi", start + width - 1)), span=(lo, hi)))
        stems = {normalize(a).replace(" ", "")[:4] for a in avoid if a}
        listed = [x for x in self.doc_listed[i] if normalize(x[1]).replace(" ", "")[:4] not in stems]
        rng.shuffle(listed)
        for label, item, lo, hi in listed[:2]:
            out.append(Clue("listed", (("label", label), ("value", item)), span=(lo, hi)))
        for key, fact in sorted(doc.facts.items()):
            if key == skip_fact or key == "capital":
                continue
            line = re.search(rf"(?m)^{re.escape(fact.label)}: .*$", text)
            if line is None:
                continue
            span = (line.start(), line.end())
            if fact.kind == "number" and float(fact.value) > 0:
                value = float(fact.value)
                lo, hi = _round2(value * rng.uniform(0.5, 0.9)), _round2(value * rng.uniform(1.1, 1.6))
                if lo < value < hi:
                    out.append(Clue("number_range", (("fact", key), ("label", fact.label), ("lo", lo), ("hi", hi), ("unit", fact.unit)),
                                    span=span))
            elif fact.kind == "date":
                year = int(str(fact.value)[:4])
                width = rng.choice((6, 10, 16))
                lo = self._window(year, year - rng.randrange(width), width)
                out.append(Clue("date_range", (("fact", key), ("label", fact.label), ("lo", lo), ("hi", lo + width - 1)), span=span))
        rng.shuffle(out)
        out = first + out
        if surface:
            options = [Clue("name_prefix", (("value", prefix(doc.name, 2)),)), Clue("name_words", (("value", len(doc.name.split())),))]
            if self.doc_years[i]:
                year = rng.choice(self.doc_years[i])
                width = rng.choice((10, 15, 20, 30))
                lo = self._window(year, year - rng.randrange(width), width)
                options.append(Clue("year_range", (("lo", lo), ("hi", lo + width - 1))))
            if "capital" in doc.facts and skip_fact != "capital":
                options.append(Clue("capital_prefix", (("value", prefix(str(doc.facts["capital"].value))),)))
            out.append(rng.choice(options))
        return out


_FEATURES: dict[str, Features] = {}


def features(corpus: Corpus) -> Features:
    """The features of `corpus`, computed once per process."""
    found = _FEATURES.get(corpus.hash)
    if found is None:
        if len(_FEATURES) >= 4:
            _FEATURES.pop(next(iter(_FEATURES)))
        found = _FEATURES[corpus.hash] = Features(corpus)
    return found
