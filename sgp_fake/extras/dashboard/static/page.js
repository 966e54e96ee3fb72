// What every view shares: the page's constants, its one state object (read from and written
// to the URL's hash), the live indicator, and which view shows. The views themselves are handed
// in by app.js (defineViews), so that this module imports no view and no view imports app.js.
import { $, h } from "./dom.js";

export const ADMIN = "/_fake";
export const PAGE_ROWS = 100; // rows drawn at once
const FIRST_ROWS = 40; // a screenful: the first paint draws these, the rest of a page follows

const hash = new URLSearchParams(location.hash.slice(1));
export const app = {
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
  features: { clock: false, status: null, responses: null, usage: [], calls: [] },
  resources: null,
  state: null,
  firstRender: false,
  polling: false,
  usageKey: "sgp-fake-dashboard",
  modelsRefresh: 0, // the newest refresh of the models view; older answers are dropped
};

export function saveHash() {
  const params = new URLSearchParams();
  if (app.token) params.set("token", app.token);
  if (app.view !== "requests") params.set("view", app.view);
  const text = params.toString();
  history.replaceState(null, "", text ? "#" + text : location.pathname);
}

export function setLive(ok, text) {
  const live = $("live");
  live.className = "live " + (ok ? "ok" : "bad");
  live.textContent = text;
}

// -- tabs ------------------------------------------------------------------------------------

let views = []; // [{id, label, render(main), when?()}], in the order of the tabs

export function defineViews(list) {
  views = list;
}

export function renderTabs() {
  const nav = $("tabs");
  const shown = views.filter((view) => !view.when || view.when());
  // Redrawn tabs are new buttons: a keyboard user on a tab keeps their place (the tabs are
  // redrawn when features are found, which may land between two key presses).
  const focused = nav.contains(document.activeElement) ? document.activeElement.id : null;
  nav.replaceChildren(
    ...shown.map((view) =>
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
          const index = shown.indexOf(view);
          let next = null;
          if (event.key === "ArrowRight") next = shown[(index + 1) % shown.length];
          if (event.key === "ArrowLeft") next = shown[(index - 1 + shown.length) % shown.length];
          if (event.key === "Home") next = shown[0];
          if (event.key === "End") next = shown[shown.length - 1];
          if (next) {
            event.preventDefault();
            show(next.id);
            $("tab-" + next.id).focus();
          }
        },
      }),
    ),
  );
  if (focused && $(focused)) $(focused).focus();
}

export function show(view) {
  if (!views.some((v) => v.id === view && (!v.when || v.when()))) view = "requests";
  app.view = view;
  saveHash();
  renderTabs();
  const main = $("main");
  main.replaceChildren();
  main.dataset.view = view;
  views.find((v) => v.id === view).render(main);
}
