"""The logic and algorithms category: puzzles over a data file that need a search or a simulation.

Sits under the interpreter family (through `_problem.Problem`). Graphs, pipe networks, job lists,
flight tables, Life boards and cost matrices are written as files under /data; the generator
answers with one algorithm (Dijkstra, Edmonds-Karp, an event simulation, BFS, a set-based Life
step, a bitmask dynamic programme) and the gold cells with another (Bellman-Ford relaxation, DFS
augmenting paths, an hour-by-hour simulation, frontier sets, numpy neighbour sums, brute-force
permutations). Decoys are the answers of the tempting shortcuts: fewest edges instead of least
weight, roads taken both ways, the source's capacity or one widest path for a flow, unlimited or
one fewer workers, one flight more or fewer, one generation short, a wrapped board, a greedy
assignment.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque

from synth.verifiers.interpreter import Answer

from ._problem import Decoy, KindCategory, Problem, Redraw, csv_bytes, print_json

SYLLABLES = ("ar", "bel", "cor", "dan", "el", "fir", "gal", "hol", "ist", "jor", "kel", "lun", "mor", "nor", "ost",
             "pel", "quin", "ros", "sil", "tor", "ul", "ven", "wel", "yr", "zan")


def place_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(("", "a", "o", "en", "ia"))).capitalize()
        if name not in names:
            names.append(name)
    return names


Edges = list[tuple[str, str, int]]


def road_network(rng: random.Random, difficulty: int) -> tuple[list[str], Edges]:
    """A strongly connected one-way road network: a random cycle plus random chords."""
    nodes = place_names(rng, 8 + 8 * difficulty)
    order = nodes[:]
    rng.shuffle(order)
    edges = {(a, b) for a, b in zip(order, order[1:] + order[:1])}
    while len(edges) < 3 * len(nodes):
        a, b = rng.sample(nodes, 2)
        edges.add((a, b))
    return nodes, [(a, b, rng.randrange(1, 30)) for a, b in sorted(edges)]


def dijkstra(edges: Edges, source: str, both_ways: bool = False) -> tuple[dict[str, int], dict[str, int]]:
    """(least distance, number of least-distance paths) from `source`."""
    graph: dict[str, list[tuple[str, int]]] = {}
    for a, b, w in edges:
        graph.setdefault(a, []).append((b, w))
        if both_ways:
            graph.setdefault(b, []).append((a, w))
    dist, count = {source: 0}, {source: 1}
    heap = [(0, source)]
    done: set[str] = set()
    while heap:
        d, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for nxt, w in graph.get(node, []):
            if nxt not in dist or d + w < dist[nxt]:
                dist[nxt], count[nxt] = d + w, count[node]
                heapq.heappush(heap, (d + w, nxt))
            elif d + w == dist[nxt]:
                count[nxt] += count[node]
    return dist, count


def fewest_edges(edges: Edges, source: str, target: str) -> tuple[int, list[str]]:
    """Among the paths with the fewest edges, the least weight, and that path (ties: smaller names)."""
    graph: dict[str, list[tuple[str, int]]] = {}
    for a, b, w in edges:
        graph.setdefault(a, []).append((b, w))
    # (hops, weight, path) ordered lexicographically: a Dijkstra on that key
    heap = [(0, 0, [source])]
    seen: set[str] = set()
    while heap:
        hops, weight, path = heapq.heappop(heap)
        node = path[-1]
        if node == target:
            return weight, path
        if node in seen:
            continue
        seen.add(node)
        for nxt, w in graph.get(node, []):
            if nxt not in seen:
                heapq.heappush(heap, (hops + 1, weight + w, path + [nxt]))
    raise Redraw()


def route(edges: Edges, source: str, target: str, both_ways: bool = False) -> list[str]:
    """The least-weight route (callers make sure it is the only one)."""
    graph: dict[str, list[tuple[str, int]]] = {}
    for a, b, w in edges:
        graph.setdefault(a, []).append((b, w))
        if both_ways:
            graph.setdefault(b, []).append((a, w))
    heap = [(0, [source])]
    seen: set[str] = set()
    while heap:
        d, path = heapq.heappop(heap)
        if path[-1] == target:
            return path
        if path[-1] in seen:
            continue
        seen.add(path[-1])
        for nxt, w in graph.get(path[-1], []):
            heapq.heappush(heap, (d + w, path + [nxt]))
    raise Redraw()


ROADS_NOTE = "/data/roads.csv lists one-way roads: columns from, to, minutes (a road can only be driven from -> to)."


def shortest_distance(rng: random.Random, difficulty: int) -> Problem:
    nodes, edges = road_network(rng, difficulty)
    source, target = rng.sample(nodes, 2)
    dist, _ = dijkstra(edges, source)
    question = f"{ROADS_NOTE}\n\nWhat is the least total number of minutes to drive from {source} to {target}?"
    gold = ("import csv\n"
            "roads = [(r['from'], r['to'], int(r['minutes'])) for r in csv.DictReader(open('/data/roads.csv'))]\n"
            f"best = {{{source!r}: 0}}\n"
            "changed = True\n"
            "while changed:  # Bellman-Ford: relax every road until nothing improves\n"
            "    changed = False\n"
            "    for a, b, w in roads:\n"
            "        if a in best and best[a] + w < best.get(b, float('inf')):\n"
            "            best[b] = best[a] + w\n"
            "            changed = True\n" + print_json(f"best[{target!r}]"))
    return Problem("shortest_distance", question, Answer(type="integer", value=dist[target]), [gold], [
        Decoy("fewest_roads", fewest_edges(edges, source, target)[0], "value"),
        Decoy("two_way_roads", dijkstra(edges, source, both_ways=True)[0][target], "value"),
    ], files={"roads.csv": csv_bytes(("from", "to", "minutes"), edges)}, facts={"from": source, "to": target})


def shortest_route(rng: random.Random, difficulty: int) -> Problem:
    nodes, edges = road_network(rng, difficulty)
    source, target = rng.sample(nodes, 2)
    _, count = dijkstra(edges, source)
    if count[target] != 1:
        raise Redraw()  # the route must be the only fastest one
    value = route(edges, source, target)
    question = (f"{ROADS_NOTE}\n\nWhat is the fastest route from {source} to {target}? Answer with the list of "
                f"places in driving order, from {source} to {target} included (it is the only fastest one).")
    gold = ("import csv, heapq\n"
            "roads = {}\n"
            "for r in csv.DictReader(open('/data/roads.csv')):\n"
            "    roads.setdefault(r['from'], []).append((r['to'], int(r['minutes'])))\n"
            f"dist, previous, heap = {{{source!r}: 0}}, {{}}, [(0, {source!r})]\n"
            "while heap:\n"
            "    d, here = heapq.heappop(heap)\n"
            "    if d > dist[here]:\n"
            "        continue\n"
            "    for there, w in roads.get(here, []):\n"
            "        if d + w < dist.get(there, float('inf')):\n"
            "            dist[there], previous[there] = d + w, here\n"
            "            heapq.heappush(heap, (d + w, there))\n"
            f"path = [{target!r}]\n"
            f"while path[-1] != {source!r}:\n"
            "    path.append(previous[path[-1]])\n" + print_json("path[::-1]"))
    return Problem("shortest_route", question, Answer(type="list", value=value, case_sensitive=True), [gold], [
        Decoy("fewest_roads", fewest_edges(edges, source, target)[1], "items"),
        Decoy("two_way_roads", route(edges, source, target, both_ways=True), "items"),
    ], files={"roads.csv": csv_bytes(("from", "to", "minutes"), edges)}, facts={"from": source, "to": target})


def edmonds_karp(edges: Edges, source: str, sink: str) -> int:
    capacity: dict[tuple[str, str], int] = {}
    neighbours: dict[str, set[str]] = {}
    for a, b, c in edges:
        capacity[(a, b)] = capacity.get((a, b), 0) + c
        capacity.setdefault((b, a), 0)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    flow = 0
    while True:
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            here = queue.popleft()
            for there in sorted(neighbours.get(here, ())):
                if there not in parent and capacity[(here, there)] > 0:
                    parent[there] = here
                    queue.append(there)
        if sink not in parent:
            return flow
        path, node = [], sink
        while node != source:
            path.append((parent[node], node))
            node = parent[node]
        push = min(capacity[e] for e in path)
        for a, b in path:
            capacity[(a, b)] -= push
            capacity[(b, a)] += push
        flow += push


def widest_path(edges: Edges, source: str, sink: str) -> int:
    best = {source: 10 ** 9}
    heap = [(-best[source], source)]
    graph: dict[str, list[tuple[str, int]]] = {}
    for a, b, c in edges:
        graph.setdefault(a, []).append((b, c))
    while heap:
        width, here = heapq.heappop(heap)
        for there, c in graph.get(here, []):
            w = min(-width, c)
            if w > best.get(there, 0):
                best[there] = w
                heapq.heappush(heap, (-w, there))
    return best.get(sink, 0)


def max_flow(rng: random.Random, difficulty: int) -> Problem:
    nodes = place_names(rng, 6 + 4 * difficulty)
    source, sink = nodes[0], nodes[-1]
    pairs = {(a, b) for a, b in zip(nodes, nodes[1:])}
    while len(pairs) < 3 * len(nodes):
        a, b = rng.sample(nodes, 2)
        if b != source and a != sink:
            pairs.add((a, b))
    edges = [(a, b, rng.randrange(1, 21)) for a, b in sorted(pairs)]
    value = edmonds_karp(edges, source, sink)
    question = (f"/data/pipes.csv lists one-way pipes: columns from, to, capacity (litres per second). What is the "
                f"largest flow, in litres per second, that can be sent from {source} to {sink}?")
    gold = ("import csv\n"
            "residual = {}\n"
            "for r in csv.DictReader(open('/data/pipes.csv')):\n"
            "    a, b = r['from'], r['to']\n"
            "    residual.setdefault(a, {}).setdefault(b, 0)\n"
            "    residual.setdefault(b, {}).setdefault(a, 0)\n"
            "    residual[a][b] += int(r['capacity'])\n"
            "def augment(here, limit, seen):  # depth-first search for an augmenting path\n"
            f"    if here == {sink!r}:\n"
            "        return limit\n"
            "    seen.add(here)\n"
            "    for there, left in residual[here].items():\n"
            "        if left > 0 and there not in seen:\n"
            "            pushed = augment(there, min(limit, left), seen)\n"
            "            if pushed:\n"
            "                residual[here][there] -= pushed\n"
            "                residual[there][here] += pushed\n"
            "                return pushed\n"
            "    return 0\n"
            "total = 0\n"
            "while True:\n"
            f"    pushed = augment({source!r}, float('inf'), set())\n"
            "    if not pushed:\n"
            "        break\n"
            "    total += pushed\n" + print_json("int(total)"))
    return Problem("max_flow", question, Answer(type="integer", value=value), [gold], [
        Decoy("source_capacity", sum(c for a, _, c in edges if a == source), "value"),
        Decoy("widest_single_path", widest_path(edges, source, sink), "value"),
    ], files={"pipes.csv": csv_bytes(("from", "to", "capacity"), edges)}, facts={"from": source, "to": sink})


Jobs = dict[str, tuple[int, list[str]]]


def simulate(jobs: Jobs, workers: int | None) -> int:
    """Finish time when each free worker takes the ready job with the smallest name (event by event)."""
    done: set[str] = set()
    running: list[tuple[int, str]] = []
    waiting = sorted(jobs)
    now = 0
    while waiting or running:
        ready = [j for j in waiting if all(p in done for p in jobs[j][1])]
        free = len(ready) if workers is None else workers - len(running)
        for job in ready[:max(free, 0)]:
            waiting.remove(job)
            heapq.heappush(running, (now + jobs[job][0], job))
        now = running[0][0]
        while running and running[0][0] == now:
            done.add(heapq.heappop(running)[1])
    return now


def job_schedule(rng: random.Random, difficulty: int) -> Problem:
    names = [f"J{i:02d}" for i in range(1, 8 + 5 * difficulty)]
    jobs: Jobs = {}
    for i, name in enumerate(names):
        before = names[:i]
        jobs[name] = (rng.randrange(1, 12), sorted(rng.sample(before, min(len(before), rng.randrange(0, 3)))))
    workers = rng.randrange(2, 5)
    rows = [(name, hours, ";".join(after)) for name, (hours, after) in jobs.items()]
    question = ("/data/jobs.csv lists jobs: columns job, hours, after (the jobs, separated by ';', that must be "
                f"finished before it may start). {workers} workers start at hour 0. Whenever a worker is free it "
                "starts, among the jobs whose prerequisites are all finished, the one with the smallest name; a job "
                "is never split. When several workers are free at the same moment they take jobs in that order, "
                "and a job finishing at a moment counts as finished for every job started at that moment. At "
                "which hour is the last job finished?")
    gold = ("import csv\n"
            "jobs = {r['job']: (int(r['hours']), [p for p in r['after'].split(';') if p]) "
            "for r in csv.DictReader(open('/data/jobs.csv'))}\n"
            "finished, ends, hour = set(), {}, 0\n"
            "busy = {}  # worker -> (job, end)\n"
            "while len(finished) < len(jobs):  # step hour by hour\n"
            "    for worker, (job, end) in list(busy.items()):\n"
            "        if end == hour:\n"
            "            finished.add(job)\n"
            "            del busy[worker]\n"
            "    started = {job for job, _ in busy.values()} | finished\n"
            "    ready = sorted(j for j in jobs if j not in started and all(p in finished for p in jobs[j][1]))\n"
            f"    for worker in range({workers}):\n"
            "        if worker not in busy and ready:\n"
            "            job = ready.pop(0)\n"
            "            busy[worker] = (job, hour + jobs[job][0])\n"
            "    if len(finished) < len(jobs):\n"
            "        hour += 1\n" + print_json("hour"))
    return Problem("job_schedule", question, Answer(type="integer", value=simulate(jobs, workers)), [gold], [
        Decoy("unlimited_workers", simulate(jobs, None), "value"),
        Decoy("one_worker_fewer", simulate(jobs, workers - 1), "value"),
        Decoy("one_worker_more", simulate(jobs, workers + 1), "value"),
    ], files={"jobs.csv": csv_bytes(("job", "hours", "after"), rows)}, facts={"workers": workers})


def within(flights: list[tuple[str, str]], start: str, hops: int) -> list[str]:
    graph: dict[str, set[str]] = {}
    for a, b in flights:
        graph.setdefault(a, set()).add(b)
    depth = {start: 0}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if depth[here] == hops:
            continue
        for there in graph.get(here, ()):
            if there not in depth:
                depth[there] = depth[here] + 1
                queue.append(there)
    return sorted(p for p in depth if p != start)


def reachable(rng: random.Random, difficulty: int) -> Problem:
    airports = place_names(rng, 12 + 10 * difficulty)
    flights = sorted({tuple(rng.sample(airports, 2)) for _ in range(2 * len(airports))})  # type: ignore[misc]
    start, hops = rng.choice(airports), rng.randrange(2, 4)
    value = within(flights, start, hops)  # type: ignore[arg-type]
    if not value:
        raise Redraw()
    question = (f"/data/flights.csv lists direct flights: columns from, to (one direction each). Which airports can "
                f"be reached from {start} with at most {hops} flights? Do not count {start} itself.")
    gold = ("import csv\n"
            "flights = [(r['from'], r['to']) for r in csv.DictReader(open('/data/flights.csv'))]\n"
            f"seen, frontier = {{{start!r}}}, {{{start!r}}}\n"
            f"for _ in range({hops}):\n"
            "    frontier = {b for a, b in flights if a in frontier} - seen\n"
            "    seen |= frontier\n" + print_json(f"sorted(seen - {{{start!r}}})"))
    return Problem("reachable", question, Answer(type="string_set", value=value, case_sensitive=True), [gold], [
        Decoy("one_flight_more", within(flights, start, hops + 1), "members"),  # type: ignore[arg-type]
        Decoy("one_flight_fewer", within(flights, start, hops - 1), "members"),  # type: ignore[arg-type]
    ], files={"flights.csv": csv_bytes(("from", "to"), flights)}, facts={"from": start, "at_most": hops})


def life_step(alive: set[tuple[int, int]], rows: int, cols: int, wrap: bool = False) -> set[tuple[int, int]]:
    counts: dict[tuple[int, int], int] = {}
    for r, c in alive:
        for dr, dc in itertools.product((-1, 0, 1), repeat=2):
            if dr or dc:
                nr, nc = r + dr, c + dc
                if wrap:
                    nr, nc = nr % rows, nc % cols
                elif not (0 <= nr < rows and 0 <= nc < cols):
                    continue
                counts[(nr, nc)] = counts.get((nr, nc), 0) + 1
    return {cell for cell, n in counts.items() if n == 3 or (n == 2 and cell in alive)}


def life(rng: random.Random, difficulty: int) -> Problem:
    rows, cols = 10 + 6 * difficulty, 12 + 8 * difficulty
    generations = rng.randrange(5 + 5 * difficulty, 10 + 10 * difficulty)
    board = {(r, c) for r in range(rows) for c in range(cols) if rng.random() < 0.3}

    def run(steps: int, wrap: bool = False) -> int:
        alive = set(board)
        for _ in range(steps):
            alive = life_step(alive, rows, cols, wrap)
        return len(alive)

    text = "\n".join("".join("#" if (r, c) in board else "." for c in range(cols)) for r in range(rows)) + "\n"
    question = (f"/data/board.txt is a Game of Life board ({rows} lines of {cols} cells; '#' alive, '.' dead). Each "
                "generation, a live cell with 2 or 3 live neighbours (of its 8) stays alive, a dead cell with exactly "
                "3 comes alive, and every other cell is dead; cells outside the board are always dead. How many "
                f"cells are alive after {generations} generations?")
    gold = ("import numpy as np\n"
            "board = np.array([[ch == '#' for ch in line] for line in open('/data/board.txt').read().split()], dtype=int)\n"
            f"for _ in range({generations}):\n"
            "    padded = np.pad(board, 1)\n"
            "    neighbours = sum(padded[1 + dr:padded.shape[0] - 1 + dr, 1 + dc:padded.shape[1] - 1 + dc]\n"
            "                     for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)\n"
            "    board = ((neighbours == 3) | ((board == 1) & (neighbours == 2))).astype(int)\n"
            + print_json("int(board.sum())"))
    return Problem("life", question, Answer(type="integer", value=run(generations)), [gold], [
        Decoy("one_generation_short", run(generations - 1), "value"),
        Decoy("wrapped_edges", run(generations, wrap=True), "value"),
    ], files={"board.txt": text.encode()}, facts={"rows": rows, "cols": cols, "generations": generations})


def cheapest_assignment(costs: list[list[int]]) -> int:
    n = len(costs)
    best = {0: 0}
    for worker in range(n):  # dynamic programme over the set of tasks taken so far
        nxt: dict[int, int] = {}
        for taken, cost in best.items():
            for task in range(n):
                if not taken >> task & 1:
                    key = taken | 1 << task
                    value = cost + costs[worker][task]
                    if value < nxt.get(key, 1 << 60):
                        nxt[key] = value
        best = nxt
    return best[(1 << n) - 1]


def assignment(rng: random.Random, difficulty: int) -> Problem:
    n = 3 + difficulty
    costs = [[rng.randrange(5, 60) for _ in range(n)] for _ in range(n)]
    workers = [f"w{i + 1}" for i in range(n)]
    tasks = [f"t{j + 1}" for j in range(n)]
    greedy, taken = 0, set()
    for row in costs:
        task = min((c, j) for j, c in enumerate(row) if j not in taken)[1]
        taken.add(task)
        greedy += row[task]
    question = (f"/data/costs.csv gives the cost of each worker (rows {workers[0]}..{workers[-1]}) doing each task "
                f"(columns {tasks[0]}..{tasks[-1]}). Every worker must do exactly one task and every task must be done "
                "by exactly one worker. What is the least possible total cost?")
    gold = ("import csv, itertools\n"
            "rows = list(csv.reader(open('/data/costs.csv')))[1:]\n"
            "costs = [[int(x) for x in row[1:]] for row in rows]\n"
            "n = len(costs)\n"
            + print_json("min(sum(costs[w][t] for w, t in enumerate(order)) for order in itertools.permutations(range(n)))"))
    return Problem("assignment", question, Answer(type="integer", value=cheapest_assignment(costs)), [gold], [
        Decoy("greedy", greedy, "value"),
        Decoy("row_minima", sum(min(row) for row in costs), "value"),
    ], files={"costs.csv": csv_bytes(("worker", *tasks), [(w, *row) for w, row in zip(workers, costs)])},
        facts={"workers": n})


KINDS = (shortest_distance, shortest_route, max_flow, job_schedule, reachable, life, assignment)


class LogicCategory(KindCategory):
    name = "logic"
    description = ("Logic and algorithms over a data file: shortest paths and routes, maximum flows, job schedules "
                   "by simulation, reachability, Game of Life, optimal assignment.")
    KINDS = KINDS
