// The models view ("models at work"), shown when the fake documents the routes it uses: the
// fake's clock, each deployment's status (forced from here), the calls per model (vendor/name)
// with the scripted answers that served them, and the scripted answers.
import { $, h } from "./dom.js";
import { ADMIN, app, show } from "./page.js";
import { act, call, confirmAction, curlLine, failed, loadResources, nounOf, refusal } from "./api.js";
import { USAGE_CHUNKS, usageSection, usageSubject } from "./usage.js";

export async function renderModels(main) {
  const f = app.features;
  const resources = await loadResources();
  if (main.dataset.view !== "models") return;
  const content = [];
  const reads = [];
  if (f.clock) {
    const seconds = h("input", { type: "number", min: "0", step: "any", value: "60", size: 6, "aria-label": "Seconds" });
    const refused = h("p", { class: "field-error", id: "clock-error" });
    content.push(
      h("h2", { text: "Clock" }),
      h("p", { id: "clock-now", text: "…" }),
      h(
        "form",
        {
          class: "add",
          id: "clock-form",
          onsubmit: async (event) => {
            event.preventDefault();
            refused.textContent = "";
            const answer = await act("POST", `${ADMIN}/clock`, { advance: Number(seconds.value) });
            if (answer.ok) await refreshModels();
            else refused.textContent = refusal(answer);
          },
        },
        h("label", null, "Advance by (seconds)", seconds),
        h("button", { type: "submit", text: "Advance the clock" }),
        refused,
      ),
    );
    reads.push(`${ADMIN}/clock`);
  }
  if (f.status) {
    for (const kind of f.status.kinds) {
      content.push(h("h2", { text: `${nounOf(kind)}s and their status` }), h("div", { "data-statuses": kind }));
    }
    reads.push(`${ADMIN}/state`);
  }
  if (f.calls.length) {
    content.push(
      h("h2", { text: "Calls per model" }),
      h("p", { class: "muted", text: "Every answered call counted per model asked for, with its tokens and the scripted answers that gave its content." }),
      h("div", { id: "model-calls" }),
    );
    if (!f.status) reads.push(`${ADMIN}/state`);
  }
  if (f.responses) {
    content.push(
      h("h2", { text: "Scripted answers" }),
      h("p", { class: "muted", text: "Tried in order; the first that matches a call gives its content. Calls no rule matches get the default answer." }),
      h("div", { id: "response-list" }),
    );
    if (f.responses.add) content.push(h("h3", { text: "Add a scripted answer" }), responseForm());
    reads.push(`${ADMIN}/responses`);
  }
  const sections = f.usage
    .map((usage) => ({ usage, subject: usageSubject(usage, resources) }))
    .filter((s) => s.subject !== null);
  if (sections.length) {
    const key = h("input", { id: "usage-key", value: app.usageKey, "aria-label": "API key", size: 18, autocomplete: "off", oninput: (e) => { app.usageKey = e.target.value; } });
    content.push(
      h("h2", { text: "Usage" }),
      h("p", { class: "muted", text: `These are SGP calls: they take the API key below, and appear in the journal. Each chart covers the time since its first record was created, in ${USAGE_CHUNKS} parts.` }),
      h("div", { class: "toolbar" }, h("label", null, "API key", key)),
      ...sections.map(({ usage, subject }) => usageSection(usage, subject)),
    );
  }
  content.push(h("details", null, h("summary", { text: "curl" }), h("pre", { text: reads.map((path) => curlLine("GET", path)).join("\n") })));
  main.replaceChildren(...content);
  await refreshModels();
}

// The parts of the view that change: read again after an action, and when the journal shows
// a write. Only the newest refresh fills the page, so a slow answer never overwrites a newer.
export async function refreshModels() {
  const f = app.features;
  const mine = ++app.modelsRefresh;
  const [clock, state, scripts] = await Promise.all([
    f.clock ? call("GET", `${ADMIN}/clock`) : null,
    f.status || f.calls.length ? call("GET", `${ADMIN}/state`) : null,
    f.responses ? call("GET", `${ADMIN}/responses`) : null,
  ]);
  if (mine !== app.modelsRefresh || app.view !== "models") return;
  const now = $("clock-now");
  if (clock && now) {
    now.textContent = clock.ok
      ? `The fake's time: ${new Date(clock.data.now * 1000).toISOString()} (moved ${clock.data.offset} s in all).`
      : `GET /_fake/clock ${failed(clock)}`;
  }
  if (state && f.status) fillStatuses(state);
  if (state && f.calls.length) await fillCalls(state, mine);
  if (scripts) fillResponses(scripts);
}

