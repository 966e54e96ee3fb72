// The faults view: the fault rules with their hits and the requests they answered, a form
// for every field of POST /_fake/faults, and the rate limit.
import { $, h } from "./dom.js";
import { ADMIN, app, show } from "./page.js";
import { act, call, confirmAction, curlLine, failed, loadOpenapi } from "./api.js";
import { bodyFields, boundsOf, enumOf } from "./features.js";

const given = (value) => value !== null && value !== undefined;

function describeMatch(rule) {
  const parts = [`${rule.method} ${rule.path}`];
  if (rule.account_id) parts.push(`account ${rule.account_id}`);
  if (given(rule.deployment)) parts.push(`deployment ${rule.deployment}`);
  if (given(rule.model)) parts.push(`model ${rule.model}`);
  if (given(rule.prompt)) parts.push(`prompt holds ${JSON.stringify(rule.prompt)}`);
  if (given(rule.prompt_regex)) parts.push(`prompt matches /${rule.prompt_regex}/`);
  if (given(rule.request_body)) parts.push(`body holds ${JSON.stringify(rule.request_body)}`);
  return parts.join(" ");
}

function describeFault(rule) {
  const parts = [];
  if (given(rule.status)) parts.push(`status ${rule.status}`);
  if (rule.connection) parts.push(`connection ${rule.connection}`);
  const stream = [];
  if (given(rule.stall_ms)) stream.push(`stall ${rule.stall_ms} ms`);
  if (rule.cut) stream.push(`cut (${rule.cut})`);
  if (stream.length) parts.push(`${stream.join(" then ")} after ${rule.after} chunks`);
  if (rule.latency) parts.push(`latency ${rule.latency} s`);
  if (given(rule.retry_after_ms)) parts.push(`retry-after-ms ${rule.retry_after_ms}`);
  return parts.join(", ");
}

export async function renderFaults(main) {
  // The form takes the values and bounds of its fields from the fake's schema of a rule.
  const [faults, limit] = await Promise.all([call("GET", `${ADMIN}/faults`), call("GET", `${ADMIN}/rate-limit`), loadOpenapi()]);
  if (main.dataset.view !== "faults") return;
  main.replaceChildren(
    h("h2", { text: "Fault rules" }),
    h("p", { class: "muted", text: "Tried in order; a spent rule stays listed with what it hit." }),
    h("div", { id: "fault-list" }),
    h("h3", { text: "Add a rule" }),
    faultForm(),
    h("h2", { text: "Rate limit" }),
    h("div", { id: "rate-limit" }),
    h("details", null, h("summary", { text: "curl" }), h("pre", { text: [curlLine("GET", `${ADMIN}/faults`), curlLine("GET", `${ADMIN}/rate-limit`)].join("\n") })),
  );
  fillFaults(faults);
  fillRateLimit(limit);
}

export async function refreshFaults() {
  const [answer, limit] = await Promise.all([call("GET", `${ADMIN}/faults`), call("GET", `${ADMIN}/rate-limit`)]);
  if (app.view !== "faults" || !$("fault-list")) return;
  fillFaults(answer);
  fillRateLimit(limit);
}

// Read every second: redrawn only when what it shows changed, so a button the keyboard is on
// stays.
const drawn = new WeakMap(); // list -> the signature of what it shows

