// The requests view: the journal, newest first, filtered, and one request opened whole.
import { $, ARROW, bodyNotes, h, headersTable, jsonView, ms, statusClass, target, time } from "./dom.js";
import { ADMIN, PAGE_ROWS, app } from "./page.js";
import { act, call, confirmAction, curlLine, failed } from "./api.js";

function matches(entry) {
  const f = app.filters;
  if (f.path && !target(entry).toLowerCase().includes(f.path.toLowerCase())) return false;
  if (f.account && entry.account !== f.account) return false;
  if (f.status) {
    const want = f.status.trim().toLowerCase();
    const got = entry.status === null ? "none" : String(entry.status);
    if (/^[1-5]xx$/.test(want)) return got[0] === want[0];
    if (got !== want) return false;
  }
  return true;
}

function journalRow(entry) {
  const rule = entry.rule || "";
  return h(
    "tr",
    { tabindex: "0", "data-seq": entry.sequence, "aria-selected": String(entry.sequence === app.selected) },
    h("td", { class: "num", text: entry.sequence }),
    h("td", { class: "num", text: time(entry.timestamp) }),
    h("td", { text: entry.method }),
    h("td", { class: "path", text: target(entry) }),
    h("td", { class: "num " + statusClass(entry.status), text: entry.status === null ? "none" : entry.status }),
    h("td", { class: "num", text: ms(entry.duration) }),
    h("td", { text: entry.account || "", title: entry.account || null }),
    h("td", { class: "rule", title: rule || null, text: entry.timed_out ? (rule ? rule + " " : "") + "(timed out)" : rule }),
  );
}

export function renderRequests(main) {
  const f = app.filters;
  const input = (key, label, extra) =>
    h("label", null, label, h("input", {
      ...extra,
      id: "filter-" + key,
      value: f[key],
      oninput: (event) => {
        f[key] = event.target.value;
        app.shown = PAGE_ROWS;
        fillJournal();
      },
    }));
  const accounts = h("datalist", { id: "accounts" }, [...app.accounts].sort().map((a) => h("option", { value: a })));
  main.append(
    h(
      "div",
      { class: "toolbar" },
      input("path", "Path contains", { type: "search", placeholder: "/v4/model-templates" }),
      input("status", "Status", { type: "search", placeholder: "422, 4xx, none", size: 8 }),
      input("account", "Account", { type: "search", list: "accounts", placeholder: "any" }),
      accounts,
      h("button", { type: "button", text: "Clear journal…", class: "danger", onclick: clearJournal }),
      h("span", { class: "count", id: "journal-count" }),
    ),
    h(
      "div",
      { class: "split" },
      h(
        "div",
        null,
        h(
          "div",
          { class: "scroll" },
          h(
            "table",
            { id: "journal", "aria-label": "Requests, newest first" },
            // Fixed widths (style.css): the browser lays the rows out without measuring them.
            h("colgroup", null, ["seq", "time", "method", "path", "status", "ms", "account", "rule"].map((c) => h("col", { class: "c-" + c }))),
            h("thead", null, h("tr", null, ["#", "Time", "Method", "Path", "Status", "ms", "Account", "Rule"].map((t) => h("th", { scope: "col", text: t })))),
            h("tbody", { onclick: onRowClick, onkeydown: onRowKey }),
          ),
        ),
        h("button", { type: "button", id: "more", class: "hidden", text: "Show older", onclick: () => { app.shown += PAGE_ROWS; fillJournal(); } }),
      ),
      h("section", { class: "detail", id: "detail", "aria-live": "polite" }, h("p", { class: "muted", text: "Choose a request to see it whole." })),
    ),
  );
  fillJournal();
  if (app.selected !== null) openEntry(app.selected, false);
}