// Redrawn only when what it shows changed: a status being chosen survives other traffic.
const drawn = new WeakMap(); // box -> the signature of what it shows
function redraw(box, signature, build) {
  if (!box || drawn.get(box) === signature) return;
  drawn.set(box, signature);
  box.replaceChildren(...build());
}

function fillStatuses(answer) {
  for (const kind of app.features.status.kinds) {
    const box = document.querySelector(`[data-statuses="${CSS.escape(kind)}"]`);
    if (!answer.ok) {
      redraw(box, `error ${answer.status}`, () => [h("p", { class: "err", text: `GET /_fake/state ${failed(answer)}` })]);
      continue;
    }
    const records = answer.data[kind] || [];
    const signature = JSON.stringify(records.map((r) => [r.id, r.name, r.account_id, r.status]));
    redraw(box, signature, () => statusTable(kind, records));
  }
}

function statusTable(kind, records) {
  if (!records.length) return [h("p", { class: "muted", text: "None." })];
  const statuses = app.features.status.statuses[kind] || [];
  return [
    h("table", { "data-kind": kind }, h("thead", null, h("tr", null, ["Id", "Name", "Account", "Status", "Force"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", null, records.map((record) => {
        const choice = h("select", { "aria-label": `Status of ${record.id}` }, statuses.map((s) => h("option", { value: s, text: s, selected: s === record.status })));
        const refused = h("span", { class: "field-error" });
        return h("tr", { "data-id": record.id },
          h("td", { class: "mono", text: record.id }),
          h("td", { text: record.name || "" }),
          h("td", { text: record.account_id || "" }),
          h("td", { class: "mono status", text: record.status === undefined ? "" : record.status }),
          h("td", null, choice, " ", h("button", {
            type: "button",
            text: "Force",
            onclick: async () => {
              refused.textContent = "";
              const answer = await act("POST", `${ADMIN}/status`, { kind, id: record.id, status: choice.value });
              if (answer.ok) await refreshModels();
              else refused.textContent = refusal(answer);
            },
          }), " ", refused));
      }))),
  ];
}

// The journal entries (in full: their request body names the model) of calls a scripted answer
// served, read once each: an entry never changes.
const served = new Map(); // sequence -> the model its body asked for

async function modelsServed(operations) {
  const wanted = app.entries.filter((e) => e.response && operations.has(e.operation) && !served.has(e.sequence));
  for (const entry of wanted.slice(-50)) {
    const answer = await call("GET", `${ADMIN}/requests?after=${entry.sequence - 1}&limit=1`);
    const full = answer.ok && answer.data && Array.isArray(answer.data.requests) ? answer.data.requests[0] : null;
    const model = full && full.sequence === entry.sequence && full.body && typeof full.body.model === "string" ? full.body.model : null;
    served.set(entry.sequence, model);
  }
}

async function fillCalls(answer, mine) {
  const box = $("model-calls");
  if (!answer.ok) {
    redraw(box, `error ${answer.status}`, () => [h("p", { class: "err", text: `GET /_fake/state ${failed(answer)}` })]);
    return;
  }
  const perModel = new Map();
  const operations = new Set();
  for (const kind of app.features.calls) {
    for (const record of answer.data[kind] || []) {
      if (typeof record.model !== "string") continue;
      if (record.operation) operations.add(record.operation);
      const one = perModel.get(record.model) || { model: record.model, calls: 0, prompt: 0, completion: 0, accounts: new Set(), rules: new Map() };
      one.calls += 1;
      one.prompt += Number(record.prompt_tokens) || 0;
      one.completion += Number(record.completion_tokens) || 0;
      if (record.account_id) one.accounts.add(record.account_id);
      perModel.set(record.model, one);
    }
  }
  await modelsServed(operations);
  if (mine !== app.modelsRefresh) return; // a newer refresh draws
  for (const entry of app.entries) {
    const model = entry.response ? served.get(entry.sequence) : null;
    const one = model ? perModel.get(model) : null;
    if (!one) continue;
    if (!one.rules.has(entry.response)) one.rules.set(entry.response, []);
    one.rules.get(entry.response).push(entry.sequence);
  }
  const models = [...perModel.values()].sort((a, b) => a.model.localeCompare(b.model));
  const signature = JSON.stringify(models.map((m) => [m.model, m.calls, m.prompt, m.completion, [...m.accounts], [...m.rules]]));
  redraw(box, signature, () => {
    if (!models.length) return [h("p", { class: "muted", id: "no-model-calls", text: "No calls yet." })];
    return [h("table", { id: "calls-per-model" },
      h("thead", null, h("tr", null, ["Model", "Calls", "Prompt tokens", "Completion tokens", "Accounts", "Scripted answers"].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", null, models.map((m) => h("tr", { "data-model": m.model },
        h("td", { class: "mono", text: m.model }),
        h("td", { class: "num calls", text: String(m.calls) }),
        h("td", { class: "num", text: String(m.prompt) }),
        h("td", { class: "num", text: String(m.completion) }),
        h("td", { class: "mono", text: [...m.accounts].join(", ") }),
        h("td", { class: "scripted" }, m.rules.size ? null : h("span", { class: "muted", text: "none" }),
          [...m.rules].map(([rule, seqs]) => h("span", { "data-rule": rule }, h("span", { class: "mono", text: rule }), " (",
            seqs.slice(-5).map((seq, i) => [i ? " " : null, h("button", { type: "button", class: "link", text: `#${seq}`, onclick: () => { app.selected = seq; show("requests"); } })]),
            seqs.length > 5 ? ` and ${seqs.length - 5} more` : "", ") "))),
      ))),
    )];
  });
}