function fillFaults(answer) {
  const list = $("fault-list");
  const rules = answer.ok ? answer.data.faults : [];
  const answered = new Map();
  for (const entry of app.entries) {
    if (!entry.rule) continue;
    if (!answered.has(entry.rule)) answered.set(entry.rule, []);
    answered.get(entry.rule).push(entry.sequence);
  }
  const signature = JSON.stringify([answer.status, rules, rules.map((rule) => answered.get(rule.id) || [])]);
  if (drawn.get(list) === signature) return;
  drawn.set(list, signature);
  if (!answer.ok) {
    list.replaceChildren(h("p", { class: "err", text: `GET /_fake/faults ${failed(answer)}` }));
    return;
  }
  if (!rules.length) {
    list.replaceChildren(h("p", { class: "muted", id: "no-faults", text: "No fault rules." }));
    return;
  }
  list.replaceChildren(
    h(
      "table",
      { id: "faults" },
      h("thead", null, h("tr", null, ["Rule", "Matches", "Does", "Times", "Hits", "Requests it answered", ""].map((t) => h("th", { scope: "col", text: t })))),
      h("tbody", null, rules.map((rule) => {
        const seqs = answered.get(rule.id) || [];
        return h(
          "tr",
          { "data-rule": rule.id },
          h("td", { class: "mono", text: rule.id }),
          h("td", { class: "mono", text: describeMatch(rule) }),
          h("td", { text: describeFault(rule) }),
          h("td", { class: "num", text: rule.times === null ? "every" : rule.times }),
          h("td", { class: "num hits", text: `${rule.hits}${rule.spent ? " (spent)" : ""}` }),
          h("td", null, seqs.slice(-10).map((seq) => [h("button", { type: "button", class: "link", text: `#${seq}`, onclick: () => { app.selected = seq; show("requests"); } }), " "]), seqs.length > 10 ? `and ${seqs.length - 10} more` : ""),
          h("td", null, h("button", { type: "button", class: "danger", text: "Remove", "aria-label": `Remove ${rule.id}`, onclick: () => removeFault(rule.id) })),
        );
      })),
    ),
    h("p", null, h("button", { type: "button", class: "danger", text: "Remove all…", onclick: () => removeFault(null) })),
  );
}

async function removeFault(id) {
  const path = id === null ? `${ADMIN}/faults` : `${ADMIN}/faults/${encodeURIComponent(id)}`;
  if (id === null && !(await confirmAction("Remove every fault rule?", "Spent rules go too, with what they hit.", curlLine("DELETE", path)))) return;
  const answer = await act("DELETE", path);
  // Gone already (404): the list is redrawn without it all the same.
  if (answer.ok || answer.status === 404) refreshFaults();
}

