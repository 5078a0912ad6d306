"""Write a run's search questions for a human review (issue 21 item 10): one JSON line per question with
its answer, each clue with its evidence document, span and quoted text, and each link with the sentence
it stands in. `python tests/search/review_export.py RUN [RUN ...] > questions.jsonl`."""

from __future__ import annotations

import json
import sys

from synth import Run
from synth.environments.search import corpus_of, gold_of


def rows(path: str, limit: int = 20):
    run = Run.open(path)
    for record in list(run.tuples())[:limit]:
        corpus, gold = corpus_of(record, run), gold_of(record, run)
        yield {
            "corpus": corpus.name, "corpus_hash": corpus.hash[:16], "task": record.key, "question": record.task.prompt,
            "answer": record.verifier.args["answer"], "answer_type": record.verifier.args["type"],
            "aliases": record.verifier.args.get("aliases", []),
            "evidence_documents": [{"id": d, "title": corpus.by_id[d].title} for d in gold.evidence],
            "clues": [{"subject": c["subject"], "text": c["text"], "kind": c["kind"], "doc": c["doc"], "doc_title": corpus.by_id[c["doc"]].title,
                       "span": [c["start"], c["end"]], "quote": c["quote"]} for c in gold.clues],
            "links": [{"source": link["source"], "source_title": corpus.by_id[link["source"]].title, "target": link["target"],
                       "target_title": corpus.by_id[link["target"]].title, "relation": link["relation"], "mention": link["mention"],
                       "sentence": link["sentence"]} for link in gold.links],
        }


if __name__ == "__main__":
    for path in sys.argv[1:]:
        for row in rows(path):
            print(json.dumps(row, ensure_ascii=False))
