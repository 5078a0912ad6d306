"""The mathematics category: problems with exact answers that are quicker to compute than to derive.

Sits under the interpreter family (through `_problem.Problem`). Each kind is answered by the
generator with one method in plain Python (inclusion-exclusion, a dynamic programme, the Chinese
remainder theorem, Bareiss elimination, bisection on exact sign changes, a closed-form
antiderivative, an exact convolution) and by the gold cells with another in the kernel (numpy
brute force, memoized recursion, sympy), so `synth verify` compares two computations. Decoys are
the neighbouring answers: an exclusive bound, a half-done inclusion-exclusion, an ignored
constraint, the next solution, a sign error, the other root, the swapped bounds, "more than" for
"at least".
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

from synth.verifiers.interpreter import Answer

from ._problem import Decoy, KindCategory, Problem, Redraw, print_json

NUMBER = {"rel_tol": 1e-6, "abs_tol": 1e-9}


def not_divisible(n: int, divisors: list[int]) -> int:
    """How many of 1..n no divisor divides (inclusion-exclusion over lcms)."""
    count = 0
    for size in range(len(divisors) + 1):
        for chosen in itertools.combinations(divisors, size):
            count += (-1) ** size * (n // math.lcm(*chosen)) if chosen else n
    return count


def coprime_count(rng: random.Random, difficulty: int) -> Problem:
    n = rng.randrange(10 ** (difficulty + 1), 10 ** (difficulty + 2))
    divisors = sorted(rng.sample(range(2, 40), 3))
    a, b, c = divisors
    question = f"How many integers n with 1 <= n <= {n} are divisible by none of {a}, {b} and {c}?"
    gold = ("import numpy as np\n"
            f"n = np.arange(1, {n} + 1)\n"
            f"keep = (n % {a} != 0) & (n % {b} != 0) & (n % {c} != 0)\n" + print_json("int(keep.sum())"))
    return Problem("coprime_count", question, Answer(type="integer", value=not_divisible(n, divisors)), [gold], [
        Decoy("exclusive_bound", not_divisible(n - 1, divisors), "value"),
        Decoy("pairs_not_added_back", n - sum(n // d for d in divisors), "value"),
    ], facts={"n": n, "divisors": divisors})


def paths(m: int, n: int, blocked: set[tuple[int, int]]) -> int:
    ways = [[0] * (n + 1) for _ in range(m + 1)]
    for x in range(m + 1):
        for y in range(n + 1):
            if (x, y) in blocked:
                continue
            ways[x][y] = 1 if (x, y) == (0, 0) else (ways[x - 1][y] if x else 0) + (ways[x][y - 1] if y else 0)
    return ways[m][n]


def lattice_paths(rng: random.Random, difficulty: int) -> Problem:
    m, n = rng.randrange(4 + 3 * difficulty, 8 + 4 * difficulty), rng.randrange(4 + 3 * difficulty, 8 + 4 * difficulty)
    points: list[tuple[int, int]] = []
    while len(points) < 2 + 2 * difficulty:
        point = (rng.randrange(0, m + 1), rng.randrange(0, n + 1))
        if point not in points and point not in ((0, 0), (m, n)):
            points.append(point)
    value = paths(m, n, set(points))
    if value == 0:
        raise Redraw()
    listing = ", ".join(f"({x}, {y})" for x, y in points)
    question = (f"A path goes from (0, 0) to ({m}, {n}) in unit steps, each either right (x + 1) or up (y + 1). How "
                f"many such paths never visit any of these blocked points: {listing}?")
    gold = ("from functools import lru_cache\n"
            f"blocked = {set(points)!r}\n"
            "@lru_cache(maxsize=None)\n"
            "def ways(x, y):\n"
            "    if x < 0 or y < 0 or (x, y) in blocked:\n"
            "        return 0\n"
            "    return 1 if (x, y) == (0, 0) else ways(x - 1, y) + ways(x, y - 1)\n"
            + print_json(f"ways({m}, {n})"))
    return Problem("lattice_paths", question, Answer(type="integer", value=value), [gold], [
        Decoy("blocks_ignored", math.comb(m + n, m), "value"),
        Decoy("last_block_ignored", paths(m, n, set(points[:-1])), "value"),
    ], facts={"to": [m, n], "blocked": [list(p) for p in points]})


def crt(residues: list[int], moduli: list[int]) -> int:
    x, step = 0, 1
    for r, m in zip(residues, moduli):
        x += step * ((r - x) * pow(step, -1, m) % m)
        step *= m
    return x % step


def modular_system(rng: random.Random, difficulty: int) -> Problem:
    moduli: list[int] = []
    while len(moduli) < 2 + difficulty:
        m = rng.randrange(5, 40 + 30 * difficulty)
        if all(math.gcd(m, other) == 1 for other in moduli):
            moduli.append(m)
    residues = [rng.randrange(1, m) for m in moduli]
    x = crt(residues, moduli)
    value = x if x > 0 else math.prod(moduli)
    listing = "; ".join(f"x mod {m} = {r}" for r, m in zip(residues, moduli))
    question = f"What is the smallest positive integer x with {listing}?"
    gold = ("from sympy.ntheory.modular import crt\n"
            f"x, period = crt({moduli!r}, {residues!r})\n"
            "x = int(x) if int(x) > 0 else int(period)\n" + print_json("x"))
    return Problem("modular_system", question, Answer(type="integer", value=value), [gold], [
        Decoy("next_solution", value + math.prod(moduli), "value"),
        Decoy("first_congruence_dropped", crt(residues[1:], moduli[1:]) or math.prod(moduli[1:]), "value"),
    ], facts={"moduli": moduli, "residues": residues})


def bareiss(rows: list[list[int]]) -> int:
    a = [row[:] for row in rows]
    n, sign, previous = len(a), 1, 1
    for k in range(n - 1):
        if a[k][k] == 0:
            swap = next((i for i in range(k + 1, n) if a[i][k] != 0), None)
            if swap is None:
                return 0
            a[k], a[swap] = a[swap], a[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                a[i][j] = (a[i][j] * a[k][k] - a[i][k] * a[k][j]) // previous
        previous = a[k][k]
    return sign * a[n - 1][n - 1]


def determinant(rng: random.Random, difficulty: int) -> Problem:
    n = 3 + difficulty
    rows = [[rng.randrange(-9, 10) for _ in range(n)] for _ in range(n)]
    value = bareiss(rows)
    if value == 0:
        raise Redraw()
    question = f"What is the determinant of the {n}x{n} integer matrix with rows {rows}?"
    gold = ("import sympy\n"
            f"matrix = sympy.Matrix({rows!r})\n" + print_json("int(matrix.det())"))
    return Problem("determinant", question, Answer(type="integer", value=value), [gold], [
        Decoy("sign_flipped", -value, "value"),
        Decoy("diagonal_product", math.prod(rows[i][i] for i in range(n)), "value"),
    ], facts={"rows": rows})


def _poly_text(coefficients: list[int]) -> str:
    """Descending integer coefficients as text, e.g. x^3 - 2*x + 5."""
    terms = []
    degree = len(coefficients) - 1
    for power, c in zip(range(degree, -1, -1), coefficients):
        if c == 0:
            continue
        body = "x" if power == 1 else f"x^{power}" if power else ""
        magnitude = abs(c)
        text = (f"{magnitude}*{body}" if magnitude != 1 else body) if body else str(magnitude)
        terms.append(("- " if c < 0 else "+ ") + text)
    first = terms[0]
    return (first[2:] if first.startswith("+") else "-" + first[2:]) + "".join(" " + t for t in terms[1:])


def _evaluate(coefficients: list[int], x: Fraction | float) -> Fraction | float:
    value: Fraction | float = 0
    for c in coefficients:
        value = value * x + c
    return value


def _bisect(coefficients: list[int], low: Fraction, high: Fraction) -> float:
    f_low = _evaluate(coefficients, low)
    for _ in range(60):
        mid = (low + high) / 2
        f_mid = _evaluate(coefficients, mid)
        if (f_mid > 0) == (f_low > 0):
            low, f_low = mid, f_mid
        else:
            high = mid
    return float((low + high) / 2)


def largest_root(rng: random.Random, difficulty: int) -> Problem:
    degree = 2 + difficulty
    roots = sorted(rng.sample(range(-9, 10), degree))
    coefficients = [1]
    for r in roots:  # multiply by (x - r)
        coefficients = [a - r * b for a, b in zip(coefficients + [0], [0] + coefficients)]
    coefficients[-1] += rng.choice((-3, -2, -1, 1, 2, 3))
    found = []
    for r in roots:
        low, high = Fraction(2 * r - 1, 2), Fraction(2 * r + 1, 2)
        if (_evaluate(coefficients, low) > 0) == (_evaluate(coefficients, high) > 0):
            raise Redraw()  # the shift moved a root out of its bracket: not every root stays real
        found.append(_bisect(coefficients, low, high))
    question = f"What is the largest real root of p(x) = {_poly_text(coefficients)}?"
    gold = ("import numpy as np\n"
            f"roots = np.roots({coefficients!r})\n"
            "real = [r.real for r in roots if abs(r.imag) < 1e-9]\n" + print_json("float(max(real))"))
    value = max(found)
    return Problem("largest_root", question, Answer(type="number", value=value, **NUMBER), [gold], [
        Decoy("smallest_root", min(found), "value"),
        Decoy("nearest_integer", float(round(value)), "value"),
    ], facts={"coefficients": coefficients})


def antiderivative(coefficients: list[int], c: Fraction, x: int) -> float:
    """F(x) = e^(c x) * sum_i (-1)^i p^(i)(x) / c^(i+1), an antiderivative of p(x) e^(c x)."""
    poly = list(coefficients)  # descending
    total = Fraction(0)
    for i in range(len(coefficients)):
        total += (-1) ** i * Fraction(_evaluate(poly, Fraction(x))) / c ** (i + 1)
        degree = len(poly) - 1
        poly = [a * (degree - k) for k, a in enumerate(poly[:-1])] or [0]
    return math.exp(float(c * x)) * float(total)


def integral(rng: random.Random, difficulty: int) -> Problem:
    degree = 1 + min(difficulty, 4)
    coefficients = [rng.choice((1, 2, 3)) * rng.choice((-1, 1))] + [rng.randrange(-5, 6) for _ in range(degree)]
    c = Fraction(rng.choice((-3, -2, -1, 1, 2, 3)), 2)
    a = rng.randrange(-3, 2)
    b = a + rng.randrange(1, 4)
    upper, lower = antiderivative(coefficients, c, b), antiderivative(coefficients, c, a)
    value = upper - lower
    if abs(value) < 1e-3 * max(abs(upper), abs(lower)):
        raise Redraw()  # the difference would lose digits to cancellation
    exponent = f"{c.numerator}*x/{c.denominator}" if c.denominator != 1 else f"{c.numerator}*x"
    question = f"What is the integral of ({_poly_text(coefficients)}) * exp({exponent}) dx from x = {a} to x = {b}?"
    plain = _poly_text(coefficients).replace("^", "**")
    gold = ("import sympy\n"
            "x = sympy.Symbol('x')\n"
            f"value = sympy.integrate(({plain}) * sympy.exp(sympy.Rational({c.numerator}, {c.denominator}) * x), "
            f"(x, {a}, {b}))\n" + print_json("float(value.evalf(30))"))
    poly_only = float(sum(Fraction(k, p + 1) * (Fraction(b) ** (p + 1) - Fraction(a) ** (p + 1))
                          for p, k in zip(range(degree, -1, -1), coefficients)))
    return Problem("integral", question, Answer(type="number", value=value, **NUMBER), [gold], [
        Decoy("bounds_swapped", -value, "value"),
        Decoy("exponential_dropped", poly_only, "value"),
    ], facts={"coefficients": coefficients, "exponent": str(c), "from": a, "to": b})


def dice_sums(k: int, sides: int) -> list[int]:
    """Ways to roll each total with k dice of `sides` sides (index = total)."""
    ways = [1]
    for _ in range(k):
        nxt = [0] * (len(ways) + sides)
        for total, count in enumerate(ways):
            if count:
                for face in range(1, sides + 1):
                    nxt[total + face] += count
        ways = nxt
    return ways


def dice_probability(rng: random.Random, difficulty: int) -> Problem:
    k = 2 + difficulty
    sides = rng.choice((4, 6, 8, 10, 12) if difficulty < 4 else (4, 6, 8))
    ways = dice_sums(k, sides)
    outcomes = sides ** k
    threshold = rng.randrange(k + 1, k * sides)

    def at_least(t: int) -> float:
        return float(Fraction(sum(ways[t:]), outcomes))

    question = (f"{k} fair dice with faces 1 to {sides} are rolled. What is the probability that the sum of the faces "
                f"is at least {threshold}?")
    gold = ("import itertools\n"
            f"favourable = sum(1 for roll in itertools.product(range(1, {sides} + 1), repeat={k}) if sum(roll) >= {threshold})\n"
            + print_json(f"favourable / {sides} ** {k}"))
    value = at_least(threshold)
    return Problem("dice_probability", question, Answer(type="number", value=value, **NUMBER), [gold], [
        Decoy("strictly_greater", at_least(threshold + 1), "value"),
        Decoy("complement", 1 - value, "value"),
    ], facts={"dice": k, "sides": sides, "at_least": threshold})


KINDS = (coprime_count, lattice_paths, modular_system, determinant, largest_root, integral, dice_probability)


class MathCategory(KindCategory):
    name = "math"
    description = ("Mathematics with exact answers: counting, number theory, linear algebra, root finding, "
                   "integrals, probability by enumeration.")
    KINDS = KINDS
