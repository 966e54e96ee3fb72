// The sgp-fake dashboard. It holds no state of its own: everything it shows is read from the
// admin API under /_fake, and every change it makes is one admin call, shown as its curl line.
// Values from the fake are attacker-controlled (request bodies): the page builds its DOM with
// text nodes and attributes, never from markup (dom.js).
//
// Plain ES modules, no build step: this one starts the page, names the views (one module
// each) and polls the journal; page.js holds what they share. No module imports this one:
// what needs start() is handed it.
import { ADMIN, PAGE_ROWS, app, defineViews, renderTabs, setLive, show } from "./page.js";
import { call, loadOpenapi, onToken } from "./api.js";
import { addRows, dropForgotten, fillJournal, loadNewest, loadOlder, reloadJournal, renderRequests } from "./requests.js";
import { refreshState, renderState } from "./records.js";
import { refreshFaults, renderFaults } from "./faults.js";
import { refreshModels, renderModels } from "./models.js";
import { renderCoverage } from "./coverage.js";
import { refreshTraces, renderTraces } from "./traces.js";
import { detectFeatures, hasModelFeatures } from "./features.js";

const POLL_MS = 1000;

defineViews([
  { id: "requests", label: "Requests", render: renderRequests },
  { id: "state", label: "State", render: renderState },
  { id: "faults", label: "Faults & rate limit", render: renderFaults },
  { id: "models", label: "Models at work", render: renderModels, when: () => hasModelFeatures() },
  { id: "traces", label: "Traces", render: renderTraces },
  { id: "coverage", label: "Coverage", render: renderCoverage },
]);

// -- polling ---------------------------------------------------------------------------------

// Whether the last poll found the fake gone. When it answers again it may be a new process,
// whose journal numbers its entries from 1 again: the page reads the journal anew.
let lost = false;

async function poll() {
  if (document.hidden) return;
  if (lost) {
    app.last = 0;
    const loaded = await reloadJournal();
    if (loaded.unreachable) return; // still gone
    lost = false;
    if (loaded.ok && app.view !== "requests") show(app.view);
  }
  const answer = await call("GET", `${ADMIN}/requests?after=${app.last}&summary=true`);
  if (answer.unreachable) {
    lost = true;
    return;
  }
  if (!answer.ok) {
    setLive(false, answer.status === 401 ? "needs the admin token" : `journal: ${answer.status}`);
    return;
  }
  setLive(true, "live");
  await dropForgotten();
  const fresh = answer.data.requests;
  if (fresh.length) {
    app.last = fresh[fresh.length - 1].sequence;
    for (const entry of fresh) if (entry.account) app.accounts.add(entry.account);
    app.entries.push(...fresh);
    if (app.view === "requests") addRows(fresh);
  }
  // The fake's clock moves with no request (a PENDING deployment turns READY as it runs);
  // rules, the rate limit, records and spans change by admin calls (another client's reset,
  // upload or status), which the journal does not show: the view shown is read again every
  // time, one read at a time, and redrawn only where what it shows changed.
  if (app.view === "models") once("models", refreshModels);
  if (app.view === "faults") once("faults", refreshFaults);
  if (app.view === "state") once("state", refreshState);
  if (app.view === "traces") once("traces", refreshTraces);
}

const reading = new Map(); // view -> its refresh in flight

function once(view, refresh) {
  if (reading.has(view)) return;
  reading.set(
    view,
    refresh()
      .catch(() => {
        // tried again next time
      })
      .finally(() => reading.delete(view)),
  );
}

function schedule() {
  if (app.polling) return;
  app.polling = true;
  const tick = async () => {
    try {
      await poll();
    } catch (error) {
      lost = true; // the server went away; try again next time
    }
    setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
}

// -- start -----------------------------------------------------------------------------------

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function start() {
  renderTabs();
  const loaded = await loadNewest();
  if (!loaded.ok) {
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
  // view and the faults view's form need it (that view asks for it itself when drawn before
  // this answer: the one document is read once).
  const openapi = await loadOpenapi();
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

onToken(start);
start();
