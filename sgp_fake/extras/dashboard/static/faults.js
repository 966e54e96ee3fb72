// The faults view: the fault rules with their hits and the requests they answered, a form
// for every field of POST /_fake/faults, and the rate limit.
import { $, h } from "./dom.js";
import { ADMIN, app, show } from "./page.js";
import { act, call, confirmAction, curlLine } from "./api.js";

function describeFault(rule) {
  const parts = [];
  if (rule.status !== null && rule.status !== undefined) parts.push(`status ${rule.status}`);
  if (rule.connection) parts.push(`connection ${rule.connection}`);
  if (rule.cut) parts.push(`cut (${rule.cut}) after ${rule.after} chunks`);
  if (rule.latency) parts.push(`latency ${rule.latency} s`);
  if (rule.retry_after_ms !== null && rule.retry_after_ms !== undefined) parts.push(`retry-after-ms ${rule.retry_after_ms}`);
  return parts.join(", ");
}

export async function renderFaults(main) {
  const [faults, limit] = await Promise.all([call("GET", `${ADMIN}/faults`), call("GET", `${ADMIN}/rate-limit`)]);
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
  const answer = await call("GET", `${ADMIN}/faults`);
  if (app.view === "faults" && $("fault-list")) fillFaults(answer);
}

function fillFaults(answer) {
  const list = $("fault-list");
  if (!answer.ok) {
    list.replaceChildren(h("p", { class: "err", text: `GET /_fake/faults answered ${answer.status}` }));
    return;
  }
  const rules = answer.data.faults;
  if (!rules.length) {
    list.replaceChildren(h("p", { class: "muted", id: "no-faults", text: "No fault rules." }));
    return;
  }
  const answered = new Map();
  for (const entry of app.entries) {
    if (!entry.rule) continue;
    if (!answered.has(entry.rule)) answered.set(entry.rule, []);
    answered.get(entry.rule).push(entry.sequence);
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
          h("td", { class: "mono", text: `${rule.method} ${rule.path}${rule.account_id ? " account " + rule.account_id : ""}` }),
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
  if (answer.ok) refreshFaults();
}

function faultForm() {
  const field = (name, label, element) =>
    h("label", { "data-field": name, class: element.classList.contains("wide") ? "wide" : null }, label, element, h("span", { class: "field-error" }));
  const select = (name, options) => h("select", { name }, options.map(([value, text]) => h("option", { value, text })));
  const form = h(
    "form",
    // novalidate: the fake validates, and the page shows its answer.
    { class: "add", id: "fault-form", onsubmit: addFault, novalidate: true },
    field("method", "Method", select("method", ["*", "GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => [m, m]))),
    field("path", "Path (exact, or a glob with *)", h("input", { name: "path", value: "*", class: "wide" })),
    field("account_id", "Account", h("input", { name: "account_id", placeholder: "any" })),
    field("times", "Times (empty: every)", h("input", { name: "times", type: "number", min: "1", value: "1", size: 5 })),
    field("status", "Status", h("input", { name: "status", type: "number", min: "100", max: "599", size: 5 })),
    field("latency", "Latency (s)", h("input", { name: "latency", type: "number", min: "0", step: "any", size: 5 })),
    field("connection", "Connection", select("connection", [["", "answer"], ["reset", "reset"], ["empty", "empty"]])),
    field("retry_after_ms", "retry-after-ms", h("input", { name: "retry_after_ms", type: "number", min: "0", size: 6 })),
    field("after", "Cut after (chunks)", h("input", { name: "after", type: "number", min: "0", size: 5 })),
    field("cut", "Cut by", select("cut", [["", "no cut"], ["reset", "reset"], ["close", "close"], ["error", "error event"]])),
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
  if (text("account_id")) body.account_id = text("account_id");
  body.times = text("times") === "" ? null : number("times");
  for (const name of ["status", "latency", "retry_after_ms", "after"]) if (number(name) !== undefined) body[name] = number(name);
  for (const name of ["connection", "cut"]) if (text(name)) body[name] = text(name);
  for (const name of ["headers", "body"]) {
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
  if (!Array.isArray(detail)) $("fault-error").textContent = `answered ${answer.status}`;
}

function fillRateLimit(answer) {
  const box = $("rate-limit");
  const limit = answer.ok ? answer.data.rate_limit : null;
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
          const result = await act("PUT", `${ADMIN}/rate-limit`, { rate: Number(rate.value), burst: Number(burst.value) });
          if (result.ok) fillRateLimit(result);
          else error.textContent = Array.isArray(result.data.detail) ? result.data.detail.map((e) => `${e.loc.slice(1).join(".")}: ${e.msg}`).join("; ") : `answered ${result.status}`;
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
