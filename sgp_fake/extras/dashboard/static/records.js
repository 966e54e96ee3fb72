// The state view: every record grouped by account, linked along its references; download,
// upload and reset.
import { $, h, jsonView, recordLabel } from "./dom.js";
import { ADMIN, app, show } from "./page.js";
import { act, call, confirmAction, curlLine, failed, loadResources, nounOf } from "./api.js";
import { reloadJournal } from "./requests.js";

let reads = 0; // the newest read of the state; older answers are dropped
let drawn = null; // the state the view shows, as text

export async function renderState(main) {
  const mine = ++reads;
  const [resources, answer] = await Promise.all([loadResources(), call("GET", `${ADMIN}/state`)]);
  if (mine !== reads || app.view !== "state" || main.dataset.view !== "state") return;
  drawState(main, resources, answer);
}

// Read every second while shown: records change with no request in the journal (another
// client resets the fake, uploads a state, forces a status); redrawn only when they did.
export async function refreshState() {
  const mine = ++reads;
  const answer = await call("GET", `${ADMIN}/state`);
  const main = $("main");
  if (mine !== reads || app.view !== "state" || main.dataset.view !== "state") return;
  if (JSON.stringify([answer.status, answer.data]) === drawn) return;
  const resources = await loadResources();
  if (mine !== reads || app.view !== "state" || main.dataset.view !== "state") return;
  drawState(main, resources, answer);
}

function drawState(main, resources, answer) {
  drawn = JSON.stringify([answer.status, answer.data]);
  if (!answer.ok) {
    main.replaceChildren(h("p", { class: "err", text: `GET /_fake/state ${failed(answer)}` }));
    return;
  }
  const state = answer.data;
  // Redrawn in place: records left open stay open, and the keyboard keeps its place.
  const opened = new Set([...main.querySelectorAll("details.record[open]")].map((d) => d.id));
  const active = main.contains(document.activeElement) ? document.activeElement : null;
  const focusedRecord = active && active.tagName === "SUMMARY" && active.parentElement.id ? active.parentElement.id : null;
  const focusedId = active && active.id ? active.id : null;
  const kinds = [...new Set([...resources.map((r) => r.kind), ...Object.keys(state)])];
  const byKey = new Map();
  const referencedBy = new Map();
  const accounts = new Map();
  for (const kind of kinds) {
    for (const record of state[kind] || []) {
      byKey.set(kind + "\u0000" + record.id, record);
      const account = typeof record.account_id === "string" ? record.account_id : "";
      if (!accounts.has(account)) accounts.set(account, new Map());
      const group = accounts.get(account);
      if (!group.has(kind)) group.set(kind, []);
      group.get(kind).push(record);
    }
  }
  for (const resource of resources) {
    for (const [field, other] of Object.entries(resource.references || {})) {
      for (const record of state[resource.kind] || []) {
        const value = record[field];
        if (typeof value !== "string") continue;
        const key = other + "\u0000" + value;
        if (!referencedBy.has(key)) referencedBy.set(key, []);
        referencedBy.get(key).push({ kind: resource.kind, field, record });
      }
    }
  }
  const total = kinds.reduce((n, kind) => n + (state[kind] || []).length, 0);
  const counts = kinds
    .filter((kind) => (state[kind] || []).length)
    .map((kind) => `${state[kind].length} ${nounOf(kind).toLowerCase()}${state[kind].length === 1 ? "" : "s"}`);
  const fileInput = h("input", { type: "file", accept: "application/json,.json", id: "state-file", class: "hidden", onchange: uploadState });
  const content = [
    h(
      "div",
      { class: "toolbar" },
      h("button", { type: "button", id: "download-state", text: "Download state", onclick: downloadState }),
      h("button", { type: "button", id: "upload-state", text: "Upload state…", onclick: () => fileInput.click() }),
      fileInput,
      h("button", { type: "button", class: "danger", id: "reset-all", text: "Reset all…", onclick: () => reset(null) }),
      h("span", { class: "count", id: "state-count", text: total ? `${total} record${total === 1 ? "" : "s"}: ${counts.join(", ")}; ${accounts.size} account${accounts.size === 1 ? "" : "s"}` : "" }),
    ),
    h("div", { id: "state-errors" }, app.notice ? h("p", { text: app.notice }) : null),
  ];
  app.notice = "";
  if (!total) content.push(h("p", { class: "muted", text: "The fake holds no records." }));
  const linkTo = (kind, id) =>
    h("button", {
      type: "button",
      class: "link",
      text: `${nounOf(kind)} ${id}`,
      onclick: () => reveal(kind, id),
    });
  for (const account of [...accounts.keys()].sort()) {
    const group = accounts.get(account);
    const size = [...group.values()].reduce((n, list) => n + list.length, 0);
    const section = h(
      "section",
      { class: "card account", "data-account": account },
      h(
        "h3",
        null,
        h("span", { text: account ? `Account ${account}` : "No account" }),
        h("span", { class: "badge", text: `${size} record${size === 1 ? "" : "s"}` }),
        account ? h("button", { type: "button", class: "danger", text: `Reset ${account}…`, "data-reset": account, onclick: () => reset(account) }) : null,
      ),
    );
    for (const kind of kinds) {
      const records = group.get(kind);
      if (!records) continue;
      const resource = resources.find((r) => r.kind === kind) || { references: {} };
      section.append(h("h4", { text: `${nounOf(kind)}s (${records.length})` }));
      for (const record of records) {
        const id = `rec-${kind}-${record.id}`;
        const details = h("details", { class: "record", id, "data-kind": kind }, h("summary", { text: recordLabel(record) }));
        details.addEventListener("toggle", () => {
          if (!details.open || details.childElementCount > 1) return;
          const out = Object.entries(resource.references || {})
            .filter(([field]) => typeof record[field] === "string")
            .map(([field, other]) => h("li", null, `${field} → `, byKey.has(other + "\u0000" + record[field]) ? linkTo(other, record[field]) : h("span", { class: "err", text: `${record[field]} (not in the state)` })));
          const into = (referencedBy.get(kind + "\u0000" + record.id) || []).map((ref) => h("li", null, `${ref.field} of `, linkTo(ref.kind, ref.record.id)));
          if (out.length) details.append(h("h4", { text: "Refers to" }), h("ul", { class: "refs" }, out));
          if (into.length) details.append(h("h4", { text: "Referred to by" }), h("ul", { class: "refs" }, into));
          details.append(jsonView(record, null));
        });
        section.append(details);
        if (opened.has(id)) details.open = true;
      }
    }
    content.push(section);
  }
  content.push(h("details", null, h("summary", { text: "curl" }), h("pre", { text: [curlLine("GET", `${ADMIN}/state`), curlLine("GET", `${ADMIN}/resources`)].join("\n") })));
  main.replaceChildren(...content);
  const again = focusedRecord ? document.getElementById(focusedRecord) : null;
  if (again) again.querySelector("summary").focus();
  else if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
}

