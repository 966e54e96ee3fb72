// The traces view: the traces the fake received (GET /_fake/traces), and the one chosen as a
// tree (GET /_fake/traces/{trace_id}): each span with its type, status and duration, a bar of
// when it ran within the trace, its children in start order; failed spans marked.
import { $, h, jsonView, svg } from "./dom.js";
import { ADMIN, app } from "./page.js";
import { call, curlLine, failed } from "./api.js";

const LAST = 200; // the newest traces listed
const filters = { name: "", errors: false };
let chosen = null; // {trace_id, account_id} of the trace shown as a tree
let refresh = 0; // the newest refresh; older answers are dropped

function listPath() {
  const params = new URLSearchParams({ last: String(LAST) });
  if (filters.name) params.set("name", filters.name);
  if (filters.errors) params.set("errors", "true");
  return `${ADMIN}/traces?${params}`;
}

function treePath(trace) {
  const account = new URLSearchParams({ account_id: trace.account_id });
  return `${ADMIN}/traces/${encodeURIComponent(trace.trace_id)}?${account}`;
}

function took(value) {
  return value === null || value === undefined ? "in progress" : `${Number(value).toFixed(1)} ms`;
}

const same = (a, b) => Boolean(a && b && a.trace_id === b.trace_id && a.account_id === b.account_id);

export async function renderTraces(main) {
  const name = h("input", { id: "traces-name", type: "search", value: filters.name, placeholder: "root span name" });
  name.addEventListener("input", () => {
    filters.name = name.value.trim();
    refreshTraces();
  });
  const errors = h("input", { id: "traces-errors", type: "checkbox" });
  errors.checked = filters.errors;
  errors.addEventListener("change", () => {
    filters.errors = errors.checked;
    refreshTraces();
  });
  main.replaceChildren(
    h(
      "div",
      { class: "toolbar" },
      h("label", null, "Root span", name),
      h("label", { class: "inline" }, errors, "Only traces with an error"),
      h("span", { id: "traces-count", class: "count" }),
    ),
    h(
      "div",
      { class: "split trace-split" },
      h("div", { id: "traces-list", class: "scroll" }),
      h("section", { id: "trace", class: "detail", "aria-live": "polite" }, h("p", { class: "muted", text: "Choose a trace to see it as a tree." })),
    ),
    h("details", null, h("summary", { text: "curl" }), h("pre", { id: "traces-curl", text: curlLine("GET", listPath()) })),
  );
  await refreshTraces();
}

// Re-read the list (and the tree shown): on a filter change, and when spans arrive.
export async function refreshTraces() {
  const mine = ++refresh;
  const answer = await call("GET", listPath());
  if (mine !== refresh || app.view !== "traces" || !$("traces-list")) return;
  $("traces-curl").textContent = curlLine("GET", listPath());
  if (!answer.ok) drawn.delete($("traces-list"));
  if (answer.status === 404) {
    $("traces-list").replaceChildren(h("p", { id: "traces-off", text: "This fake serves no spans: there is no trace to show." }));
    return;
  }
  if (!answer.ok) {
    $("traces-list").replaceChildren(h("p", { class: "err", text: `GET /_fake/traces ${failed(answer)}` }));
    return;
  }
  const traces = answer.data.traces.slice().reverse(); // the newest first
  $("traces-count").textContent = `${traces.length} trace${traces.length === 1 ? "" : "s"}${traces.length === LAST ? " (the newest)" : ""}`;
  // Read every second: redrawn as spans arrive or go (a reset), and only then, so that a
  // row the pointer or the keyboard is on stays; a keyboard user keeps their place.
  const list = $("traces-list");
  const signature = JSON.stringify([traces, chosen]);
  if (drawn.get(list) !== signature) {
    const focused = list.contains(document.activeElement) ? document.activeElement.dataset.trace : undefined;
    list.replaceChildren(listTable(traces));
    drawn.set(list, signature);
    const row = focused === undefined ? null : list.querySelector(`tr[data-trace="${CSS.escape(focused)}"]`);
    if (row) row.focus();
  }
  if (!chosen) return;
  // Not listed: gone, unless a filter or the list's length may leave it out (then read it).
  const unlisted = !traces.some((t) => same(t, chosen));
  if (unlisted && !filters.name && !filters.errors && traces.length < LAST) gone(chosen);
  else await showTrace(chosen);
}

// The trace shown is no longer held by the fake (another client reset it): the tree is not
// shown as if it were.
function gone(trace) {
  const panel = $("trace");
  panel.replaceChildren(h("p", { class: "muted", id: "trace-gone", text: `Trace ${trace.trace_id} is no longer held by the fake.` }));
  delete panel.dataset.shows;
  drawn.delete(panel);
  chosen = null;
}

const drawn = new WeakMap(); // the list, or the tree's panel -> the signature of what it shows

