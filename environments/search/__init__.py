"""The search family: a local corpus behind search tools; programmatic or agent-made questions.

Data flow: a corpus (`_corpus.py`: JSONL, a folder, or the embedded wiki and factbook) is indexed
once (`_index.py`: tantivy BM25, optional dense vectors, hybrid ranking) in a cache keyed by its
content hash; the tools (`_tools.py`) serve it to every agent; questions come from
`_programmatic.py` (walks of the link graph described by obfuscated clues, `_clues.py`) or
`_agentic.py` (questioner, answerer and verifier agents through the rollout runtime), both through
the same gate (`_gate.py`); `_generate.py` turns them into tuples with a gold tool path
(`_gold.py`); `SearchFamily` opens episodes, replays the gold path and builds null controls; the
`search.answer` verifier (`synth.verifiers.search`) grades. Importing this package registers the
family (its `synth.plugins` entry point) and does nothing else.
"""

from ._corpus import NAMED, Corpus, Document, Fact, Header, build, factbook, from_folder, from_jsonl, load, mine_links, wiki
from ._family import SearchEnvironment, SearchFamily, corpus_of, gold_of, workspace
from ._generate import SearchGenerator, funnel, load_source, prepared_index
from ._gold import GoldPath, GoldPathBroken, Step, replay
from ._index import Index, cache_dir, cache_root, ensure_cached, open_index
from ._settings import SearchSettings
from ._tools import TOOLS, Workspace

__all__ = [name for name in dir() if not name.startswith("_")]