function reveal(kind, id) {
  const details = document.getElementById(`rec-${kind}-${id}`);
  if (!details) return;
  details.open = true;
  details.scrollIntoView({ block: "center" });
  details.querySelector("summary").focus();
  details.classList.add("flash");
  setTimeout(() => details.classList.remove("flash"), 1200);
}

async function downloadState() {
  const path = `${ADMIN}/state`;
  const answer = await act("GET", path);
  if (!answer.ok) return;
  const blob = new Blob([JSON.stringify(answer.data, null, 2) + "\n"], { type: "application/json" });
  const link = h("a", { href: URL.createObjectURL(blob), download: "sgp-fake-state.json" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function uploadState(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (!file) return;
  const text = await file.text();
  const errors = $("state-errors");
  let document_;
  try {
    document_ = JSON.parse(text);
  } catch (error) {
    errors.replaceChildren(h("p", { class: "err", text: `${file.name} is not JSON: ${error.message}` }));
    return;
  }
  const kinds = document_ && typeof document_ === "object" && !Array.isArray(document_) ? Object.entries(document_) : [];
  const what = kinds.map(([kind, list]) => `${Array.isArray(list) ? list.length : "?"} ${kind}`).join(", ") || "no records";
  const path = `${ADMIN}/state`;
  const curl = curlLine("PUT", path, undefined, { file: file.name });
  const ok = await confirmAction("Replace the state?", `Every record is replaced by the ${what} of ${file.name}; a kind it leaves out is emptied.`, curl);
  if (!ok) return;
  $("lastcall").textContent = curl;
  const answer = await call("PUT", path, document_, { raw: text });
  if (answer.ok) {
    show("state");
    return;
  }
  const detail = answer.data && answer.data.detail;
  errors.replaceChildren(
    h("p", { class: "err", text: answer.unreachable ? `${file.name}: PUT ${path} ${failed(answer)}.` : `The fake refused ${file.name} (${answer.status}); nothing changed.` }),
    answer.unreachable ? null : Array.isArray(detail)
      ? h("ul", { class: "errors" }, detail.map((e) => h("li", { class: "mono", text: `${(e.loc || []).join(".")}: ${e.msg}` })))
      : h("pre", { text: JSON.stringify(detail) }),
  );
}

async function reset(account) {
  const path = account === null ? `${ADMIN}/reset` : `${ADMIN}/reset?account_id=${encodeURIComponent(account)}`;
  const text = account === null
    ? "Every record of every account, the journal, the fault rules and the rate limit go. Coverage is kept."
    : `Every record of account ${account} goes; nothing else changes.`;
  const title = account === null ? "Reset the fake?" : `Reset account ${account}?`;
  if (!(await confirmAction(title, text, curlLine("POST", path)))) return;
  const answer = await act("POST", path);
  if (answer.ok) {
    app.notice = `Deleted ${answer.data.deleted} record${answer.data.deleted === 1 ? "" : "s"}.`;
    if (account === null) await reloadJournal();
    await renderState($("main"));
  }
}