const given = (value) => value !== null && value !== undefined;

function describeMatch(rule) {
  const parts = [];
  if (given(rule.deployment)) parts.push(`deployment ${rule.deployment}`);
  if (given(rule.model)) parts.push(`model ${rule.model}`);
  if (given(rule.account_id) && rule.account_id !== "*") parts.push(`account ${rule.account_id}`);
  if (given(rule.prompt)) parts.push(`prompt contains ${JSON.stringify(rule.prompt)}`);
  if (given(rule.prompt_regex)) parts.push(`prompt matches /${rule.prompt_regex}/`);
  if (rule.tool_result) parts.push("the last message is a tool result");
  if (given(rule.turn)) parts.push(`turn ${rule.turn}`);
  return parts.length ? parts.join(", ") : "every call";
}

function describeContent(rule) {
  const parts = [];
  if (given(rule.text)) parts.push(`text ${JSON.stringify(rule.text)}`);
  if (given(rule.texts)) parts.push(`texts ${JSON.stringify(rule.texts)}`);
  if (given(rule.chunks)) parts.push(`chunks ${JSON.stringify(rule.chunks)}`);
  if (given(rule.tool_calls)) parts.push(`tool calls ${JSON.stringify(rule.tool_calls)}`);
  if (given(rule.embedding)) parts.push(`an embedding of ${rule.embedding.length}`);
  if (given(rule.dimensions)) parts.push(`${rule.dimensions} dimensions`);
  if (given(rule.scores)) parts.push(`scores ${JSON.stringify(rule.scores)}`);
  if (given(rule.execute)) parts.push(`execute ${JSON.stringify(rule.execute)}`);
  return parts.join(", ");
}

function fillResponses(answer) {
  const list = $("response-list");
  if (!answer.ok) {
    redraw(list, `error ${answer.status}`, () => [h("p", { class: "err", text: `GET /_fake/responses ${failed(answer)}` })]);
    return;
  }
  const data = answer.data;
  const rules = Array.isArray(data) ? data : Object.values(data || {}).find(Array.isArray) || [];
  // The calls each rule gave the content of: the journal's "response" (its "rule" names a
  // fault rule instead when one also applied, a latency say).
  const used = new Map();
  for (const entry of app.entries) {
    if (!entry.response) continue;
    if (!used.has(entry.response)) used.set(entry.response, []);
    used.get(entry.response).push(entry.sequence);
  }
  const signature = JSON.stringify([rules, rules.map((rule) => used.get(rule.id) || [])]);
  redraw(list, signature, () => {
    if (!rules.length) return [h("p", { class: "muted", id: "no-responses", text: "No scripted answers: deployed models give their default answers." })];
    const remove = app.features.responses.remove;
    return [
      h(
        "table",
        { id: "responses" },
        h("thead", null, h("tr", null, ["Rule", "Matches", "Gives", "Hits", "Calls it answered", ""].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", null, rules.map((rule) => {
          const seqs = used.get(rule.id) || [];
          return h(
            "tr",
            { "data-response": rule.id },
            h("td", { class: "mono", text: rule.id }),
            h("td", { class: "mono", text: describeMatch(rule) }),
            h("td", { class: "mono", text: describeContent(rule) }),
            h("td", { class: "num hits", text: rule.hits === undefined ? "" : rule.hits }),
            // A rule that hit calls the journal no longer holds (cleared, or past its limit) has
            // answered: "none yet" would contradict its hits.
            h("td", { class: "answered" }, seqs.length ? null : h("span", { class: "muted", text: rule.hits ? "none in the journal" : "none yet" }),
              seqs.slice(-10).map((seq) => [h("button", { type: "button", class: "link", text: `#${seq}`, onclick: () => { app.selected = seq; show("requests"); } }), " "]),
              seqs.length > 10 ? `and ${seqs.length - 10} more` : ""),
            h("td", null, remove ? h("button", { type: "button", class: "danger", text: "Remove", "aria-label": `Remove ${rule.id}`, onclick: () => removeResponse(rule.id) }) : null),
          );
        })),
      ),
      app.features.responses.clear ? h("p", null, h("button", { type: "button", class: "danger", text: "Remove all…", onclick: () => removeResponse(null) })) : null,
    ];
  });
}

