"""An example synth family living outside synth: `example`, with one category `word_lookup`.

Everything a family needs, through the public contract only: a procedural generator (items are a
pure function of category, seed, index and difficulty; the core's `ItemSettings` and generator do
the rest), tools as typed Python functions, a gold solution that only calls tools, a registered
verifier with one check per compared thing, and a null control. Registered by importing this
module, which the `synth.plugins` entry point in pyproject.toml names.
"""

from __future__ import annotations

import random
from typing import Any

from synth import (
    Check,
    Control,
    EnvironmentSpec,
    Family,
    RuntimeEnvironment,
    TaskSpec,
    ToolError,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_category,
    register_family,
    register_verifier,
    tool_from_function,
)

WORDS = ("amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "iris", "juniper")


def lookup(table: dict[str, str], key: str) -> str:
    """The word stored under a key.

    Args:
        key: A key of the table, e.g. k3.
    """
    if key not in table:
        raise ToolError(f"no key {key!r}", "not_found")
    return table[key]


def submit_word(table: dict[str, str], word: str) -> str:
    """Submit the word you found. This ends the task.

    Args:
        word: The word.
    """
    return word


TOOLS = [tool_from_function(lookup), tool_from_function(submit_word, submit=True)]


@register_category("example", "word_lookup")
class WordLookup:
    name = "word_lookup"
    description = "Follow a chain of keys through a table and submit the word at its end."


@register_verifier("example.word")
def word_matches(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, expected: str) -> list[Check]:
    given = submission if isinstance(submission, str) else None
    return [Check(name="word", passed=given == expected, expected=expected, actual=given,
                  message="" if given == expected else "not the word at the end of the chain")]


@register_family
class ExampleFamily(Family):
    name = "example"
    description = "Follow a chain of keys through a sandbox table and submit the word at its end."
    examples = ("synth generate example --n 3 --out runs/example",)
    blocking = False

    def build_tuple(self, run: Any, category: str, seed: int, index: int, difficulty: int) -> TupleRecord:
        rng = random.Random(f"example:{category}:{seed}:{index}:{difficulty}")
        keys = [f"k{i}" for i in range(4 + difficulty)]
        rng.shuffle(keys)
        table = {key: nxt for key, nxt in zip(keys, keys[1:])}  # each key names the next one
        table[keys[-1]] = rng.choice(WORDS)
        env = EnvironmentSpec(family=self.name, category=category, seed=seed, index=index, difficulty=difficulty,
                              tools=[t.spec for t in TOOLS], metadata={"table": table})
        task = TaskSpec(family=self.name, category=category, environment_key=env.key,
                        system_prompt="You have tools. Use them, then submit.",
                        prompt=f"Start at key {keys[0]}: each lookup gives the next key, until one gives a word. "
                               "Submit that word with submit_word.",
                        answer_schema={"type": "string"}, metadata={"start": keys[0]})
        return TupleRecord.build(env, task, VerifierSpec(name="example.word", args={"expected": table[keys[-1]]}))

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        return RuntimeEnvironment(ToolRuntime.of(TOOLS, dict(record.environment.metadata["table"])))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        value = record.task.metadata["start"]
        while value.startswith("k") and value[1:].isdigit():
            value = client.lookup(key=value)
        client.submit_word(word=value)

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        wrong = next(w for w in WORDS if w != gold_submission)
        return [Control("other_word", wrong, "word")]