function listTable(traces) {
  const body = h("tbody");
  for (const trace of traces) {
    const row = h(
      "tr",
      {
        tabindex: "0",
        class: trace.error_count ? "failed" : null,
        "data-trace": trace.trace_id,
        "aria-selected": String(same(trace, chosen)),
        onclick: () => choose(trace),
        onkeydown: (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            choose(trace);
          }
        },
      },
      h("td", { class: "mono", text: trace.start_timestamp || "" }),
      h("td", { text: trace.name === null ? "(no root)" : trace.name }),
      h("td", { class: "num", text: String(trace.span_count) }),
      h("td", { class: trace.error_count ? "num trace-bad" : "num", text: trace.error_count ? `✖ ${trace.error_count}` : "0" }),
      h("td", { class: "num", text: took(trace.duration_ms) }),
      h("td", { class: "mono", text: trace.account_id }),
    );
    body.append(row);
  }
  const head = ["Started", "Root", "Spans", "Errors", "Took", "Account"].map((t) => h("th", { scope: "col", text: t }));
  return h("table", { id: "traces" }, h("thead", null, h("tr", null, head)), body);
}

async function choose(trace) {
  chosen = { trace_id: trace.trace_id, account_id: trace.account_id };
  for (const row of document.querySelectorAll("#traces tbody tr")) {
    row.setAttribute("aria-selected", String(row.dataset.trace === trace.trace_id));
  }
  await showTrace(chosen);
}

async function showTrace(trace) {
  const path = treePath(trace);
  const answer = await call("GET", path);
  const panel = $("trace");
  if (!panel || !same(trace, chosen)) return;
  if (answer.status === 404) {
    gone(trace);
    return;
  }
  if (!answer.ok) {
    panel.replaceChildren(h("p", { class: "err", text: `GET ${path} ${failed(answer)}` }));
    delete panel.dataset.shows;
    drawn.delete(panel);
    return;
  }
  const tree = answer.data;
  const frame = timeWindow(tree.roots);
  // Redrawn as spans arrive, and only then: what was opened in this trace stays open.
  const shown = JSON.stringify([trace.trace_id, trace.account_id]);
  const text = JSON.stringify(tree);
  if (panel.dataset.shows === shown && drawn.get(panel) === text) return;
  const opened = panel.dataset.shows === shown
    ? new Set([...panel.querySelectorAll("details[open][data-open]")].map((d) => d.dataset.open))
    : new Set();
  panel.replaceChildren(
    h("h2", { class: "mono", text: tree.trace_id }),
    h("p", { class: "muted", text: `${tree.span_count} span${tree.span_count === 1 ? "" : "s"} · ${tree.error_count} failed · ${took(tree.duration_ms)} · ${tree.account_id}` }),
    h("ul", { class: "tree", role: "tree", "aria-label": `Trace ${tree.trace_id}` }, tree.roots.map((root) => node(root, frame))),
    h("details", { "data-open": "curl" }, h("summary", { text: "curl" }), h("pre", { text: curlLine("GET", path) })),
  );
  panel.dataset.shows = shown;
  drawn.set(panel, text);
  for (const details of panel.querySelectorAll("details[data-open]")) {
    if (opened.has(details.dataset.open)) details.open = true;
  }
}

function startOf(span) {
  const at = Date.parse(span.start_timestamp);
  return Number.isNaN(at) ? null : at;
}

// The earliest start and latest end of the trace, for the bars.
function timeWindow(roots) {
  let from = Infinity;
  let to = -Infinity;
  const visit = (span) => {
    const start = startOf(span);
    if (start !== null) {
      from = Math.min(from, start);
      to = Math.max(to, start + (span.duration_ms || 0));
    }
    span.children.forEach(visit);
  };
  roots.forEach(visit);
  return { from, span: Math.max(to - from, 1) };
}

function bar(span, frame) {
  const start = startOf(span);
  const offset = start === null || !Number.isFinite(frame.from) ? 0 : ((start - frame.from) / frame.span) * 100;
  const width = span.duration_ms === null || span.duration_ms === undefined ? 100 - offset : (span.duration_ms / frame.span) * 100;
  return svg(
    "svg",
    { class: "timing", viewBox: "0 0 100 6", preserveAspectRatio: "none", "aria-hidden": "true" },
    svg("rect", { class: span.error ? "bar failed" : span.duration_ms === null ? "bar open" : "bar", x: offset.toFixed(3), y: 0, width: Math.max(width, 0.5).toFixed(3), height: 6 }),
  );
}

function node(span, frame) {
  const status = span.status || (span.duration_ms === null ? "in progress" : "");
  const line = h(
    "div",
    { class: "span" },
    h("span", { class: "name", text: span.name, title: span.name }),
    h("span", { class: "muted mono", text: span.type || "", title: span.type || null }),
    h("span", { class: span.error ? "status trace-bad" : "status", text: span.error ? `✖ ${status || "ERROR"}` : status }),
    h("span", { class: "took mono", text: took(span.duration_ms) }),
    bar(span, frame),
  );
  const metadata = span.metadata || {};
  const failure = span.error && (metadata.error_type || metadata.error_message) ? h("p", { class: "failure trace-bad", text: `${metadata.error_type || "Error"}: ${metadata.error_message || ""}` }) : null;
  const fields = {};
  for (const key of ["input", "output", "metadata"]) {
    if (span[key] && Object.keys(span[key]).length) fields[key] = span[key];
  }
  const details = Object.keys(fields).length ? h("details", { "data-open": "span " + span.id }, h("summary", { text: "input, output, metadata" }), jsonView(fields)) : null;
  return h(
    "li",
    { role: "treeitem", class: span.error ? "failed" : null, "data-span": span.id, "aria-expanded": span.children.length ? "true" : null },
    line,
    failure,
    details,
    span.children.length ? h("ul", { role: "group" }, span.children.map((child) => node(child, frame))) : null,
  );
}
