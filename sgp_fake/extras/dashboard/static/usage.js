// The usage charts of the models view: one chart per record (or per name) of the kind a
// .../{id}/usage-statistics route belongs to. These are SGP calls, with the API key typed in.
import { h, recordLabel, svg } from "./dom.js";
import { ADMIN, app } from "./page.js";
import { act, call, curlLine, failed } from "./api.js";

export const USAGE_CHUNKS = 12;


// What a usage route is about: a kind of record, and the field of a record its path takes.
// A parameter named as a reference field names that field's kind (model_deployment_id: a
// deployment); otherwise the route hangs under the kind's collection (/v4/gizmos/{gizmo_id}).
// A *_name parameter takes the record's name (the real service sums usage by model name),
// an *_id one its id; a route whose parameter is neither is not offered.
export function usageSubject(usage, resources) {
  const field = /(^|_)name$/.test(usage.param) ? "name" : /(^|_)id$/.test(usage.param) ? "id" : null;
  if (field === null) return null;
  const referenced = resources.map((r) => (r.references || {})[usage.param]).find(Boolean);
  const resource = resources.find((r) => r.kind === referenced) || resources.find((r) => r.collection === usage.collection);
  return resource ? { resource, field } : null;
}

export function usageSection(usage, subject) {
  const noun = subject.resource.noun.toLowerCase();
  const what = subject.field === "name" ? `${noun} name` : noun;
  const box = h("div", { class: "usage-charts" });
  return h(
    "section",
    { class: "usage", "data-usage": usage.path },
    h("h3", { text: `Usage per ${what}` }),
    h("div", { class: "toolbar" }, h("button", { type: "button", text: `Show usage per ${what}`, onclick: () => showUsage(usage, subject, box) })),
    box,
  );
}

// What one chart is of: a record (by id), or every record of one name (the fake sums the
// usage of the models of that name), with when the first of them was created.
function usageSubjects(records, field) {
  const subjects = new Map();
  for (const record of records) {
    const value = record[field];
    if (typeof value !== "string" || !value) continue;
    const since = Date.parse(record.created_at);
    const known = subjects.get(value);
    if (known) {
      if (since < known.since || Number.isNaN(known.since)) known.since = since;
    } else {
      subjects.set(value, { value, label: field === "id" ? recordLabel(record) : value, since });
    }
  }
  return [...subjects.values()];
}

// The latest time the fake wrote on a record, or the browser's time if later: the end of
// every chart. Usage is dated by the fake's record clock (a seeded one in deterministic
// mode), which neither the browser's nor the fake's status clock (/_fake/clock) follows.
function latestTime(state) {
  let latest = Date.now();
  for (const records of Object.values(state)) {
    if (!Array.isArray(records)) continue;
    for (const record of records) {
      const at = record && typeof record.created_at === "string" ? Date.parse(record.created_at) : NaN;
      if (at > latest) latest = at;
    }
  }
  return latest;
}

async function showUsage(usage, subject, box) {
  // Read now, not when the view was drawn: the records and their times as they are.
  const state = await call("GET", `${ADMIN}/state`);
  if (!state.ok) {
    box.replaceChildren(h("p", { class: "err", text: `GET /_fake/state ${failed(state)}` }));
    return;
  }
  const subjects = usageSubjects(state.data[subject.resource.kind] || [], subject.field);
  const end = latestTime(state.data) + 1000; // the calls of this very second are in
  box.replaceChildren(...(subjects.length ? [] : [h("p", { class: "muted", text: "None." })]));
  for (const one of subjects) {
    const start = one.since < end ? one.since : end - 3600 * 1000;
    const path = usage.path.replace(/\{[^}]+\}/, encodeURIComponent(one.value)) +
      `?chunks=${USAGE_CHUNKS}&start_date=${encodeURIComponent(new Date(start).toISOString())}&end_date=${encodeURIComponent(new Date(end).toISOString())}`;
    const options = { apiKey: app.usageKey };
    const answer = await act("GET", path, undefined, options);
    const detail = !answer.unreachable && answer.data && typeof answer.data === "object" && typeof answer.data.detail === "string" ? `: ${answer.data.detail}` : "";
    box.append(h(
      "div",
      { class: "usage-chart", "data-subject": one.value },
      h("h4", { class: "mono", text: one.label }),
      answer.ok ? chart(answer.data) : h("p", { class: "err", text: `${failed(answer)}${detail}` }),
      h("pre", { class: "curl", text: curlLine("GET", path, undefined, options) }),
    ));
  }
}

function chart(usage) {
  const points = Array.isArray(usage.data) ? usage.data : [];
  const width = 480;
  const height = 120;
  const top = Math.max(1, ...points.map((p) => Number(p.summary_tokens) || 0));
  const step = points.length ? width / points.length : width;
  const bars = points.map((p, i) => {
    const value = Number(p.summary_tokens) || 0;
    const size = Math.round((value / top) * (height - 20));
    return svg("rect", { class: "bar", x: i * step + 1, y: height - 14 - size, width: Math.max(1, step - 2), height: size },
      svg("title", null, `${p.date}: ${value} tokens (${p.prompt_tokens} prompt, ${p.response_tokens} response)`));
  });
  const total = points.reduce((n, p) => n + (Number(p.summary_tokens) || 0), 0);
  return svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${total} tokens in all` },
    ...bars,
    svg("text", { x: 0, y: height - 2 }, String(usage.start_date || "")),
    svg("text", { x: width, y: height - 2, "text-anchor": "end" }, `${total} tokens`));
}

// -- start ---------------------------------------------------------------------------------
