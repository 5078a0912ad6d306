"""`synth report`: one self-contained HTML file that says what a run holds.

Sits after the stages (generate -> verify -> rollout -> export), beside the viewer; it only reads
the run, through `RunIndex`. The page holds the funnel (candidates -> built -> validated -> sound ->
kept, with rejection reasons), soundness per family, category and difficulty, baseline and model
pass rates by difficulty (pass@1, pass@k), endings, tool calls, tool errors and tokens per episode,
the validation facts families record (the code family's F2P/P2P sizes and flake rates), and a table
of every task linking to its trajectories in `synth view`. Guarantees:

- Self-contained and offline: plots are inline SVG drawn by matplotlib, styles are inline, and a
  Content-Security-Policy forbids every script and every network load, so nothing a model wrote
  can run and the file opens anywhere.
- Everything taken from the run is HTML-escaped.
- Deterministic: the same run gives the same bytes (no timestamps; SVG ids are salted per figure).
- Written atomically: a failed report leaves no partial file.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ._grading import pass_at_k
from ._runindex import INFRASTRUCTURE, RunIndex, TaskRow
from ._store import atomic_write

DEFAULT_VIEWER = "http://127.0.0.1:8321"
PASS, FAIL, OTHER, EXTRA = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def reason_group(reason: str) -> str:
    """A rejection reason without its particulars: the text before ':' or ', e.g.', numbers as N."""
    head = re.split(r":|, e\.g\.", reason, maxsplit=1)[0].strip()
    return re.sub(r"\b\d+(\.\d+)?\b", "N", head)[:160]


# -- the figures ----------------------------------------------------------------------------------
@dataclass
class Funnel:
    candidates: int
    built: int
    validated: int
    sound: int
    kept: int
    reasons: list[tuple[str, int, str]] = field(default_factory=list)
    """(reason group, count, one full example) of rejections, most frequent first."""


def funnel(index: RunIndex) -> Funnel:
    rows = index.rows()
    tuples = len(rows)
    sound = sum(r.soundness == "sound" for r in rows)
    kept = sum(r.soundness == "sound" and not r.easy for r in rows)
    groups: dict[str, list[str]] = defaultdict(list)
    for rejection in index.rejections:
        groups[reason_group(rejection.reason)].append(rejection.reason)
    reasons = sorted(((g, len(v), v[0]) for g, v in groups.items()), key=lambda x: (-x[1], x[0]))
    built = tuples + sum(r.validated for r in index.rejections)
    return Funnel(tuples + len(index.rejections), built, tuples, sound, kept, reasons)


@dataclass
class Breakdown:
    """Soundness counts of a group of tasks."""

    tuples: int = 0
    sound: int = 0
    unsound: int = 0
    unverified: int = 0
    easy: int = 0

    def add(self, row: TaskRow) -> None:
        self.tuples += 1
        setattr(self, row.soundness, getattr(self, row.soundness) + 1)
        self.easy += row.easy


def breakdown(rows: Iterable[TaskRow], by: Any) -> dict[Any, Breakdown]:
    out: dict[Any, Breakdown] = defaultdict(Breakdown)
    for row in rows:
        out[by(row)].add(row)
    return dict(sorted(out.items()))


@dataclass
class PassRow:
    difficulty: int
    tasks: int
    baselined: int
    """Tasks with baseline controls."""
    easy: int
    """Of those, tasks a baseline solves."""
    gold: int
    """Tasks whose gold passed."""
    models: dict[str, tuple[int, float, float, int]] = field(default_factory=dict)
    """Per model: (tasks rolled out, pass@1, pass@k, k)."""


def pass_rates(index: RunIndex) -> list[PassRow]:
    by_difficulty: dict[int, list[TaskRow]] = defaultdict(list)
    for row in index.rows():
        by_difficulty[row.difficulty].append(row)
    models = index.models()
    out = []
    for difficulty, rows in sorted(by_difficulty.items()):
        item = PassRow(difficulty, len(rows), sum(bool(r.baselines) for r in rows), sum(r.easy for r in rows),
                       sum(any(c.control == "gold" and c.status == "pass" for c in r.controls) for r in rows))
        for model in models:
            stats = [r.model_stats(model) for r in rows]
            stats = [s for s in stats if s[0]]
            if not stats:
                continue
            k = max(n for n, _ in stats)
            at1 = sum(pass_at_k(n, c, 1) for n, c in stats) / len(stats)
            atk = sum(pass_at_k(n, c, k) for n, c in stats) / len(stats)
            item.models[model] = (len(stats), at1, atk, k)
        out.append(item)
    return out


def _summary(values: Sequence[float]) -> tuple[float, float, float, float]:
    """(mean, median, p90, max); zeros for no values."""
    if not values:
        return (0.0, 0.0, 0.0, 0.0)
    ordered = sorted(values)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (sum(ordered) / len(ordered), at(0.5), at(0.9), ordered[-1])


# -- plots ----------------------------------------------------------------------------------------
class Plots:
    """matplotlib figures as inline SVG text (imported here: only the report needs matplotlib)."""

    def __init__(self) -> None:
        try:
            import matplotlib
        except ImportError:  # pragma: no cover - make test installs it
            from ._errors import ConfigError

            raise ConfigError("synth report needs matplotlib: pip install 'synth[report]'") from None
        from matplotlib.figure import Figure

        self.matplotlib, self.Figure, self.count = matplotlib, Figure, 0

    def figure(self, width: float = 6.4, height: float = 2.6, cols: int = 1) -> Any:
        fig = self.Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(1, cols, squeeze=False)[0]
        for ax in axes:
            ax.spines[["top", "right"]].set_visible(False)
        return fig, axes

    def svg(self, fig: Any, label: str) -> str:
        self.count += 1
        params = {"svg.fonttype": "none", "svg.hashsalt": f"synth-{self.count}", "svg.id": f"plot-{self.count}"}
        buffer = io.StringIO()
        with self.matplotlib.rc_context(params):
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        text = buffer.getvalue()
        text = text[text.index("<svg"):]
        return f'<figure role="img" aria-label="{esc(label)}">{text}</figure>'

    def bars(self, labels: list[str], series: dict[str, list[float]], colors: list[str], label: str, *,
             stacked: bool = True, horizontal: bool = True, percent: bool = False, xlabel: str = "") -> str:
        height = max(1.6, 0.32 * len(labels) + 0.9) if horizontal else 2.6
        fig, (ax,) = self.figure(height=height)
        positions = list(range(len(labels)))
        base = [0.0] * len(labels)
        width = 0.8 / (1 if stacked else max(1, len(series)))
        for n, ((name, values), color) in enumerate(zip(series.items(), colors)):
            shift = [p if stacked else p - 0.4 + width * (n + 0.5) for p in positions]
            if horizontal:
                ax.barh(shift, values, height=width, left=base if stacked else None, color=color, label=name)
            else:
                ax.bar(shift, values, width=width, bottom=base if stacked else None, color=color, label=name)
            if stacked:
                base = [b + v for b, v in zip(base, values)]
        if horizontal:
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()
        else:
            ax.set_xticks(positions, labels)
            ax.set_xlabel(xlabel)
        if percent:
            (ax.set_xlim if horizontal else ax.set_ylim)(0, 1)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return self.svg(fig, label)

    def histograms(self, panels: dict[str, list[float]], label: str) -> str:
        fig, axes = self.figure(height=2.2, cols=len(panels))
        for ax, (name, values) in zip(axes, panels.items()):
            ax.hist(values or [0], bins=min(20, max(1, len(set(values)))), color=EXTRA)
            ax.set_title(name, fontsize="small")
        return self.svg(fig, label)


# -- the page -------------------------------------------------------------------------------------
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#212121;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f5f5f5}td.l,th.l{text-align:left}code{font-size:12px}
.pass{color:#2e7d32}.fail{color:#c62828}.muted{color:#757575}figure{margin:8px 0}
.tasks td{font-size:12px;padding:2px 6px}nav a{margin-right:12px}
"""


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, left: int = 1, cls: str = "", ident: str = "") -> str:
    """An HTML table; the first `left` columns align left; cells are escaped unless wrapped in Raw."""
    def cell(value: Any, tag: str, n: int) -> str:
        align = ' class="l"' if n < left else ""
        content = value.text if isinstance(value, Raw) else esc(value)
        return f"<{tag}{align}>{content}</{tag}>"

    head = "".join(cell(h, "th", n) for n, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell(v, "td", n) for n, v in enumerate(row)) + "</tr>" for row in rows)
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{ident}"' if ident else "")
    return f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Raw:
    """Trusted markup for a table cell (built from escaped parts)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _funnel_section(index: RunIndex, plots: Plots) -> str:
    f = funnel(index)
    stages = [("candidates", f.candidates), ("built", f.built), ("validated", f.validated), ("sound", f.sound), ("kept", f.kept)]
    rows = [(name, count, _pct(count, f.candidates)) for name, count in stages]
    out = [
        "<h2 id='funnel'>Funnel</h2>",
        "<p class='muted'>candidates: tuples and rejections; built: candidates whose validation ran; validated: "
        "tuples; sound: gold passes and every control gives what it must; kept: sound and no baseline solves it.</p>",
        _table(["stage", "count", "of candidates"], rows, ident="funnel-table"),
        plots.bars([s for s, _ in stages], {"count": [c for _, c in stages]}, [EXTRA], "funnel"),
    ]
    if f.reasons:
        out.append(f"<h3>Rejection reasons ({sum(c for _, c, _ in f.reasons)})</h3>")
        out.append(_table(["reason", "count", "example"], [(g, c, e[:300]) for g, c, e in f.reasons[:50]], ident="rejections"))
    else:
        out.append("<p>No candidate was rejected.</p>")
    return "\n".join(out)


def _soundness_section(index: RunIndex, plots: Plots) -> str:
    rows = index.rows()
    by_cat = breakdown(rows, lambda r: (r.family, r.category))
    by_diff = breakdown(rows, lambda r: (r.family, r.difficulty))
    headers = ["tuples", "sound", "unsound", "unverified", "solved by a baseline"]

    def line(b: Breakdown) -> list[Any]:
        return [b.tuples, b.sound, b.unsound, b.unverified, b.easy]

    out = ["<h2 id='soundness'>Soundness</h2>",
           _table(["family", "category", *headers], [(f, c, *line(b)) for (f, c), b in by_cat.items()], left=2, ident="soundness-category"),
           plots.bars([f"{f}/{c}" for f, c in by_cat], {
               "sound": [b.sound for b in by_cat.values()], "unsound": [b.unsound for b in by_cat.values()],
               "unverified": [b.unverified for b in by_cat.values()]}, [PASS, FAIL, OTHER], "soundness per category"),
           _table(["family", "difficulty", *headers], [(f, d, *line(b)) for (f, d), b in by_diff.items()], left=2, ident="soundness-difficulty")]
    unsound = [(r.key[:16], r.category, c.control, c.failure or "gave the wrong verdict") for r in rows for c in r.controls if not c.sound]
    if unsound:
        out.append(f"<h3>Unsound controls ({len(unsound)})</h3>")
        out.append(_table(["task", "category", "control", "why"], unsound[:100], left=4))
    return "\n".join(out)


def _pass_section(index: RunIndex, plots: Plots) -> str:
    rows = pass_rates(index)
    models = index.models()
    headers = ["difficulty", "tasks", "gold passes", "baseline solves"]
    for model in models:
        headers += [f"{model} tasks", f"{model} pass@1", f"{model} pass@k"]
    table_rows = []
    for r in rows:
        cells: list[Any] = [r.difficulty, r.tasks, _pct(r.gold, r.tasks), _pct(r.easy, r.baselined) if r.baselined else "no baselines"]
        for model in models:
            n, at1, atk, k = r.models.get(model, (0, 0.0, 0.0, 0))
            cells += [n, f"{at1:.3f}" if n else "-", f"{atk:.3f} (k={k})" if n else "-"]
        table_rows.append(cells)
    out = ["<h2 id='pass-rates'>Pass rates by difficulty</h2>", _table(headers, table_rows, left=0, ident="pass-rates-table")]
    series: dict[str, list[float]] = {}
    if any(r.baselined for r in rows):
        series["baseline solves"] = [r.easy / r.baselined if r.baselined else 0.0 for r in rows]
    for model in models:
        series[f"{model} pass@1"] = [r.models.get(model, (0, 0.0, 0.0, 0))[1] for r in rows]
        series[f"{model} pass@k"] = [r.models.get(model, (0, 0.0, 0.0, 0))[2] for r in rows]
    if series:
        colors = [OTHER, PASS, EXTRA, "#6a1b9a", "#ef6c00", "#00838f"] * 4
        out.append(plots.bars([str(r.difficulty) for r in rows], series, colors[: len(series)], "pass rates by difficulty",
                              stacked=False, horizontal=False, percent=True, xlabel="difficulty"))
    else:
        out.append("<p>No model rollouts and no baseline controls in this run.</p>")
    return "\n".join(out)


def _episodes_section(index: RunIndex, plots: Plots) -> str:
    episodes = list(index.episodes("model"))
    out = ["<h2 id='episodes'>Episodes</h2>"]
    if not episodes:
        return out[0] + "<p>No model episodes in this run (run synth rollout).</p>"
    endings: dict[str, Counter] = defaultdict(Counter)
    for e in episodes:
        endings[e.model or "?"][e.termination] += 1
    names = sorted({t for c in endings.values() for t in c})
    out.append("<h3>Endings</h3>")
    out.append(_table(["model", *names, "infrastructure"],
                      [(m, *[c[n] for n in names], sum(c[n] for n in names if n in INFRASTRUCTURE)) for m, c in sorted(endings.items())],
                      ident="endings"))
    out.append(plots.bars(names, {m: [c[n] for n in names] for m, c in sorted(endings.items())},
                          [EXTRA, OTHER, PASS, FAIL] * 4, "endings", stacked=True))
    figures = {
        "tool calls": [float(e.tool_calls) for e in episodes],
        "tool errors": [float(e.tool_errors) for e in episodes],
        "completion tokens": [float(e.completion_tokens) for e in episodes],
        "prompt tokens": [float(e.prompt_tokens) for e in episodes],
    }
    out.append("<h3>Per episode</h3>")
    out.append(_table(["per episode", "mean", "median", "p90", "max"],
                      [(name, *(f"{v:.1f}" for v in _summary(values))) for name, values in figures.items()], ident="per-episode"))
    out.append(plots.histograms({k: figures[k] for k in ("tool calls", "tool errors", "completion tokens")}, "per-episode histograms"))
    return "\n".join(out)


def _facts_section(index: RunIndex, plots: Plots) -> str:
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in index.rows():
        for name, value in row.facts.items():
            groups[row.family][name].append(value)
    if not groups:
        return ""
    out = ["<h2 id='validation'>Validation facts</h2>",
           "<p class='muted'>What families recorded of each tuple's validation: for code tasks the F2P and P2P "
           "sizes, the flaky tests dropped and the flake rate over k reruns.</p>"]
    for family, facts in sorted(groups.items()):
        out.append(f"<h3>{esc(family)}</h3>")
        out.append(_table(["fact", "tuples", "mean", "median", "p90", "max"],
                          [(name, len(v), *(f"{x:.3g}" for x in _summary(v))) for name, v in sorted(facts.items())],
                          ident=f"facts-{esc(family)}"))
        shown = {k: v for k, v in facts.items() if k in ("fail_to_pass", "pass_to_pass", "flake_rate")} or dict(list(facts.items())[:3])
        out.append(plots.histograms(shown, f"{family} validation facts"))
    return "\n".join(out)


def _tasks_section(index: RunIndex, viewer_url: str) -> str:
    models = index.models()
    base = viewer_url.rstrip("/")
    rows = []
    for n, row in enumerate(index.rows(), start=1):
        graded, passed = row.model_stats()
        gold = next((c.status for c in row.controls if c.control == "gold"), "-")
        baseline = ", ".join(c.control for c in row.baselines if c.status == "pass") or ("none solves" if row.baselines else "-")
        endings = ", ".join(f"{k} {v}" for k, v in sorted(row.endings().items())) or "-"
        link = Raw(f'<a href="{esc(base)}/#/task/{esc(row.key)}">{esc(row.key[:12])}</a>')
        rows.append((n, link, row.family, row.category, row.difficulty, row.soundness, gold, baseline,
                     f"{passed}/{graded}" if graded else "-", endings))
    note = (f"Each task links to its trajectories in the viewer: run <code>synth view RUN</code> "
            f"(it serves {esc(base)}).")
    headers = ["#", "task", "family", "category", "difficulty", "soundness", "gold", "baseline",
               f"model passes ({', '.join(models)})" if models else "model passes", "endings"]
    return "\n".join([f"<h2 id='tasks'>Tasks ({len(rows)})</h2>", f"<p class='muted'>{note}</p>",
                      _table(headers, rows, left=4, cls="tasks", ident="tasks-table")])


def _stages_section(index: RunIndex) -> str:
    stages = index.run.manifest.get("stages", {})
    rows = []
    for name, entry in stages.items():
        facts = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in ("config", "command", "complete"))
        rows.append((name, " ".join(map(str, entry.get("command", []))), "yes" if entry.get("complete") else "no", facts))
    return "<h2 id='stages'>Stages</h2>" + _table(["stage", "command", "complete", "facts"], rows, left=4)


def render(index: RunIndex, viewer_url: str = DEFAULT_VIEWER) -> str:
    """The report of an indexed run as one HTML document."""
    plots = Plots()
    rows = index.rows()
    families = Counter(r.family for r in rows)
    title = f"synth report: {index.run.path.name}"
    summary = (f"{len(rows)} tasks ({', '.join(f'{f} {n}' for f, n in sorted(families.items()))}), "
               f"{sum(r.soundness == 'sound' for r in rows)} sound, "
               f"{sum(1 for _ in index.episodes('model'))} model episodes.")
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (("funnel", "Funnel"), ("soundness", "Soundness"),
                  ("pass-rates", "Pass rates"), ("episodes", "Episodes"), ("validation", "Validation"), ("tasks", "Tasks")))
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p id='summary'>{esc(summary)}</p>",
        f"<p class='muted'>Run directory: <code>{esc(index.run.path.resolve())}</code></p>",
        f"<nav>{nav}</nav>",
        _funnel_section(index, plots),
        _soundness_section(index, plots),
        _pass_section(index, plots),
        _episodes_section(index, plots),
        _facts_section(index, plots),
        _stages_section(index),
        _tasks_section(index, viewer_url),
    ]
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(b for b in body if b) + "\n</body></html>\n")


def write_report(run: str | Path, out: str | Path | None = None, *, viewer_url: str = DEFAULT_VIEWER,
                 log: Any = None) -> Path:
    """Write the report of `run` to `out` (default RUN/report.html) atomically; returns its path.
    `log` hears a line before a large run is read."""
    from ._errors import ConfigError

    target = Path(out) if out is not None else Path(run) / "report.html"
    if target.is_dir():
        raise ConfigError(f"--out {target} is a directory; give a file name")
    folder = target.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"cannot write --out {target}: {folder} is a file, not a folder")
    if not re.match(r"^https?://[^\s\"'<>]+$", viewer_url):
        raise ConfigError(f"--viewer-url {viewer_url!r} is not an http(s) URL")
    index = RunIndex.open(run, log)  # bad settings fail above, before a large run is read
    text = render(index, viewer_url)
    try:
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror}") from None
    return target
