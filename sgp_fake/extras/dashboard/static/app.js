// The sgp-fake dashboard. It holds no state of its own: everything it shows is read from the
// admin API under /_fake, and every change it makes is one admin call, shown as its curl line.
// Values from the fake are attacker-controlled (request bodies): the page builds its DOM with
// text nodes and attributes, never from markup.
"use strict";

(() => {
  const ADMIN = "/_fake";
  const POLL_MS = 1000;
  const PAGE_ROWS = 100; // rows drawn at once
  const FIRST_ROWS = 40; // a screenful: the first paint draws these, the rest of a page follows
  const ARROW = "  ← "; // before an error, next to what it points at
  const MASKED_HEADERS = new Set(["x-api-key", "authorization", "proxy-authorization", "api-key"]);

  const hash = new URLSearchParams(location.hash.slice(1));
  const app = {
    token: hash.get("token") || null,
    view: hash.get("view") || "requests",
    requested: hash.get("view") || "requests",
    notice: "",
    entries: [], // journal summaries, oldest first
    complete: false, // false while only the newest page of the journal is loaded
    last: 0, // the highest sequence read
    accounts: new Set(),
    filters: { path: "", status: "", account: "" },
    shown: FIRST_ROWS,
    selected: null,
    openapi: null,
    features: { clock: false, status: null, responses: null, usage: [] },
    resources: null,
    state: null,
    firstRender: false,
    polling: false,
    usageKey: "sgp-fake-dashboard",
    modelsRefresh: 0, // the newest refresh of the models view; older answers are dropped
  };

  // -- DOM ---------------------------------------------------------------------------------

  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === null || value === undefined || value === false) continue;
        if (key === "class") el.className = value;
        else if (key === "text") el.textContent = String(value);
        else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child)); // strings become text nodes
    }
    return el;
  }

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
    append(el, children);
    return el;
  }

  const $ = (id) => document.getElementById(id);

  // -- the admin API -------------------------------------------------------------------------

  function shellQuote(text) {
    return "'" + String(text).replace(/'/g, "'\\''") + "'";
  }

  function curlLine(method, path, body, options) {
    const parts = ["curl"];
    if (method !== "GET") parts.push("-X", method);
    // Secrets stay out of the line: the shell fills them in.
    if (options && options.apiKey) parts.push("-H", '"x-api-key: $SGP_API_KEY"');
    else if (app.token) parts.push("-H", '"Authorization: Bearer $SGP_FAKE_ADMIN_TOKEN"');
    if (options && options.file) parts.push("--data-binary", "@" + options.file);
    else if (body !== undefined) parts.push("-d", shellQuote(JSON.stringify(body)));
    parts.push(shellQuote(location.origin + path));
    return parts.join(" ");
  }

  async function call(method, path, body, options) {
    const headers = {};
    if (options && options.apiKey) headers["x-api-key"] = options.apiKey;
    else if (app.token) headers.Authorization = "Bearer " + app.token;
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = options && options.raw !== undefined ? options.raw : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      setLive(false, "the fake does not answer");
      throw error;
    }
    const text = await response.text();
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      // not JSON: keep the text
    }
    if (response.status === 401 && path.startsWith(ADMIN)) askForToken(data);
    return { status: response.status, ok: response.ok, data };
  }

  // An action: one admin call, shown with its curl line.
  async function act(method, path, body, options) {
    $("lastcall").textContent = curlLine(method, path, body, options);
    return call(method, path, body, options);
  }

  function confirmAction(title, text, curl) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-curl").textContent = curl;
    return new Promise((resolve) => {
      const done = (answer) => {
        dialog.removeEventListener("close", onClose);
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      const onClose = () => done(false);
      $("confirm-ok").onclick = () => done(true);
      $("confirm-cancel").onclick = () => done(false);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
    });
  }

  function askForToken(data) {
    const banner = $("banner");
    if (!banner.hidden) return;
    const input = h("input", {
      type: "password",
      id: "token-input",
      autocomplete: "off",
      "aria-label": "Admin token",
    });
    const detail = data && typeof data === "object" && data.detail ? String(data.detail) : "";
    banner.replaceChildren(
      h("span", { text: "This server's admin API needs its token (" + detail + ")." }),
      h(
        "form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            app.token = input.value.trim() || null;
            banner.hidden = true;
            saveHash();
            start();
          },
        },
        input,
        h("button", { type: "submit", text: "Use token" }),
      ),
    );
    banner.hidden = false;
  }

  function saveHash() {
    const params = new URLSearchParams();
    if (app.token) params.set("token", app.token);
    if (app.view !== "requests") params.set("view", app.view);
    const text = params.toString();
    history.replaceState(null, "", text ? "#" + text : location.pathname);
  }

  function setLive(ok, text) {
    const live = $("live");
    live.className = "live " + (ok ? "ok" : "bad");
    live.textContent = text;
  }

  // -- formatting ----------------------------------------------------------------------------

  function mask(name, value) {
    if (!MASKED_HEADERS.has(name.toLowerCase())) return value;
    const text = String(value);
    const space = text.indexOf(" ");
    const scheme = name.toLowerCase().endsWith("authorization") && space > 0;
    const prefix = scheme ? text.slice(0, space + 1) : "";
    const secret = scheme ? text.slice(space + 1) : text;
    const tail = secret.length > 8 ? secret.slice(-4) : "";
    return prefix + "••••" + tail;
  }

  function statusClass(status) {
    return status === null ? "snone" : "s" + String(status)[0];
  }

  // By hand: toLocaleTimeString costs about as much as the rest of a row.
  const pad = (n, width) => String(n).padStart(width, "0");
  function time(seconds) {
    const d = new Date(seconds * 1000);
    return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
  }

  function ms(seconds) {
    return (seconds * 1000).toFixed(1);
  }

  function target(entry) {
    return entry.query ? entry.path + "?" + entry.query : entry.path;
  }

  // A JSON value as indented text, with each 422 error next to the value it points at.
  // notes maps a path (JSON of its keys) to [{missing: key or null, text}].
  function jsonView(value, notes) {
    const pre = h("pre", { class: "json" });
    const out = [];
    const note = (path) => notes && notes.get(JSON.stringify(path));
    const errorsOf = (path) => (note(path) || []).filter((n) => n.missing === null);
    const missingOf = (path) => (note(path) || []).filter((n) => n.missing !== null);
    const line = (indent) => out.push("\n" + "  ".repeat(indent));
    const errorSpans = (path) => errorsOf(path).map((n) => h("span", { class: "err", text: ARROW + n.text }));

    function walk(node, path, indent) {
      if (Array.isArray(node) || (node !== null && typeof node === "object")) {
        const isArray = Array.isArray(node);
        const keys = isArray ? node.map((_, i) => i) : Object.keys(node);
        const missing = missingOf(path);
        out.push(isArray ? "[" : "{", ...errorSpans(path));
        keys.forEach((key, i) => {
          line(indent + 1);
          if (!isArray) out.push(h("span", { class: "k", text: JSON.stringify(key) }), ": ");
          walk(node[key], [...path, key], indent + 1);
          if (i < keys.length - 1 || missing.length) out.push(",");
        });
        missing.forEach((n, i) => {
          line(indent + 1);
          out.push(h("span", { class: "k", text: JSON.stringify(n.missing) }), ": ");
          out.push(h("span", { class: "muted", text: "(missing)" }), h("span", { class: "err", text: ARROW + n.text }));
          if (i < missing.length - 1) out.push(",");
        });
        if (keys.length || missing.length) line(indent);
        out.push(isArray ? "]" : "}");
        return;
      }
      const kind = typeof node === "string" ? "s" : typeof node === "number" ? "n" : "b";
      out.push(h("span", { class: kind, text: JSON.stringify(node) }), ...errorSpans(path));
    }

    if (typeof value === "string") {
      out.push(value === "" ? "(empty)" : value, ...errorSpans([]));
    } else {
      walk(value, [], 0);
    }
    return append(pre, out);
  }

  // Where each error of a 422 belongs in the request body: at the deepest part of its loc
  // the body has; the rest of the loc names what is missing.
  function bodyNotes(body, errors) {
    const notes = new Map();
    for (const error of errors) {
      if (!error || !Array.isArray(error.loc) || error.loc[0] !== "body") continue;
      const loc = error.loc.slice(1);
      let node = body;
      let depth = 0;
      while (depth < loc.length && node !== null && typeof node === "object" && loc[depth] in node) {
        node = node[loc[depth]];
        depth += 1;
      }
      const at = loc.slice(0, depth);
      const rest = loc.slice(depth);
      const objectHere = node !== null && typeof node === "object";
      const text = String(error.msg) + " (" + String(error.type) + ")";
      const entry = rest.length && objectHere
        ? { missing: rest.join("."), text }
        : { missing: null, text: rest.length ? rest.join(".") + ": " + text : text };
      const key = JSON.stringify(at);
      if (!notes.has(key)) notes.set(key, []);
      notes.get(key).push(entry);
    }
    return notes;
  }

  function headersTable(headers) {
    const names = Object.keys(headers || {});
    if (!names.length) return h("p", { class: "muted", text: "no headers" });
    return h(
      "table",
      { class: "headers" },
      h("tbody", null, names.map((name) => h("tr", null, h("th", { text: name }), h("td", { class: "mono", text: mask(name, headers[name]) })))),
    );
  }

  // -- tabs ------------------------------------------------------------------------------------

  const VIEWS = [
    { id: "requests", label: "Requests", render: renderRequests },
    { id: "state", label: "State", render: renderState },
    { id: "faults", label: "Faults & rate limit", render: renderFaults },
    { id: "models", label: "Models at work", render: renderModels, when: () => hasModelFeatures() },
    { id: "coverage", label: "Coverage", render: renderCoverage },
  ];

  function renderTabs() {
    const nav = $("tabs");
    const views = VIEWS.filter((view) => !view.when || view.when());
    nav.replaceChildren(
      ...views.map((view) =>
        h("button", {
          role: "tab",
          id: "tab-" + view.id,
          type: "button",
          "aria-selected": String(view.id === app.view),
          "aria-controls": "main",
          tabindex: view.id === app.view ? "0" : "-1",
          text: view.label,
          onclick: () => show(view.id),
          onkeydown: (event) => {
            const index = views.indexOf(view);
            let next = null;
            if (event.key === "ArrowRight") next = views[(index + 1) % views.length];
            if (event.key === "ArrowLeft") next = views[(index - 1 + views.length) % views.length];
            if (event.key === "Home") next = views[0];
            if (event.key === "End") next = views[views.length - 1];
            if (next) {
              event.preventDefault();
              show(next.id);
              $("tab-" + next.id).focus();
            }
          },
        }),
      ),
    );
  }

  function show(view) {
    if (!VIEWS.some((v) => v.id === view && (!v.when || v.when()))) view = "requests";
    app.view = view;
    saveHash();
    renderTabs();
    const main = $("main");
    main.replaceChildren();
    main.dataset.view = view;
    VIEWS.find((v) => v.id === view).render(main);
  }

  // -- requests ------------------------------------------------------------------------------

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

  function renderRequests(main) {
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

  function fillJournal() {
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
  function addRows(entries) {
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
  async function loadNewest() {
    const answer = await call("GET", `${ADMIN}/requests?limit=${PAGE_ROWS}&summary=true`);
    if (!answer.ok) return false;
    setEntries(answer.data.requests, answer.data.requests.length < PAGE_ROWS);
    return true;
  }

  async function loadOlder() {
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

  async function reloadJournal() {
    const loaded = await loadNewest();
    if (loaded && !app.complete) await loadOlder();
    return loaded;
  }

  // -- polling -------------------------------------------------------------------------------

  async function poll() {
    if (document.hidden) return;
    const answer = await call("GET", `${ADMIN}/requests?after=${app.last}&summary=true`);
    if (!answer.ok) {
      setLive(false, answer.status === 401 ? "needs the admin token" : `journal: ${answer.status}`);
      return;
    }
    setLive(true, "live");
    const fresh = answer.data.requests;
    if (!fresh.length) return;
    app.last = fresh[fresh.length - 1].sequence;
    for (const entry of fresh) if (entry.account) app.accounts.add(entry.account);
    app.entries.push(...fresh);
    if (app.view === "requests") addRows(fresh);
    const writes = fresh.some((e) => e.method !== "GET" && e.method !== "HEAD");
    if (app.view === "faults") refreshFaults();
    // Re-rendered in place: records left open stay open.
    else if (writes && app.view === "state") renderState($("main"));
    else if (writes && app.view === "models") refreshModels();
  }

  function schedule() {
    if (app.polling) return;
    app.polling = true;
    const tick = async () => {
      try {
        await poll();
      } catch (error) {
        // the server went away; try again next time
      }
      setTimeout(tick, POLL_MS);
    };
    setTimeout(tick, POLL_MS);
  }

  // -- state ---------------------------------------------------------------------------------

  async function loadResources() {
    if (app.resources) return app.resources;
    const answer = await call("GET", `${ADMIN}/resources`);
    app.resources = answer.ok ? answer.data.resources : [];
    return app.resources;
  }

  function nounOf(kind) {
    const resource = (app.resources || []).find((r) => r.kind === kind);
    return resource ? resource.noun : kind;
  }

  function recordLabel(record) {
    const name = record && typeof record === "object" && typeof record.name === "string" ? record.name : null;
    return name === null ? String(record.id) : `${record.id} · ${name}`;
  }

  async function renderState(main) {
    const [resources, answer] = await Promise.all([loadResources(), call("GET", `${ADMIN}/state`)]);
    if (app.view !== "state" || main.dataset.view !== "state") return;
    if (!answer.ok) {
      main.replaceChildren(h("p", { class: "err", text: `GET /_fake/state answered ${answer.status}` }));
      return;
    }
    const state = answer.data;
    const opened = new Set([...main.querySelectorAll("details.record[open]")].map((d) => d.id));
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
      h("p", { class: "err", text: `The fake refused ${file.name} (${answer.status}); nothing changed.` }),
      Array.isArray(detail)
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

  // -- faults and rate limit -----------------------------------------------------------------

  function describeFault(rule) {
    const parts = [];
    if (rule.status !== null && rule.status !== undefined) parts.push(`status ${rule.status}`);
    if (rule.connection) parts.push(`connection ${rule.connection}`);
    if (rule.cut) parts.push(`cut (${rule.cut}) after ${rule.after} chunks`);
    if (rule.latency) parts.push(`latency ${rule.latency} s`);
    if (rule.retry_after_ms !== null && rule.retry_after_ms !== undefined) parts.push(`retry-after-ms ${rule.retry_after_ms}`);
    return parts.join(", ");
  }

  async function renderFaults(main) {
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

  async function refreshFaults() {
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

  // -- coverage ------------------------------------------------------------------------------

  async function renderCoverage(main) {
    const answer = await call("GET", `${ADMIN}/coverage`);
    if (main.dataset.view !== "coverage") return;
    if (answer.status === 404) {
      main.replaceChildren(
        h("h2", { text: "Coverage is off" }),
        h("p", { id: "coverage-off", text: "This fake does not record contract coverage. sgp-fake serve records it; from Python, SGPFake(coverage=True)." }),
      );
      return;
    }
    if (!answer.ok) {
      main.replaceChildren(h("p", { class: "err", text: `GET /_fake/coverage answered ${answer.status}` }));
      return;
    }
    const report = answer.data;
    const content = [
      h(
        "div",
        { class: "toolbar" },
        h("span", { text: `${report.requests} requests observed. Highlighted: never exercised.` }),
        h("button", {
          type: "button",
          class: "danger",
          text: "Clear coverage…",
          onclick: async () => {
            const path = `${ADMIN}/coverage`;
            if (!(await confirmAction("Clear the coverage?", "Everything recorded so far is forgotten.", curlLine("DELETE", path)))) return;
            const result = await act("DELETE", path);
            if (result.ok) show("coverage");
          },
        }),
      ),
    ];
    for (const [name, op] of Object.entries(report.operations)) {
      const rows = [];
      const row = (what, value, seen, note) =>
        rows.push(h("tr", null, h("td", { text: what }), h("td", { class: "mono", text: value }), h("td", { class: seen ? "seen" : "never", text: seen ? note || "exercised" : "never" })));
      for (const [status, count] of Object.entries(op.status_codes)) row("status", status, true, `${count} answer${count === 1 ? "" : "s"}`);
      for (const status of op.documented_status_codes_never_seen) row("status", status, false);
      for (const path of op.request_fields.sent) row("field", path, true, "sent");
      for (const path of op.request_fields.never_sent) row("field", path, false);
      for (const [path, values] of Object.entries(op.enum_values)) {
        for (const value of values.used) row("enum " + path, value, true, "used");
        for (const value of values.unused) row("enum " + path, value, false);
      }
      for (const path of op.unknown_fields_sent) rows.push(h("tr", null, h("td", { text: "unknown field" }), h("td", { class: "mono", text: path }), h("td", { text: "sent, not in the contract" })));
      for (const [type, count] of Object.entries(op.validation_errors)) rows.push(h("tr", null, h("td", { text: "422 error" }), h("td", { class: "mono", text: type }), h("td", { text: `${count}` })));
      const never = rows.filter((r) => r.querySelector(".never")).length;
      content.push(
        h(
          "section",
          { class: "card", "data-operation": name },
          h("h3", null, h("span", { class: "mono", text: name }), " ", h("span", { class: "muted", text: `${op.method} ${op.path} · ${op.calls} call${op.calls === 1 ? "" : "s"} · ${never} never exercised` })),
          h("table", null, h("thead", null, h("tr", null, ["What", "Value", "Exercised"].map((t) => h("th", { scope: "col", text: t })))), h("tbody", null, rows)),
        ),
      );
    }
    const unmatched = Object.entries(report.unmatched);
    if (unmatched.length) {
      content.push(h("h3", { text: "Requests to no operation" }), h("ul", null, unmatched.map(([what, n]) => h("li", { class: "mono", text: `${what}: ${n}` }))));
    }
    content.push(h("details", null, h("summary", { text: "curl" }), h("pre", { text: curlLine("GET", `${ADMIN}/coverage`) })));
    main.replaceChildren(...content);
  }

  // -- models at work: shown when the fake documents the routes it uses ---------------------

  const USAGE_CHUNKS = 12;

  function resolve(schema) {
    let node = schema;
    for (let i = 0; node && node.$ref && i < 10; i++) {
      node = node.$ref.split("/").slice(1).reduce((at, key) => (at ? at[key] : undefined), app.openapi);
    }
    return node || {};
  }

  function enumOf(schema) {
    const node = resolve(schema);
    if (Array.isArray(node.enum)) return node.enum;
    if (node.const !== undefined) return [node.const];
    for (const branch of node.anyOf || node.oneOf || []) {
      const values = enumOf(branch);
      if (values.length) return values;
    }
    return [];
  }

  function detectFeatures(openapi) {
    app.openapi = openapi;
    const paths = (openapi && openapi.paths) || {};
    const has = (path, method) => Boolean(paths[path] && paths[path][method]);
    const features = { clock: false, status: null, responses: null, usage: [] };
    features.clock = has(`${ADMIN}/clock`, "post");
    const force = paths[`${ADMIN}/status`] && paths[`${ADMIN}/status`].post;
    if (force) {
      const content = force.requestBody && force.requestBody.content && force.requestBody.content["application/json"];
      const props = resolve(content && content.schema).properties || {};
      features.status = { kinds: enumOf(props.kind), statuses: enumOf(props.status) };
    }
    if (has(`${ADMIN}/responses`, "get")) {
      const item = new RegExp(`^${ADMIN}/responses/\\{[^}/]+\\}$`);
      const one = Object.keys(paths).find((p) => item.test(p) && paths[p].delete);
      features.responses = { add: has(`${ADMIN}/responses`, "post"), clear: has(`${ADMIN}/responses`, "delete"), remove: one || null };
    }
    for (const [path, item] of Object.entries(paths)) {
      const match = /^(.*)\/\{([^}]+)\}\/usage-statistics$/.exec(path);
      if (match && item.get) features.usage.push({ path, collection: match[1], param: match[2] });
    }
    app.features = features;
  }

  function hasModelFeatures() {
    const f = app.features;
    return Boolean(f.clock || f.status || f.responses || f.usage.length);
  }

  // What a usage route is about: a kind of record, and the field of a record its path takes.
  // A parameter named as a reference field names that field's kind (model_deployment_id: a
  // deployment); otherwise the route hangs under the kind's collection (/v4/gizmos/{gizmo_id}).
  // A *_name parameter takes the record's name (the real service sums usage by model name),
  // an *_id one its id; a route whose parameter is neither is not offered.
  function usageSubject(usage, resources) {
    const field = /(^|_)name$/.test(usage.param) ? "name" : /(^|_)id$/.test(usage.param) ? "id" : null;
    if (field === null) return null;
    const referenced = resources.map((r) => (r.references || {})[usage.param]).find(Boolean);
    const resource = resources.find((r) => r.kind === referenced) || resources.find((r) => r.collection === usage.collection);
    return resource ? { resource, field } : null;
  }

  async function renderModels(main) {
    const f = app.features;
    const resources = await loadResources();
    if (main.dataset.view !== "models") return;
    const content = [];
    const reads = [];
    if (f.clock) {
      const seconds = h("input", { type: "number", min: "0", step: "any", value: "60", size: 6, "aria-label": "Seconds" });
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
              const answer = await act("POST", `${ADMIN}/clock`, { advance: Number(seconds.value) });
              if (answer.ok) await refreshModels();
            },
          },
          h("label", null, "Advance by (seconds)", seconds),
          h("button", { type: "submit", text: "Advance the clock" }),
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
  async function refreshModels() {
    const f = app.features;
    const mine = ++app.modelsRefresh;
    const [clock, state, scripts] = await Promise.all([
      f.clock ? call("GET", `${ADMIN}/clock`) : null,
      f.status ? call("GET", `${ADMIN}/state`) : null,
      f.responses ? call("GET", `${ADMIN}/responses`) : null,
    ]);
    if (mine !== app.modelsRefresh || app.view !== "models") return;
    const now = $("clock-now");
    if (clock && now) {
      now.textContent = clock.ok
        ? `The fake's time: ${new Date(clock.data.now * 1000).toISOString()} (moved ${clock.data.offset} s in all).`
        : `GET /_fake/clock answered ${clock.status}`;
    }
    if (state) fillStatuses(state);
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
        redraw(box, `error ${answer.status}`, () => [h("p", { class: "err", text: `GET /_fake/state answered ${answer.status}` })]);
        continue;
      }
      const records = answer.data[kind] || [];
      const signature = JSON.stringify(records.map((r) => [r.id, r.name, r.account_id, r.status]));
      redraw(box, signature, () => statusTable(kind, records));
    }
  }

  function statusTable(kind, records) {
    if (!records.length) return [h("p", { class: "muted", text: "None." })];
    const statuses = app.features.status.statuses;
    return [
      h("table", { "data-kind": kind }, h("thead", null, h("tr", null, ["Id", "Name", "Account", "Status", "Force"].map((t) => h("th", { scope: "col", text: t })))),
        h("tbody", null, records.map((record) => {
          const choice = h("select", { "aria-label": `Status of ${record.id}` }, statuses.map((s) => h("option", { value: s, text: s, selected: s === record.status })));
          return h("tr", { "data-id": record.id },
            h("td", { class: "mono", text: record.id }),
            h("td", { text: record.name || "" }),
            h("td", { text: record.account_id || "" }),
            h("td", { class: "mono status", text: record.status === undefined ? "" : record.status }),
            h("td", null, choice, " ", h("button", {
              type: "button",
              text: "Force",
              onclick: async () => {
                const answer = await act("POST", `${ADMIN}/status`, { kind, id: record.id, status: choice.value });
                if (answer.ok) await refreshModels();
              },
            })));
        }))),
    ];
  }

  const given = (value) => value !== null && value !== undefined;

  function describeMatch(rule) {
    const parts = [];
    if (given(rule.deployment)) parts.push(`deployment ${rule.deployment}`);
    if (given(rule.model)) parts.push(`model ${rule.model}`);
    if (given(rule.account_id) && rule.account_id !== "*") parts.push(`account ${rule.account_id}`);
    if (given(rule.prompt)) parts.push(`prompt contains ${JSON.stringify(rule.prompt)}`);
    if (given(rule.prompt_regex)) parts.push(`prompt matches /${rule.prompt_regex}/`);
    return parts.length ? parts.join(", ") : "every call";
  }

  function describeContent(rule) {
    const parts = [];
    if (given(rule.text)) parts.push(`text ${JSON.stringify(rule.text)}`);
    if (given(rule.texts)) parts.push(`texts ${JSON.stringify(rule.texts)}`);
    if (given(rule.embedding)) parts.push(`an embedding of ${rule.embedding.length}`);
    if (given(rule.dimensions)) parts.push(`${rule.dimensions} dimensions`);
    if (given(rule.scores)) parts.push(`scores ${JSON.stringify(rule.scores)}`);
    if (given(rule.execute)) parts.push(`execute ${JSON.stringify(rule.execute)}`);
    return parts.join(", ");
  }

  function fillResponses(answer) {
    const list = $("response-list");
    if (!answer.ok) {
      redraw(list, `error ${answer.status}`, () => [h("p", { class: "err", text: `GET /_fake/responses answered ${answer.status}` })]);
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
              h("td", { class: "answered" }, seqs.length ? null : h("span", { class: "muted", text: "none yet" }),
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
    if (answer.ok) await refreshModels();
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
      field("text", "Text", h("input", { name: "text", class: "wide" })),
      field("texts", "Texts, one per call (JSON list)", h("input", { name: "texts", placeholder: '["first", "second"]', class: "wide" })),
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
    for (const name of ["texts", "embedding", "scores", "execute"]) {
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
    if (!Array.isArray(detail)) $("response-error").textContent = `answered ${answer.status}`;
  }

  function usageSection(usage, subject) {
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
      box.replaceChildren(h("p", { class: "err", text: `GET /_fake/state answered ${state.status}` }));
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
      const detail = answer.data && typeof answer.data === "object" && typeof answer.data.detail === "string" ? `: ${answer.data.detail}` : "";
      box.append(h(
        "div",
        { class: "usage-chart", "data-subject": one.value },
        h("h4", { class: "mono", text: one.label }),
        answer.ok ? chart(answer.data) : h("p", { class: "err", text: `answered ${answer.status}${detail}` }),
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

  const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

  async function start() {
    renderTabs();
    const loaded = await loadNewest();
    if (!loaded) {
      setLive(false, "cannot read the journal");
      return;
    }
    setLive(true, "live");
    show(app.view);
    if (!app.firstRender) {
      app.firstRender = true;
      await nextPaint(); // what a person sees
      performance.mark("sgp-fake-first-render");
      app.shown = PAGE_ROWS;
      if (app.view === "requests") fillJournal();
    }
    schedule();
    if (!app.complete) await loadOlder();
    document.body.dataset.ready = "true";
    // Feature detection after the first render: the document is large, and only the models
    // view needs it.
    // The fake's /openapi.json, as the admin routes serve it: not journaled, no fault rule.
    const openapi = await call("GET", `${ADMIN}/ui/openapi.json`);
    if (openapi.ok) {
      detectFeatures(openapi.data);
      renderTabs();
      if (app.requested === "models" && hasModelFeatures()) show("models");
    }
  }

  window.addEventListener("hashchange", () => {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.get("token") && params.get("token") !== app.token) {
      app.token = params.get("token");
      start();
    }
  });

  start();
})();
