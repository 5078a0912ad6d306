// synth view: the page of the read-only run viewer. Every element is built with textContent (never
// HTML from data): run contents are untrusted text. The page asks the viewer's JSON API for one page
// of rows at a time, so a run of any size opens at once.
"use strict";

const PAGE = 50;
const FILTERS = ["family", "category", "difficulty", "soundness", "verdict", "ending"];
const main = () => document.getElementById("main");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name === "onclick") node.addEventListener("click", value);
    else if (name === "onchange") node.addEventListener("change", value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function show(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function status(value) {
  return el("span", { class: value || "muted" }, value || "-");
}

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "task" && parts[1]) return renderTask(decodeURIComponent(parts[1]), parts[2]);
  return renderList(params);
}

// -- the list of tasks -------------------------------------------------------------------------
let summary = null;

async function renderList(params) {
  summary = summary || (await api("/api/summary"));
  document.getElementById("run-name").textContent = summary.name;
  const page = Math.max(0, parseInt(params.get("page") || "0", 10) || 0);
  const query = new URLSearchParams({ offset: page * PAGE, limit: PAGE });
  for (const name of FILTERS.concat(["q"])) if (params.get(name)) query.set(name, params.get(name));
  const data = await api("/api/tasks?" + query);
  document.getElementById("count").textContent = `${summary.tasks} tasks`;

  const go = (changes) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) (v === "" || v === null ? next.delete(k) : next.set(k, v));
    location.hash = "#/?" + next.toString();
  };
  const filters = el("div", { class: "filters" });
  for (const name of FILTERS) {
    const select = el("select", { id: "f-" + name, onchange: (e) => go({ [name]: e.target.value, page: "" }) },
      el("option", { value: "" }, "all"));
    for (const [value, count] of Object.entries(summary.facets[name] || {})) {
      const option = el("option", { value }, `${value} (${count})`);
      if (params.get(name) === value) option.selected = true;
      select.append(option);
    }
    filters.append(el("label", {}, name, select));
  }
  const search = el("input", { id: "f-q", placeholder: "key prefix or category", value: params.get("q") || "" });
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") go({ q: search.value, page: "" }); });
  filters.append(el("label", {}, "search", search));

  const first = data.total ? data.offset + 1 : 0;
  const last = data.offset + data.rows.length;
  const pager = el("div", { class: "pager" },
    el("button", { id: "prev", onclick: () => go({ page: page - 1 }) }, "previous"),
    el("button", { id: "next", onclick: () => go({ page: page + 1 }) }, "next"),
    el("span", { id: "range" }, `${first}–${last} of ${data.total} matching`));
  pager.querySelector("#prev").disabled = page === 0;
  pager.querySelector("#next").disabled = last >= data.total;

  const table = el("table", { id: "tasks" }, el("thead", {}, el("tr", {},
    ...["task", "family", "category", "difficulty", "soundness", "gold", "model passes", "endings"].map((h) => el("th", {}, h)))));
  const body = el("tbody");
  for (const row of data.rows) {
    const endings = Object.entries(row.endings).map(([k, v]) => `${k} ${v}`).join(", ") || "-";
    body.append(el("tr", { class: "link", "data-key": row.key, onclick: () => { location.hash = "#/task/" + row.key; } },
      el("td", {}, el("code", {}, row.key.slice(0, 12))), el("td", {}, row.family), el("td", {}, row.category),
      el("td", {}, row.difficulty), el("td", {}, row.soundness + (row.easy ? " (easy)" : "")), el("td", {}, status(row.gold)),
      el("td", {}, row.graded ? `${row.passed}/${row.graded}` : "-"), el("td", {}, endings)));
  }
  table.append(body);
  main().replaceChildren(filters, pager, table);
}

// -- one task ----------------------------------------------------------------------------------
function checksTable(checks) {
  const table = el("table", { class: "checks" }, el("thead", {}, el("tr", {},
    ...["check", "passed", "expected", "actual", "message"].map((h) => el("th", {}, h)))));
  const body = el("tbody");
  for (const check of checks || []) {
    body.append(el("tr", { class: "check" }, el("td", {}, check.name), el("td", {}, status(check.passed ? "pass" : "fail")),
      el("td", {}, el("pre", {}, show(check.expected))), el("td", {}, el("pre", {}, show(check.actual))),
      el("td", { class: "check-message" }, check.message || "")));
  }
  table.append(body);
  return table;
}

function verdictBlock(verdict) {
  if (!verdict) return el("p", { class: "muted" }, "not graded (infrastructure failure)");
  const block = el("div", { class: "verdict" },
    el("p", {}, "verdict: ", status(verdict.status), ` reward ${verdict.reward}`));
  if (verdict.error) block.append(el("pre", { class: "error" }, verdict.error));
  block.append(checksTable(verdict.checks));
  return block;
}

function messageBlock(message) {
  const block = el("div", { class: "message " + message.role },
    el("div", { class: "role" }, message.role + (message.name ? ` (${message.name})` : "")));
  if (message.reasoning_content) block.append(el("pre", { class: "reasoning" }, message.reasoning_content));
  if (message.content !== null && message.content !== undefined && message.content !== "")
    block.append(el("pre", { class: "content" }, message.content));
  for (const callItem of message.tool_calls || []) {
    let args = callItem.function.arguments;
    try { args = JSON.stringify(JSON.parse(args), null, 2); } catch (e) { /* shown as written */ }
    block.append(el("div", { class: "tool-call" }, el("code", { class: "tool-name" }, callItem.function.name + "()"),
      el("span", { class: "muted" }, " " + (callItem.id || "")), el("pre", { class: "arguments" }, args)));
  }
  return block;
}