// Every field of a rule (FaultSpec in the admin API). The values of the choices and the bounds of
// the numbers are the fake's own, read from its schema of the body; the fake validates, and the
// form shows what it refuses next to the field.
function faultForm() {
  const fields = bodyFields(`${ADMIN}/faults`, "post");
  const field = (name, label, element) =>
    h("label", { "data-field": name, class: element.classList.contains("wide") ? "wide" : null }, label, element, h("span", { class: "field-error" }));
  const select = (name, options) => h("select", { name }, options.map(([value, text]) => h("option", { value, text })));
  // The values the schema allows; a text field instead if it could not be read.
  const choice = (name, none, labels) => {
    const values = enumOf(fields[name]);
    if (!values.length) return h("input", { name, placeholder: none });
    return select(name, [["", none], ...values.map((value) => [value, labels[value] || value])]);
  };
  const number = (name, props) => {
    const bounds = boundsOf(fields[name]);
    return h("input", { name, type: "number", min: bounds.min, max: bounds.max, ...props });
  };
  const form = h(
    "form",
    // novalidate: the fake validates, and the page shows its answer.
    { class: "add", id: "fault-form", onsubmit: addFault, novalidate: true },
    field("method", "Method", select("method", ["*", "GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => [m, m]))),
    field("path", "Path (exact, or a glob with *)", h("input", { name: "path", value: "*", class: "wide" })),
    field("account_id", "Account", h("input", { name: "account_id", placeholder: "any" })),
    field("deployment", "Deployment (id or name)", h("input", { name: "deployment", placeholder: "any" })),
    field("model", "Model (id or name)", h("input", { name: "model", placeholder: "any" })),
    field("prompt", "Prompt holds", h("input", { name: "prompt", placeholder: "any" })),
    field("prompt_regex", "Prompt matches (RE2)", h("input", { name: "prompt_regex", placeholder: "any" })),
    field("request_body", "Request body holds (JSON)", h("input", { name: "request_body", placeholder: '{"stream": true}', class: "wide" })),
    field("times", "Times (empty: every)", number("times", { value: "1", size: 5 })),
    field("status", "Status", number("status", { size: 5 })),
    field("latency", "Latency (s)", number("latency", { step: "any", size: 5 })),
    field("connection", "Connection", choice("connection", "answer", {})),
    field("retry_after_ms", "retry-after-ms", number("retry_after_ms", { size: 6 })),
    field("after", "After (chunks)", number("after", { size: 5 })),
    field("cut", "Cut by", choice("cut", "no cut", { error: "error event" })),
    field("stall_ms", "Stall (ms)", number("stall_ms", { size: 8 })),
    field("headers", "Headers (JSON object)", h("input", { name: "headers", placeholder: '{"retry-after": "1"}', class: "wide" })),
    field("body", "Body (JSON)", h("input", { name: "body", placeholder: '{"detail": "overloaded"}', class: "wide" })),
    h("button", { type: "submit", id: "add-fault", text: "Add rule" }),
    h("p", { class: "field-error", id: "fault-error" }),
  );
  return form;
}

async function addFault(event) {
  event.preventDefault();
  const form = event.target;
  for (const span of form.querySelectorAll(".field-error")) span.textContent = "";
  const data = new FormData(form);
  const body = { method: data.get("method"), path: data.get("path") || "*" };
  const text = (name) => String(data.get(name) || "").trim();
  const number = (name) => (text(name) === "" ? undefined : Number(text(name)));
  for (const name of ["account_id", "deployment", "model"]) if (text(name)) body[name] = text(name);
  // Sent as typed: a space is part of what the prompt must hold.
  for (const name of ["prompt", "prompt_regex"]) if (data.get(name)) body[name] = String(data.get(name));
  body.times = text("times") === "" ? null : number("times");
  for (const name of ["status", "latency", "retry_after_ms", "after", "stall_ms"]) if (number(name) !== undefined) body[name] = number(name);
  for (const name of ["connection", "cut"]) if (text(name)) body[name] = text(name);
  for (const name of ["request_body", "headers", "body"]) {
    if (!text(name)) continue;
    try {
      body[name] = JSON.parse(text(name));
    } catch (error) {
      form.querySelector(`[data-field="${name}"] .field-error`).textContent = "not JSON";
      return;
    }
  }
  const answer = await act("POST", `${ADMIN}/faults`, body);
  if (answer.ok) {
    refreshFaults();
    return;
  }
  const detail = answer.data && answer.data.detail;
  for (const error of Array.isArray(detail) ? detail : []) {
    const name = Array.isArray(error.loc) ? error.loc[1] : null;
    const slot = name ? form.querySelector(`[data-field="${CSS.escape(String(name))}"] .field-error`) : null;
    (slot || $("fault-error")).textContent = String(error.msg);
  }
  if (!Array.isArray(detail)) $("fault-error").textContent = failed(answer);
}

// Read every second with the rules: redrawn only when the limit changed (set or removed by
// another client), so that what is being typed into the form stays.
function fillRateLimit(answer) {
  const box = $("rate-limit");
  const signature = JSON.stringify([answer.ok, answer.ok ? answer.data.rate_limit : failed(answer)]);
  if (drawn.get(box) === signature) return;
  drawn.set(box, signature);
  if (!answer.ok) {
    box.replaceChildren(h("p", { class: "err", id: "rate-limit-now", text: `GET /_fake/rate-limit ${failed(answer)}` }));
    return;
  }
  const limit = answer.data.rate_limit;
  const rate = h("input", { name: "rate", type: "number", min: "0.001", step: "any", value: limit ? limit.rate : "", size: 6, required: true });
  const burst = h("input", { name: "burst", type: "number", min: "1", step: "1", value: limit ? limit.burst : "", size: 6, required: true });
  const error = h("p", { class: "field-error" });
  box.replaceChildren(
    h("p", { id: "rate-limit-now", text: limit ? `${limit.rate} requests a second per API key, bursts of ${limit.burst}.` : "No rate limit." }),
    h(
      "form",
      {
        class: "add",
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          error.textContent = "";
          const result = await act("PUT", `${ADMIN}/rate-limit`, { rate: Number(rate.value), burst: Number(burst.value) });
          if (result.ok) fillRateLimit(result);
          else error.textContent = result.data && Array.isArray(result.data.detail) ? result.data.detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ") : failed(result);
        },
      },
      h("label", null, "Requests a second", rate),
      h("label", null, "Burst", burst),
      h("button", { type: "submit", text: "Set rate limit" }),
      limit ? h("button", { type: "button", class: "danger", text: "Remove rate limit", onclick: async () => { const r = await act("DELETE", `${ADMIN}/rate-limit`); if (r.ok) fillRateLimit(r); } }) : null,
    ),
    error,
  );
}
