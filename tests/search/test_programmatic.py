"""Programmatic questions: every kept question has exactly one answer in the whole corpus (checked
here by brute force, independently of the generator's lookups), names neither its answer nor an
intermediate entity, is not answered by one search, and has a gold path through the tools; the
funnel and the rejection reasons are recorded; the same settings give the same tuples."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections import Counter

import pytest

import synth
from synth import Run
from synth.environments.search import TOOLS, Workspace, corpus_of, gold_of, open_index

YEAR = re.compile(r"\b(1[0-9]{3}|20[0-2][0-9])\b")


def letters(name: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()
    text = re.sub(r"^(the|a|an)\s+", "", re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.replace("&", " and "))).strip())
    return text.replace(" ", "")


def holds(doc, clue: dict) -> bool:
    """A clue of the task metadata, evaluated on one document from its text and facts alone."""
    kind = clue["kind"]
    name = re.sub(r"\s*\([^)]*\)\s*$", "", doc.title).strip() or doc.title
    if kind == "category":
        return doc.category == clue["value"]
    if kind == "topic":
        return doc.topic == clue["value"]
    if kind == "name_prefix":
        return letters(name).startswith(clue["value"])
    if kind == "name_words":
        return len(name.split()) == clue["value"]
    if kind == "year_range":
        return any(clue["lo"] <= int(y) <= clue["hi"] for y in YEAR.findall(doc.text))
    if kind == "number_range":
        fact = doc.facts.get(clue["fact"])
        return fact is not None and clue["lo"] <= float(fact.value) <= clue["hi"]
    if kind == "date_range":
        fact = doc.facts.get(clue["fact"])
        return fact is not None and clue["lo"] <= int(str(fact.value)[:4]) <= clue["hi"]
    if kind == "capital_prefix":
        fact = doc.facts.get("capital")
        return fact is not None and letters(str(fact.value)).startswith(clue["value"])
    if kind == "qualifier":
        return re.search(rf"(?<!\w){re.escape(clue['value'].casefold())}(?!\w)", doc.text[:400].casefold()) is not None
    if kind == "genus":  # what the lead says the subject is
        return re.search(rf"(?<!\w){re.escape(clue['value'])}(?!\w)", doc.text[:400].casefold()) is not None
    if kind == "listed":
        line = re.search(rf"(?m)^{clue['label']}: (.*)$", doc.text)
        return line is not None and re.search(rf"(?<!\w){re.escape(clue['value'].casefold())}(?!\w)", line.group(1).casefold()) is not None
    if kind == "event":
        years = [int(m.group(1)) for m in re.finditer(rf"\b{clue['verb']}\b(?:[^.;\n]|\.(?=\d)){{0,50}}?\b(1[0-9]{{3}}|20[0-2][0-9])\b",
                                                       doc.text, re.IGNORECASE)]
        if clue["verb"] == "born" and not years and (life := re.search(r"\(([^()]{0,40}?\b(1[0-9]{3}|20[0-2][0-9]))\s*[–—-]", doc.text[:300])):
            years = [int(life.group(2))]
        return any(clue["lo"] <= y <= clue["hi"] for y in years)
    raise AssertionError(f"unknown clue {kind}")


def brute_force_answers(corpus, clues: list[dict], hops: int) -> set[str]:
    subjects = ["answer", *[f"X{i}" for i in range(1, hops + 1)]]
    fits = {s: {d.id for d in corpus.documents if all(holds(d, c) for c in clues if c["subject"] == s)} for s in subjects}
    for level in range(hops - 1, -1, -1):
        fits[subjects[level]] = {d for d in fits[subjects[level]] if set(corpus.by_id[d].links) & fits[subjects[level + 1]]}
    return fits["answer"]


def test_every_question_has_exactly_one_answer_in_the_corpus(factbook_run: Run) -> None:
    tuples = factbook_run.tuples().read()
    assert len(tuples) == 12
    for record in tuples:
        corpus, gold = corpus_of(record, factbook_run), gold_of(record, factbook_run)
        hops = record.environment.metadata["hops"]
        assert brute_force_answers(corpus, record.task.metadata["clues"], hops) == {gold.answer_doc}, record.task.prompt


def test_no_question_names_its_answer_or_an_intermediate_entity(factbook_run: Run) -> None:
    for record in factbook_run.tuples():
        corpus, gold = corpus_of(record, factbook_run), gold_of(record, factbook_run)
        question = record.task.prompt.casefold()
        args = record.verifier.args
        for name in [args["answer"], *args.get("aliases", [])]:
            assert not re.search(rf"\b{re.escape(name.casefold())}\b", question), (name, record.task.prompt)
        for doc_id in gold.evidence:
            assert not re.search(rf"\b{re.escape(corpus.by_id[doc_id].title.casefold())}\b", question)


def test_one_search_for_the_whole_question_does_not_answer_it(factbook_run: Run) -> None:
    for record in factbook_run.tuples():
        corpus, gold = corpus_of(record, factbook_run), gold_of(record, factbook_run)
        own = [c for c in record.task.metadata["clues"] if c["subject"] == "answer"]
        hits = [corpus.documents[h.doc] for h in open_index(corpus).search(record.task.prompt, 5)]
        assert hits[0].id != gold.answer_doc
        plausible = [d for d in hits if all(holds(d, c) for c in own)]
        assert not plausible or plausible[0].id != gold.answer_doc


def test_the_gold_path_reaches_the_answer_through_the_tools(factbook_run: Run) -> None:
    golds = {t.task_key: t for t in factbook_run.trajectories() if t.source == "gold"}
    kinds = Counter()
    for record in factbook_run.tuples():
        trajectory, gold = golds[record.key], gold_of(record, factbook_run)
        kinds[record.verifier.args["type"]] += 1
        calls = [c.function for m in trajectory.messages if m.tool_calls for c in m.tool_calls]
        opened = {json.loads(c.arguments)["id"] for c in calls if c.name == "open"}
        assert set(gold.evidence) <= opened and calls[-1].name == "submit"
        assert {c.name for c in calls} >= {"search", "open", "find"}
        assert trajectory.verdict.status == "pass" and trajectory.tool_errors == 0
        assert trajectory.submission == record.verifier.args["answer"]
    assert set(kinds) == {"entity", "number", "date"}, kinds


def test_every_control_fails_on_its_check(factbook_run: Run) -> None:
    controls = Counter(v.control for v in factbook_run.verdicts())
    assert controls["perturb:alias_of_other_entity"] + controls["perturb:other_entity"] > 0
    assert controls["perturb:wrong_figure"] > 0 and controls["perturb:year_only"] > 0
    assert all(v.sound for v in factbook_run.verdicts())


def test_the_funnel_and_the_reasons_of_rejections_are_recorded(factbook_run: Run) -> None:
    stage = factbook_run.stage("generate")
    funnel = stage["funnel"]
    rejections = factbook_run.rejections().read()
    assert funnel["kept"] == 12 and funnel["candidates"] == 12 + len(rejections)
    assert sum(funnel["rejected_by_gate"].values()) == len(rejections)
    assert all(r.reason.split(":")[0] in {"ambiguous", "dead_end", "gold_unreachable", "leak", "single_search", "duplicate_answer",
                                          "unstated_fact", "no_candidates", "unverifiable_clue", "duplicate_template", "surface_only", "error",
                                          "answerable_alone"}
               for r in rejections)
    assert stage["corpus_hash"] == stage["config"]["corpus_hash"]
    for record in factbook_run.tuples():
        assert record.task.metadata["corpus_hash"] == record.environment.metadata["corpus_hash"] == stage["corpus_hash"]


@pytest.mark.parametrize("hops", [1, 3])
def test_hops_shape_the_question_and_its_gold_path(tmp_path, hops: int) -> None:
    run = Run.create(tmp_path / "run")
    synth.generate(run, "search", {"corpus": "factbook", "n": 2, "seed": 3, "hops": hops, "answer_type": "entity"})
    for record in run.tuples():
        gold = gold_of(record, run)
        assert len(gold.evidence) == hops + 1 and record.environment.difficulty == hops
        assert f"X{hops}" in record.task.prompt and f"X{hops + 1}" not in record.task.prompt
        assert len(gold.links) == hops  # each hop: the mention and its sentence, found with find
        finds = [s.args["pattern"] for s in gold.steps if s.tool == "find"]
        assert all(link["mention"] in finds and link["mention"] in link["sentence"] for link in gold.links)
        assert all(c["quote"] and " ".join(c["quote"].split())[:120].strip() in finds for c in gold.clues)


def test_wiki_questions_walk_mentions(tmp_path) -> None:
    run = Run.create(tmp_path / "run")
    synth.generate(run, "search", {"corpus": "wiki", "n": 3, "seed": 1, "hops": 2})
    assert synth.verify(run).ok
    for record in run.tuples():
        assert "'s article mentions X1 by name" in record.task.prompt
        corpus = corpus_of(record, run)
        assert brute_force_answers(corpus, record.task.metadata["clues"], 2) == {gold_of(record, run).answer_doc}


def test_a_rerun_adds_nothing_and_another_seed_gives_other_questions(factbook_run: Run, tmp_path) -> None:
    before = (factbook_run.path / Run.TUPLES).read_bytes()
    report = synth.generate(factbook_run, "search", {"corpus": "factbook", "n": 12, "seed": 4, "hops": 2})
    assert report.new == 0 and (factbook_run.path / Run.TUPLES).read_bytes() == before
    other = Run.create(tmp_path / "other")
    synth.generate(other, "search", {"corpus": "factbook", "n": 3, "seed": 2, "hops": 2})
    assert not {t.key for t in other.tuples()} & {t.key for t in factbook_run.tuples()}
    with pytest.raises(synth.StoreError, match="different settings"):
        synth.generate(factbook_run, "search", {"corpus": "factbook", "n": 12, "seed": 4, "hops": 3})


def test_a_run_made_before_an_option_existed_resumes(factbook_run: Run, tmp_path) -> None:
    """An older synth recorded no --avoid-answers-of; rerunning the same command over its run resumes instead of
    refusing 'different settings (avoid_answers_of)' (make demo over old runs)."""
    old = tmp_path / "old"
    shutil.copytree(factbook_run.path, old)
    manifest = json.loads((old / "manifest.json").read_text())
    for key in ("avoid_answers_of", "reuse_answers", "surface_clues"):
        manifest["stages"]["generate"]["config"].pop(key)
    (old / "manifest.json").write_text(json.dumps(manifest))
    report = synth.generate(Run.open(old), "search", {"corpus": "factbook", "n": 12, "seed": 4, "hops": 2})
    assert report.new == 0
    with pytest.raises(synth.StoreError, match=r"different settings \(surface_clues\)"):
        synth.generate(Run.open(old), "search", {"corpus": "factbook", "n": 12, "seed": 4, "hops": 2, "surface_clues": True})


def test_an_episode_works_from_the_run_alone_with_an_empty_cache(factbook_run: Run, tmp_path, monkeypatch) -> None:
    """Resume and regrade need no source and no cache: the corpus is in the run, the index is rebuilt."""
    import subprocess
    import sys

    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(factbook_run.path, copy)
    (copy / Run.VERDICTS).unlink()
    (copy / Run.TRAJECTORIES).unlink()
    env = {**__import__("os").environ, "SYNTH_CACHE": str(tmp_path / "empty-cache")}
    done = subprocess.run([sys.executable, "-m", "synth.cli", "verify", str(copy)], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "empty-cache" / "search").is_dir()
    regraded = subprocess.run([sys.executable, "-m", "synth.cli", "verify", str(copy), "--regrade"], capture_output=True, text=True,
                              env=env, timeout=600)
    assert regraded.returncode == 0 and "(0 verdicts changed)" in regraded.stdout


def test_tools_in_an_episode_see_the_corpus_the_task_was_built_on(factbook_run: Run) -> None:
    record = factbook_run.tuples().read()[0]
    with synth.family("search").open(record, factbook_run) as env:
        assert [t.name for t in env.tools] == [t.spec.name for t in TOOLS]
        ws: Workspace = env.runtime.context
        assert ws.corpus.hash == record.environment.metadata["corpus_hash"]


def test_the_gate_refuses_leaks_and_questions_one_search_answers(tiny_corpus) -> None:
    from synth.environments.search._gate import Refusal, check_leaks, single_search

    index = open_index(tiny_corpus)
    with pytest.raises(Refusal, match="leak:answer_in_question"):
        check_leaks("Which town, the VARNHOLM of old, ...?", "Varnholm", [])
    with pytest.raises(Refusal, match="leak:names_intermediate"):
        check_leaks("Which town did Elias Trent finance?", "Varnholm", [], hidden=["Elias Trent"])
    with pytest.raises(Refusal, match="leak:answer_in_question"):
        check_leaks("Which country has 55,751,717 people?", "55,751,717", [], figures=["55,751,717"])
    check_leaks("Which town did a shipbuilder finance?", "Varnholm", [], hidden=["Elias Trent"])  # passes
    question = "Which fishing town on the banks of the river was founded in 1642?"
    with pytest.raises(Refusal, match="leak:top_hit"):
        single_search(question, tiny_corpus, index, "bm25", "varnholm", "Varnholm", [])
    # the top hit is not the answer, but the first hit that fits the answer's own clue ("its name begins with V") is
    question = "Which fishing place, founded in the 1640s, lies on the river that flows past the wool market town?"
    assert tiny_corpus.documents[index.search(question, 1)[0].doc].id != "varnholm"
    with pytest.raises(Refusal, match="single_search"):
        single_search(question, tiny_corpus, index, "bm25", "varnholm", "Varnholm", [],
                      plausible=lambda i: tiny_corpus.documents[i].title.startswith("V"))
    assert single_search(question, tiny_corpus, index, "bm25", "varnholm", "Varnholm", [],
                         plausible=lambda i: tiny_corpus.documents[i].title.startswith("K")) == "Kelby"


def test_uniqueness_counts_every_document_that_fits(tiny_corpus) -> None:
    from synth.environments.search._clues import Clue
    from synth.environments.search._programmatic import Composer

    composer = Composer(tiny_corpus, open_index(tiny_corpus), hops=1, breadth=1, answer_type="entity", mode="bm25", snippet_words=512)
    one_word = [Clue("name_words", (("value", 1),))]
    river = [Clue("name_prefix", (("value", "os"),))]
    found = {tiny_corpus.documents[i].id for i in composer.solutions([one_word, river])}
    assert found == {"varnholm", "kelby"} == brute_force_answers(tiny_corpus, [
        {"subject": "answer", "kind": "name_words", "value": 1}, {"subject": "X1", "kind": "name_prefix", "value": "os"}], 1)