async function removeResponse(id) {
  const path = id === null ? `${ADMIN}/responses` : app.features.responses.remove.replace(/\{[^}]+\}/, encodeURIComponent(id));
  if (id === null && !(await confirmAction("Remove every scripted answer?", "Deployed models give their default answers again.", curlLine("DELETE", path)))) return;
  const answer = await act("DELETE", path);
  // Gone already (404): the list is redrawn without it all the same.
  if (answer.ok || answer.status === 404) await refreshModels();
}

function responseForm() {
  const field = (name, label, element) =>
    h("label", { "data-field": name, class: element.classList.contains("wide") ? "wide" : null }, label, element, h("span", { class: "field-error" }));
  return h(
    "form",
    // novalidate: the fake validates, and the page shows its answer.
    { class: "add", id: "response-form", onsubmit: addResponse, novalidate: true },
    field("deployment", "Deployment (id or name)", h("input", { name: "deployment", placeholder: "any" })),
    field("model", "Model (id or name)", h("input", { name: "model", placeholder: "any" })),
    field("account_id", "Account", h("input", { name: "account_id", placeholder: "any" })),
    field("prompt", "Prompt contains", h("input", { name: "prompt", placeholder: "any" })),
    field("prompt_regex", "Prompt matches (regex)", h("input", { name: "prompt_regex", placeholder: "any" })),
    field("turn", "Turn (assistant messages before)", h("input", { name: "turn", type: "number", min: "0", size: 5, placeholder: "any" })),
    field("tool_result", "After a tool result", h("input", { name: "tool_result", type: "checkbox", value: "true" })),
    field("text", "Text", h("input", { name: "text", class: "wide" })),
    field("texts", "Texts, one per call (JSON list)", h("input", { name: "texts", placeholder: '["first", "second"]', class: "wide" })),
    field("chunks", "Chunks of a stream (JSON list)", h("input", { name: "chunks", placeholder: '["Hel", "lo"]', class: "wide" })),
    field("tool_calls", "Tool calls (JSON list)", h("input", { name: "tool_calls", placeholder: '[{"name": "get_weather", "arguments": {"city": "Paris"}}]', class: "wide" })),
    field("dimensions", "Dimensions", h("input", { name: "dimensions", type: "number", min: "1", size: 5 })),
    field("embedding", "Embedding (JSON list)", h("input", { name: "embedding", placeholder: "[0.6, 0.8]" })),
    field("scores", "Scores (JSON list)", h("input", { name: "scores", placeholder: "[0.9, 0.1]" })),
    field("execute", "Execute answer (JSON object)", h("input", { name: "execute", placeholder: '{"output": "done"}', class: "wide" })),
    h("button", { type: "submit", id: "add-response", text: "Add scripted answer" }),
    h("p", { class: "field-error", id: "response-error" }),
  );
}

async function addResponse(event) {
  event.preventDefault();
  const form = event.target;
  for (const span of form.querySelectorAll(".field-error")) span.textContent = "";
  const data = new FormData(form);
  const text = (name) => String(data.get(name) || "");
  const body = {};
  // A text is sent as typed (spaces are content); the matchers are trimmed.
  for (const name of ["deployment", "model", "account_id", "prompt", "prompt_regex"]) if (text(name).trim()) body[name] = text(name).trim();
  if (text("text")) body.text = text("text");
  if (text("dimensions").trim()) body.dimensions = Number(text("dimensions"));
  if (text("turn").trim()) body.turn = Number(text("turn"));
  if (data.get("tool_result")) body.tool_result = true;
  for (const name of ["texts", "chunks", "tool_calls", "embedding", "scores", "execute"]) {
    if (!text(name).trim()) continue;
    try {
      body[name] = JSON.parse(text(name));
    } catch (error) {
      form.querySelector(`[data-field="${name}"] .field-error`).textContent = "not JSON";
      return;
    }
  }
  const answer = await act("POST", `${ADMIN}/responses`, body);
  if (answer.ok) {
    await refreshModels();
    return;
  }
  const detail = answer.data && answer.data.detail;
  for (const error of Array.isArray(detail) ? detail : []) {
    const name = Array.isArray(error.loc) && error.loc.length > 1 ? error.loc[1] : null;
    const slot = name ? form.querySelector(`[data-field="${CSS.escape(String(name))}"] .field-error`) : null;
    (slot || $("response-error")).textContent = String(error.msg);
  }
  if (!Array.isArray(detail)) $("response-error").textContent = failed(answer);
}