export function fillJournal() {
  const tbody = document.querySelector("#journal tbody");
  if (!tbody) return;
  const focused = document.activeElement && tbody.contains(document.activeElement) ? document.activeElement.dataset.seq : null;
  const rows = document.createDocumentFragment();
  let total = 0;
  for (let i = app.entries.length - 1; i >= 0; i--) {
    const entry = app.entries[i];
    if (!matches(entry)) continue;
    total += 1;
    if (total <= app.shown) rows.append(journalRow(entry));
  }
  tbody.replaceChildren(rows);
  updateCount(total);
  if (focused) {
    const row = tbody.querySelector(`tr[data-seq="${focused}"]`);
    if (row) row.focus();
  }
}

function updateCount(total) {
  const shown = Math.min(total, app.shown);
  $("journal-count").textContent = !app.complete
    ? `the newest ${app.entries.length} requests (loading older…)`
    : total === app.entries.length ? `${total} requests` : `${total} of ${app.entries.length} requests match`;
  const more = $("more");
  more.classList.toggle("hidden", shown >= total);
  more.textContent = `Show older (${total - shown} more)`;
}

// New entries go on top; the oldest rows past the page size go.
export function addRows(entries) {
  const tbody = document.querySelector("#journal tbody");
  if (!tbody) return;
  const rows = document.createDocumentFragment();
  for (let i = entries.length - 1; i >= 0; i--) if (matches(entries[i])) rows.append(journalRow(entries[i]));
  tbody.prepend(rows);
  while (tbody.rows.length > app.shown) tbody.lastElementChild.remove();
  let total = 0;
  for (const entry of app.entries) if (matches(entry)) total += 1;
  updateCount(total);
  const list = $("accounts");
  if (list && list.options.length !== app.accounts.size) {
    list.replaceChildren(...[...app.accounts].sort().map((a) => h("option", { value: a })));
  }
}

function onRowClick(event) {
  const row = event.target.closest("tr[data-seq]");
  if (row) openEntry(Number(row.dataset.seq), true);
}

function onRowKey(event) {
  const row = event.target.closest("tr[data-seq]");
  if (!row) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    openEntry(Number(row.dataset.seq), true);
  } else if (event.key === "ArrowDown" && row.nextElementSibling) {
    event.preventDefault();
    row.nextElementSibling.focus();
  } else if (event.key === "ArrowUp" && row.previousElementSibling) {
    event.preventDefault();
    row.previousElementSibling.focus();
  }
}

async function openEntry(sequence, announce) {
  app.selected = sequence;
  for (const row of document.querySelectorAll("#journal tr[aria-selected='true']")) row.setAttribute("aria-selected", "false");
  const row = document.querySelector(`#journal tr[data-seq="${sequence}"]`);
  if (row) row.setAttribute("aria-selected", "true");
  const path = `${ADMIN}/requests?after=${sequence - 1}&limit=1`;
  const detail = $("detail");
  const answer = await call("GET", path);
  if (app.selected !== sequence || !document.body.contains(detail)) return;
  if (!answer.ok) {
    detail.replaceChildren(h("p", { class: "err", text: `GET ${path} ${failed(answer)}` }));
    return;
  }
  const entry = answer.ok && answer.data.requests.length && answer.data.requests[0].sequence === sequence ? answer.data.requests[0] : null;
  if (!entry) {
    detail.replaceChildren(h("p", { class: "muted", text: `Request ${sequence} is no longer in the journal.` }));
    return;
  }
  detail.replaceChildren(...entryDetail(entry, path));
  if (announce) detail.querySelector("h2").focus();
}

