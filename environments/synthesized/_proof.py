"""The gate's proofs over the gold: every check can fail, every rule has a check, the answer is
grounded in the tools, no tool hands the answer out, and what makes a level harder.

Sits under `_gate.py` (which calls these after the reference solution passed and the controls
failed) and over the sandbox (`grade_answers`, `replay_calls`). Every answer judged here is made
by the gate itself from the gold answer and the values the tools returned, never by the agent:

- `mutations(answer, seen)`: each scalar of the gold replaced by every value of its type the tools
  returned (values under the same key first), keys dropped, nulls and wrong types; when the
  answer space those values span is small (at most `ENUMERATE` answers), all of it, in order.
- `check_failures`: each check of verify.py must fail for some mutation ([vacuous check]); a
  check binds when some mutation fails it alone (counted for "harder"); each rule of rules.json
  must map to a check verify.py returns ([unchecked rule]), and every sentence of task.md (NFKC,
  no invisible characters) but its answer template is a requirement whose clauses its mapped rules
  cover, or is marked "context" ([unchecked rule]).
- `grounding_failures`: every string of the gold appears in a tool result of the gold trajectory,
  every number there or as a sum of at most three of them or a count of a list ([ungrounded
  answer]); verify.py reads no database column that no tool call of the gold read ([ungrounded
  answer]: a rule no tool exposes).
- `leak_failures`: the exhaustive baseline calls every tool with every argument value earlier
  results showed (breadth first, bounded), then submits every result, every part of a result and
  every answer filled from one result that has the answer's shape; one that passes rejects the
  level ([leaking tool]).
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from typing import Any, Iterator

from synth import canonical_json

Path = tuple[Any, ...]
ENUMERATE = 256
"""Largest answer space enumerated in full."""
PER_SLOT = 24
"""Values tried per scalar of the answer."""
MAX_MUTATIONS = 400
EXPLORE_CALLS = 160
"""Most calls of the exhaustive baseline."""
PER_TOOL = 40
MAX_CANDIDATES = 200
FORMAT = re.compile(r"\b(answer with|answer as|json|format|reply with|respond with|submit)\b", re.I)


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "array" if isinstance(value, list) else "object"


def _fine(value: Any) -> str:
    """kind(), with integers apart from other numbers (an integer slot takes integers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    return kind(value)


def scalars(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """(path, scalar) of every leaf."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from scalars(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from scalars(v, (*path, i))
    else:
        yield path, value


def harvest(value: Any, key: str | None = None) -> Iterator[tuple[str | None, Any]]:
    """(key, scalar) of every leaf of a tool result (list items take their list's key)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from harvest(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from harvest(v, key)
    else:
        yield key, value


def replaced(answer: Any, path: Path, value: Any, *, drop: bool = False) -> Any:
    copy = json.loads(json.dumps(answer))
    if not path:
        return value
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


def slot_values(path: Path, gold: Any, seen: list[tuple[str | None, Any]]) -> list[Any]:
    """Values the tools returned that could stand in this slot: same key first, then same type."""
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), None)
    want = _fine(gold)
    same = [v for k, v in seen if k == key and _fine(v) == want]
    other = [v for k, v in seen if _fine(v) == want]
    out: list[Any] = []
    for v in [*same, *other]:
        if v not in out:
            out.append(v)
    if want == "boolean":
        out = [True, False]
    return out[:PER_SLOT]


class Mutations:
    """The gate's wrong answers (see the module docstring), with a label each."""

    def __init__(self, answer: Any, seen: list[tuple[str | None, Any]]) -> None:
        self.answers: list[Any] = []
        self.labels: list[str] = []
        self.same_shape: list[bool] = []
        """Per answer: made by replacing values of the gold by values of the same type (no key dropped, no type changed)."""
        self.enumerated: list[int] = []
        """Positions (in `answers`) of the full enumeration, in its order (empty when too large)."""
        self.space = 0
        keys: set[str] = {canonical_json(answer)}

        def add(label: str, value: Any) -> int | None:
            key = canonical_json(value)
            if key in keys:
                return self.answers.index(value) if value in self.answers else None
            if len(self.answers) >= MAX_MUTATIONS:
                return None
            keys.add(key)
            self.answers.append(value)
            self.labels.append(label)
            self.same_shape.append(canonical_json(shape(value)) == canonical_json(shape(answer)))
            return len(self.answers) - 1

        leaves = list(scalars(answer))
        slots = {path: slot_values(path, gold, seen) for path, gold in leaves}
        space = 1
        for path, gold in leaves:
            space *= len(set(map(canonical_json, [gold, *slots[path]])))
        self.space = space
        if leaves and space <= ENUMERATE:
            choices = []
            for path, gold in leaves:
                values = list(slots[path])
                if gold not in values:
                    values.append(gold)
                choices.append(values)
            for combo in itertools.product(*choices):
                value = answer
                for (path, _), v in zip(leaves, combo):
                    value = replaced(value, path, v)
                if canonical_json(value) == canonical_json(answer):
                    self.enumerated.append(-1)  # the gold itself
                    continue
                at = add("enumerated", value)
                if at is not None:
                    self.enumerated.append(at)
        for path, gold in leaves:
            where = "/".join(map(str, path)) or "the answer"
            for v in slots[path]:
                add(f"{where} = {json.dumps(v)[:40]}", replaced(answer, path, v))
            add(f"{where} = null", replaced(answer, path, None))
            add(f"{where} of another type", replaced(answer, path, 0 if isinstance(gold, str) else str(gold)))
        for path, node in _containers(answer):
            where = "/".join(map(str, path)) or "the answer"
            if isinstance(node, dict):
                for k in node:
                    add(f"{where} without {k}", replaced(answer, (*path, k), None, drop=True))
            elif node:
                add(f"{where} without its last item", replaced(answer, path, node[:-1]))
                add(f"{where} with its first item twice", replaced(answer, path, [node[0], *node]))


def _containers(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, (dict, list)):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for k, v in items:
            yield from _containers(v, (*path, k))


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


CONTEXT = "context"
"""rules.json's value for a sentence of task.md that states no requirement (the author says so)."""
_TEMPLATE = re.compile(r"`[^`]*`|\{.*\}|\[.*\]", re.S)
_CLAUSES = re.compile(r"\s*[,;:()]\s*|\s+(?:and|or|but|while|whereas|which|unless|except|if)\s+", re.I)
_FILLER = {"a", "an", "the", "for", "of", "to", "in", "on", "at", "by", "with", "each", "both", "it", "its", "is", "be",
           "are", "one", "two", "this", "that", "these", "those", "per", "as"}


def invisible_characters(text: str) -> list[str]:
    """The format (Cf) characters of a text (zero-width spaces, direction marks...), as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cf"})


def requirement_sentences(task: str) -> list[str]:
    """The sentences of task.md, NFKC-normalised, each without its answer template (`{...}`,
    `[...]`, `code`); every one that says more than the answer format is a requirement."""
    text = _TEMPLATE.sub(" ", unicodedata.normalize("NFKC", task))
    parts = re.split(r"(?<=[.!?;])\s+|\n\s*[-*]\s+|\n\s*\n|\n\s*#+\s+", text)
    found = []
    for part in parts:
        words = re.findall(r"\w+", part)
        if not words or re.fullmatch(r"#+\s.*", part.strip()):
            continue
        if FORMAT.search(part) and not [c for c in _clauses(part) if not FORMAT.search(c)]:
            continue  # only the answer format
        found.append(" ".join(part.split()))
    return found


def _clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSES.split(sentence) if c and re.search(r"\w", c)]


def _uncovered(sentence: str, rules: list[str]) -> list[str]:
    """The clauses of a sentence its rules do not cover: a clause is covered when a rule's text
    overlaps it and at most one of its words outside every rule is more than filler."""
    low = _norm(sentence)
    spans = [(m.start(), m.start() + len(r)) for r in map(_norm, rules) if r for m in re.finditer(re.escape(r), low)]
    left = []
    at = 0
    for clause in _clauses(low):
        start = low.find(clause, at)
        at = start + len(clause) if start >= 0 else at
        if start < 0 or FORMAT.search(clause):
            continue
        end = start + len(clause)
        overlap = any(a < end and start < b for a, b in spans)
        outside = [m.group() for m in re.finditer(r"\w+", clause)
                   if not any(a <= start + m.start() < b for a, b in spans) and m.group() not in _FILLER]
        if not overlap or len(outside) > 1:
            left.append(clause)
    return left


def read_rules(text: str | None) -> tuple[dict[str, str], str | None]:
    """rules.json's {rule text: check name}, or the problem with it."""
    if text is None:
        return {}, "rules.json is missing: map each rule task.md states (its text) to the check of verify.py that holds it"
    if invisible_characters(text):
        return {}, f"rules.json holds invisible characters ({', '.join(invisible_characters(text))}): write plain text"
    try:
        rules = json.loads(text)
    except ValueError as exc:
        return {}, f"rules.json is not JSON ({exc})"
    if not isinstance(rules, dict) or not rules or not all(isinstance(k, str) and isinstance(v, str) for k, v in rules.items()):
        return {}, 'rules.json must be a non-empty object {"rule text from task.md": "check name"}'
    if invisible_characters("".join(rules)):
        return {}, "rules.json holds invisible characters: write plain text"
    return rules, None


def checked_rules(rules: dict[str, str]) -> dict[str, str]:
    """rules.json without the sentences marked as context."""
    return {rule: check for rule, check in rules.items() if check != CONTEXT}


def rule_failures(task: str, rules: dict[str, str]) -> list[str]:
    """Before anything runs: task.md has no invisible characters; each rule is task.md's text
    (NFKC-normalised), each has a check of its own; every sentence of task.md that says more than
    the answer format is a requirement, and its mapped rules (or a `"context"` mark) cover all
    its clauses."""
    failures = []
    hidden = invisible_characters(task)
    if hidden:
        return [f"[unchecked rule] task.md holds invisible characters ({', '.join(hidden)}): write plain text"]
    body = _norm(task)
    for rule in rules:
        if _norm(rule) not in body:
            failures.append(f"[unchecked rule] rules.json names the rule {rule[:80]!r}, which task.md does not state word for word")
    by_check: dict[str, list[str]] = {}
    for rule, check in checked_rules(rules).items():
        by_check.setdefault(check, []).append(rule)
    for check, named in by_check.items():
        if len(named) > 1:
            failures.append(f"[unchecked rule] rules.json maps {len(named)} rules to the one check {check!r}: "
                            "each rule needs a check of its own")
    for sentence in requirement_sentences(task):
        mapped = [r for r in rules if _norm(r) in _norm(sentence) or _norm(sentence) in _norm(r)]
        left = _uncovered(sentence, mapped) if mapped else [sentence]
        if left:
            failures.append(f"[unchecked rule] task.md states {sentence[:100]!r}, but rules.json maps no rule of "
                            f"{left[0][:60]!r} to a check (map it, or map the sentence to \"{CONTEXT}\" if it states "
                            "no requirement)")
    return failures


def check_failures(checks: list[str], rules: dict[str, str], graded: list[dict[str, Any]],
                   mutations: Mutations) -> tuple[list[str], dict[str, Any]]:
    """Every check fails for some gate mutation; every rule's check is one verify.py returns and
    fails for some mutation of the gold's values alone (same shape: a check that fails only when
    the answer is malformed checks its format, not the rule)."""
    failures = []
    rules = checked_rules(rules)
    for rule, check in rules.items():
        if check not in checks:
            failures.append(f"[unchecked rule] rules.json maps {rule[:80]!r} to {check!r}, which verify.py does not return "
                            f"(its checks: {', '.join(checks)})")
    failing_sets: list[set[str]] = []
    for label, item in zip(mutations.labels, graded):
        if "error" in item or not item.get("checks"):
            failures.append(f"[unsound control] verify.py could not grade the gate's answer ({label}): "
                            f"{str(item.get('error'))[:200]} (a wrong answer must fail a check, not crash)")
            break
        failing_sets.append({c["name"] for c in item["checks"] if not c["passed"]})
    for check in checks:
        if failing_sets and not any(check in f for f in failing_sets):
            failures.append(f"[vacuous check] check {check!r} of verify.py holds for all {len(failing_sets)} wrong answers the "
                            "gate made from the gold with the values the tools returned: it can never fail")
    valued = [f for f, same in zip(failing_sets, mutations.same_shape) if same]
    for rule, check in rules.items():
        if check in checks and valued and not any(check in f for f in valued) and any(check in f for f in failing_sets):
            failures.append(f"[vacuous check] check {check!r} (rule {rule[:60]!r}) fails only for malformed answers: none of the "
                            f"{len(valued)} answers the gate made from the gold with other values the tools returned breaks it")
    binding = sorted({next(iter(f)) for f in failing_sets if len(f) == 1})
    accepted = [i for i, f in enumerate(failing_sets) if not f]
    facts: dict[str, Any] = {"mutations": len(failing_sets), "binding_checks": len(binding), "accepted_mutations": len(accepted)}
    if mutations.enumerated:
        effort = next((n + 1 for n, at in enumerate(mutations.enumerated)
                       if at == -1 or (at < len(failing_sets) and not failing_sets[at])), len(mutations.enumerated))
        facts["search_effort"] = effort
        facts["answer_space"] = mutations.space
    return failures, facts


def _numbers(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def grounding_failures(answer: Any, results: list[Any], verify_reads: list[str], tool_reads: list[str],
                       arguments: list[Any] | None = None) -> list[str]:
    """The gold answer comes from what the tools returned; verify.py judges only what tools show.
    A string a tool only echoes from its call's arguments grounds nothing; a number that is a sum
    must sum values of the result objects that name the answer's strings (when it has any)."""
    failures = []
    leaves = [v for _, r in enumerate(results) for _, v in harvest(r)]
    given = arguments or [None] * len(results)
    strings = {v for r, a in zip(results, given) for _, v in harvest(r)
               if isinstance(v, str) and v not in {x for _, x in harvest(a)}}
    folded = {s.casefold() for s in strings}
    numbers = _numbers(leaves)
    counts = {float(len(x)) for r in results for x in _lists(r)}
    number_set = set(numbers) | counts
    named = {v for _, v in scalars(answer) if isinstance(v, str) and v.strip()}
    if named:
        related = [v for r in results for _, node in _containers(r) if isinstance(node, dict)
                   and named & {x for x in node.values() if isinstance(x, str)} for _, v in harvest(node)]
        numbers = _numbers(related) or numbers
    sums = set()
    distinct = sorted(set(numbers))[:60]
    combine = itertools.combinations if named else itertools.combinations_with_replacement
    for n in (2, 3):
        for combo in combine(distinct, n):
            sums.add(round(sum(combo), 6))
    for path, value in scalars(answer):
        where = "/".join(map(str, path)) or "the answer"
        if isinstance(value, str) and value.strip() and value not in strings and value.casefold() not in folded:
            failures.append(f"[ungrounded answer] the gold answer's {where} = {value[:60]!r} appears in no tool result of "
                            "the reference solution: a solver could not find it")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and float(value) not in number_set \
                and round(float(value), 6) not in sums:
            failures.append(f"[ungrounded answer] the gold answer's {where} = {value!r} is no value a tool returned "
                            "(nor a sum or count of them)")
    hidden = sorted(set(verify_reads) - set(tool_reads))
    if hidden:
        failures.append(f"[ungrounded answer] verify.py reads {', '.join(hidden[:4])}, which no tool call of the reference "
                        "solution reads: the solver cannot see the rule it judges")
    return failures[:4]


def _lists(value: Any) -> Iterator[list[Any]]:
    if isinstance(value, list):
        yield value
        for v in value:
            yield from _lists(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _lists(v)


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return _fine(value)


def candidates_from(result: Any, answer: Any) -> list[Any]:
    """Answers a tool result hands out: itself or any part of it shaped like the answer, and the
    answer's shape filled from this one result's values (same key, else in order)."""
    want = canonical_json(shape(answer))
    found = []
    for _, node in _containers(result):
        if canonical_json(shape(node)) == want:
            found.append(node)
    if canonical_json(shape(result)) == want and result not in found:
        found.append(result)
    seen = list(harvest(result))
    filled = answer
    complete = True
    for path, gold in scalars(answer):
        key = next((str(p) for p in reversed(path) if isinstance(p, str)), None)
        same = [v for k, v in seen if k == key and kind(v) == kind(gold)]
        if not same:
            complete = False
            break
        filled = replaced(filled, path, same[0])
    if complete:
        found.append(filled)
    return found


SMALL = list(range(11))
"""Integers every integer argument is tried with (counts, nights, ranks), besides the values seen."""


def stated_values(*texts: str) -> list[tuple[str | None, Any]]:
    """Numbers and quoted strings stated in task.md and the tools' docstrings (tried as arguments)."""
    found: list[tuple[str | None, Any]] = []
    for text in texts:
        for m in re.finditer(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", text):
            number = float(m.group())
            found.append((None, int(number) if number.is_integer() else number))
        for m in re.finditer(r"'([^'\n]{1,60})'|\"([^\"\n]{1,60})\"", text):
            found.append((None, m.group(1) or m.group(2)))
    return found


def argument_values(schema: dict[str, Any], seen: list[tuple[str | None, Any]], name: str) -> list[Any]:
    """Every value an argument may take: its default first, every enum value, both booleans,
    the small integers 0-10, then what results and the task showed (same key first), bounded."""
    out: list[Any] = []
    if "default" in schema:
        out.append(schema["default"])
    if "enum" in schema:
        out += [v for v in schema["enum"] if v not in out]
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
    for option in schema.get("anyOf", []):
        out += [v for v in option.get("enum", []) if v not in out]
    if "boolean" in kinds:
        out += [v for v in (True, False) if v not in out]
    if "integer" in kinds or "number" in kinds:
        out += [v for v in SMALL if v not in out]
    want = {"string": "string", "integer": "number", "number": "number"}
    for k, v in [*[(k, v) for k, v in seen if k == name], *seen]:
        for t in kinds:
            if t in want and kind(v) == want[t] and (t != "integer" or float(v).is_integer()):
                value = int(v) if t == "integer" else v
                if value not in out:
                    out.append(value)
    return out[:PER_TOOL]


def _spread(options: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    """Every combination of the options, those of the first values of every position first (the
    first k values of each, k = 1, 2, ...): a cap on the count spreads over all positions."""
    if not options:
        yield ()
        return
    done: set[tuple[int, ...]] = set()
    for k in range(1, max(len(o) for o in options) + 1):
        for index in itertools.product(*[range(min(k, len(o))) for o in options]):
            if index not in done:
                done.add(index)
                yield tuple(o[i] for o, i in zip(options, index))


def exploration_rounds(specs: list[Any], seen: list[tuple[str | None, Any]], done: set[str]) -> list[dict[str, Any]]:
    """The next round of the exhaustive baseline's calls: every tool with every argument value
    (optional ones too: defaults, both booleans, enums, small integers, values seen or stated)."""
    calls = []
    for spec in specs:
        properties = spec.parameters.get("properties", {})
        names = list(properties)
        options = [argument_values(properties.get(n, {}), seen, n) for n in names]
        required = set(spec.parameters.get("required", []))
        if any(not o for n, o in zip(names, options) if n in required):
            continue
        names, options = zip(*[(n, o) for n, o in zip(names, options) if o]) if any(options) else ((), ())
        count = 0
        for combo in _spread(list(options)):
            arguments = dict(zip(names, combo))
            key = spec.name + canonical_json(arguments)
            if key in done:
                continue
            done.add(key)
            calls.append({"name": spec.name, "arguments": arguments})
            count += 1
            if count >= PER_TOOL:
                break
    return calls


def error_values(message: str) -> list[Any]:
    """The JSON objects and arrays an error message spells out (a leak in the error text)."""
    found = []
    for m in re.finditer(r"\{[^{}]*\}|\[[^\[\]]*\]", message):
        try:
            found.append(json.loads(m.group()))
        except ValueError:
            continue
    return found


__all__ = ["Mutations", "candidates_from", "check_failures", "error_values", "exploration_rounds", "grounding_failures",
           "read_rules", "requirement_sentences", "rule_failures", "stated_values"]
