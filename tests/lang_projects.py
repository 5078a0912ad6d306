"""Small projects of the language layer's tests (importable from any test: pytest's pythonpath
includes tests/): a TypeScript calculator with node:test tests in .ts files, and a Maven one with
JUnit 4 tests."""

from __future__ import annotations

from pathlib import Path

TS_PROJECT = {
    "package.json": '{"name": "calc", "version": "1.0.0", "type": "module"}\n',
    "tsconfig.json": '{"compilerOptions": {"strict": true}}\n',
    "src/calc.ts": "export function clamp(x: number, lo: number, hi: number): number {\n  if (x < lo) {\n    return lo;\n  }\n"
                   "  if (x > hi) {\n    return hi;\n  }\n  return x;\n}\n\nexport function add(a: number, b: number): number {\n"
                   "  return a + b;\n}\n\nexport function unused(x: number): number {\n  return x * 2;\n}\n",
    "test/calc.test.ts": "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n"
                         "import { add, clamp } from '../src/calc.ts';\n\n"
                         "test('adds', () => { assert.equal(add(1, 2), 3); });\n"
                         "test('clamps', () => { assert.equal(clamp(5, 0, 3), 3); assert.equal(clamp(-1, 0, 3), 0); });\n",
}


JAVA_PROJECT = {
    "pom.xml": "<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>calc</artifactId>"
               "<version>1</version><properties><a>1</a></properties></project>\n",
    "src/main/java/org/x/Calc.java": "package org.x;\n\npublic class Calc {\n    public static int add(int a, int b) {\n"
                                     "        if (a > b) { return a + b; }\n        return b + a;\n    }\n\n"
                                     "    static int unused(int x) { return x * 2; }\n}\n",
    "src/test/java/org/x/CalcTest.java": "package org.x;\n\nimport org.junit.Test;\nimport static org.junit.Assert.*;\n\n"
                                         "public class CalcTest {\n    @Test\n    public void adds() { assertEquals(3, Calc.add(1, 2)); }\n\n"
                                         "    @Test(timeout = 100)\n    public void clamps() { }\n}\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root