async function renderTrajectory(key, n, into) {
  into.replaceChildren(el("p", { class: "muted" }, "Loading trajectory…"));
  const t = await api(`/api/trajectory?key=${encodeURIComponent(key)}&n=${n}`);
  const header = el("h2", { id: "trajectory-title" },
    `${t.source}${t.model ? " " + t.model : ""} sample ${t.sample}: ${t.termination}`);
  const facts = el("p", {}, `tool errors ${t.tool_errors}, tokens ${JSON.stringify(t.usage || {})}`);
  const messages = el("div", { id: "messages" }, ...t.messages.map(messageBlock));
  const submission = el("div", {}, el("h3", {}, "submission"), el("pre", { id: "submission" }, show(t.submission)));
  into.replaceChildren(header, facts, messages, submission, el("h3", {}, "verdict"), verdictBlock(t.verdict));
}

async function renderTask(key, open) {
  const data = await api("/api/task?key=" + encodeURIComponent(key));
  const record = data.record;
  const s = data.summary;
  const back = el("a", { href: "#/" }, "← all tasks");
  const title = el("h1", { id: "task-title" }, `${s.family} / ${s.category} / difficulty ${s.difficulty}`);
  const meta = el("p", {}, el("code", {}, key), ` — ${s.soundness}` + (s.easy ? " (a baseline solves it)" : ""));

  const prompt = el("div", { id: "prompt" }, el("h2", {}, "Prompt"));
  if (record.task.system_prompt) prompt.append(el("div", { class: "message system" }, el("div", { class: "role" }, "system"), el("pre", {}, record.task.system_prompt)));
  prompt.append(el("div", { class: "message user" }, el("div", { class: "role" }, "user"), el("pre", {}, record.task.prompt)));

  const tools = el("div", { id: "tools" }, el("h2", {}, `Tools (${record.environment.tools.length})`));
  for (const tool of record.environment.tools) {
    tools.append(el("details", { class: "tool" }, el("summary", {}, el("code", {}, tool.name), " " + (tool.description || "").split("\n")[0]),
      el("pre", {}, show(tool.parameters))));
  }
  const verifier = el("details", { id: "verifier" }, el("summary", {}, `Verifier ${record.verifier.name} and answer schema`),
    el("pre", {}, show(record.verifier.args)), el("pre", {}, show(record.task.answer_schema)));

  const controls = el("div", { id: "controls" }, el("h2", {}, `Controls (${data.controls.length})`));
  const ctable = el("table", {}, el("thead", {}, el("tr", {},
    ...["control", "expect", "verdict", "sound", "breaks", "first failing check"].map((h) => el("th", {}, h)))));
  const cbody = el("tbody");
  for (const c of data.controls) {
    const failing = (c.verdict.checks || []).find((x) => !x.passed);
    const row = el("tr", { class: "control-row link", "data-control": c.control },
      el("td", {}, c.control), el("td", {}, c.expect), el("td", {}, status(c.verdict.status)),
      el("td", {}, el("span", { class: c.sound ? "pass" : "fail" }, c.sound ? "yes" : "no")), el("td", {}, c.breaks || ""),
      el("td", { class: "first-failure" }, failing ? failing.name + (failing.message ? ": " + failing.message : "") : (c.verdict.error || "")));
    const detail = el("tr", { class: "control-checks", hidden: "" }, el("td", { colspan: "6" }, checksTable(c.verdict.checks)));
    row.addEventListener("click", () => { detail.hidden = !detail.hidden; });
    cbody.append(row, detail);
  }
  ctable.append(cbody);
  controls.append(ctable);

  const trajectory = el("div", { id: "trajectory" });
  const episodes = el("div", { id: "episodes" }, el("h2", {}, `Trajectories (${data.episodes.length})`));
  const etable = el("table", {}, el("thead", {}, el("tr", {},
    ...["source", "model", "sample", "ending", "verdict", "tool calls", "tool errors", "completion tokens"].map((h) => el("th", {}, h)))));
  const ebody = el("tbody");
  for (const e of data.episodes) {
    ebody.append(el("tr", { class: "episode link", "data-n": e.n, onclick: () => { location.hash = `#/task/${key}/${e.n}`; } },
      el("td", {}, e.source), el("td", {}, e.model || "-"), el("td", {}, e.sample), el("td", {}, e.termination),
      el("td", {}, status(e.status)), el("td", {}, e.tool_calls), el("td", {}, e.tool_errors), el("td", {}, e.completion_tokens)));
  }
  etable.append(ebody);
  episodes.append(etable);

  main().replaceChildren(back, title, meta, prompt, tools, verifier, controls, episodes, trajectory);
  window.scrollTo(0, 0);
  if (open !== undefined) await renderTrajectory(key, parseInt(open, 10), trajectory);
}

window.addEventListener("hashchange", () => route().catch(fail));
window.addEventListener("DOMContentLoaded", () => route().catch(fail));

function fail(error) {
  main().replaceChildren(el("p", { class: "fail", id: "error" }, String(error.message || error)));
}