function entryDetail(entry, path) {
  const errors = entry.status === 422 && entry.response_body && Array.isArray(entry.response_body.detail) ? entry.response_body.detail : [];
  const queryErrors = errors.filter((e) => Array.isArray(e.loc) && e.loc[0] === "query");
  const meta = [
    ["operation", entry.operation || "(no route)"],
    ["account", entry.account || "—"],
    ["rule", entry.rule || "—"],
    ["arrived", new Date(entry.timestamp * 1000).toISOString()],
    ["took", ms(entry.duration) + " ms"],
  ];
  if (entry.timed_out) meta.push(["client", "timed out before the answer"]);
  const parts = [
    h("h2", { tabindex: "-1", text: `#${entry.sequence} ${entry.method} ${target(entry)} → ${entry.status === null ? "no answer" : entry.status}` }),
    h("dl", { class: "meta" }, meta.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])),
    h("h3", { text: "Request" }),
  ];
  if (entry.query) {
    const params = [...new URLSearchParams(entry.query)];
    parts.push(
      h("h4", { text: "Query" }),
      h("table", null, h("tbody", null, params.map(([k, v]) => {
        const own = queryErrors.filter((e) => e.loc[1] === k);
        return h("tr", null, h("th", { text: k }), h("td", { class: "mono" }, v, own.map((e) => h("span", { class: "err", text: `${ARROW}${e.msg} (${e.type})` }))));
      }))),
    );
    for (const e of queryErrors.filter((e) => !params.some(([k]) => k === e.loc[1]))) {
      parts.push(h("p", { class: "err", text: `${e.loc.slice(1).join(".")}: ${e.msg} (${e.type})` }));
    }
  }
  parts.push(h("h4", { text: "Headers" }), headersTable(entry.headers), h("h4", { text: "Body" }), jsonView(entry.body, bodyNotes(entry.body, errors)));
  parts.push(h("h3", { text: "Response" }), h("h4", { text: "Headers" }), headersTable(entry.response_headers));
  if (errors.length) {
    parts.push(
      h("h4", { text: `Validation errors (${errors.length})` }),
      h("ul", { class: "errors" }, errors.map((e) => h("li", { class: "mono", text: `${(e.loc || []).join(".")}: ${e.msg} (${e.type})` }))),
    );
  }
  parts.push(h("h4", { text: "Body" }), jsonView(entry.response_body, null));
  parts.push(h("details", null, h("summary", { text: "curl" }), h("pre", { text: curlLine("GET", path) })));
  return parts;
}

async function clearJournal() {
  const path = `${ADMIN}/requests`;
  if (!(await confirmAction("Clear the journal?", "Every request recorded so far is removed from the journal.", curlLine("DELETE", path)))) return;
  const answer = await act("DELETE", path);
  if (answer.ok) await reloadJournal();
}

// The newest page first, for a quick first render (summaries: no headers, no bodies); the
// rest by loadOlder().
export async function loadNewest() {
  const answer = await call("GET", `${ADMIN}/requests?limit=${PAGE_ROWS}&summary=true`);
  if (answer.ok) setEntries(answer.data.requests, answer.data.requests.length < PAGE_ROWS);
  return answer;
}

export async function loadOlder() {
  const answer = await call("GET", `${ADMIN}/requests?summary=true`);
  if (!answer.ok) return;
  const all = answer.data.requests;
  const through = all.length ? all[all.length - 1].sequence : 0;
  // What polling brought in meanwhile stays.
  setEntries(all.concat(app.entries.filter((e) => e.sequence > through)), true);
}

function setEntries(entries, complete) {
  app.entries = entries;
  app.complete = complete;
  app.accounts = new Set(entries.map((e) => e.account).filter(Boolean));
  if (entries.length) app.last = Math.max(app.last, entries[entries.length - 1].sequence);
  if (app.view === "requests") fillJournal();
}

// Entries the journal no longer holds (cleared or reset by another client, or dropped past
// its limit) leave the page too: it shows the journal, not what it once read of it. The
// journal drops from its oldest end, so the oldest entry it still holds from those the page
// has tells which went.
export async function dropForgotten() {
  if (!app.complete || !app.entries.length) return;
  const oldest = app.entries[0].sequence;
  const answer = await call("GET", `${ADMIN}/requests?after=${oldest - 1}&limit=1&summary=true`);
  if (!answer.ok || !app.entries.length || app.entries[0].sequence !== oldest) return;
  const kept = answer.data.requests;
  const first = kept.length ? kept[0].sequence : Infinity;
  if (first === oldest) return;
  setEntries(app.entries.filter((e) => e.sequence >= first), true);
}

// The journal read anew; the answer of its first read.
export async function reloadJournal() {
  const loaded = await loadNewest();
  if (loaded.ok && !app.complete) await loadOlder();
  return loaded;
}
