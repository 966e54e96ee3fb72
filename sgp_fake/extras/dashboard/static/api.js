// The admin-API client: every call the page makes, the curl line of each action, the
// confirmation an action that removes something asks for, and the fake's resources.
import { $, h } from "./dom.js";
import { ADMIN, app, saveHash, setLive } from "./page.js";

const NO_ANSWER = "the fake does not answer";

function shellQuote(text) {
  return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

// An SGP call (options.apiKey given, even empty) carries the key typed on the page and never
// the admin token: the fake would take that Bearer token as an API key, and journal it.
function sgpCall(options) {
  return Boolean(options) && options.apiKey !== undefined && options.apiKey !== null;
}

export function curlLine(method, path, body, options) {
  const parts = ["curl"];
  if (method !== "GET") parts.push("-X", method);
  // Secrets stay out of the line: the shell fills them in.
  if (sgpCall(options)) {
    if (options.apiKey) parts.push("-H", '"x-api-key: $SGP_API_KEY"');
  } else if (app.token) parts.push("-H", '"Authorization: Bearer $SGP_FAKE_ADMIN_TOKEN"');
  if (options && options.file) parts.push("--data-binary", "@" + options.file);
  else if (body !== undefined) parts.push("-d", shellQuote(JSON.stringify(body)));
  parts.push(shellQuote(location.origin + path));
  return parts.join(" ");
}

export async function call(method, path, body, options) {
  const headers = {};
  if (sgpCall(options)) {
    if (options.apiKey) headers["x-api-key"] = options.apiKey;
  } else if (app.token) headers.Authorization = "Bearer " + app.token;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = options && options.raw !== undefined ? options.raw : JSON.stringify(body);
  }
  let response;
  let text;
  try {
    response = await fetch(path, init);
    text = await response.text();
  } catch (error) {
    // Gone (stopped, restarting) or cut mid-answer: an answer of its own, which every view
    // shows as it shows a refusal, rather than an exception no one sees.
    setLive(false, "the fake does not answer");
    return { status: 0, ok: false, unreachable: true, data: { detail: NO_ANSWER } };
  }
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (error) {
    // not JSON: keep the text
  }
  if (response.status === 401 && path.startsWith(ADMIN)) askForToken(data);
  return { status: response.status, ok: response.ok, data };
}

// What became of a call that did not succeed, after what was called: "answered 404", or
// that nothing answered.
export function failed(answer) {
  return answer.unreachable ? `got no answer: ${NO_ANSWER}` : `answered ${answer.status}`;
}

// What the fake said when it refused a call, in a line.
export function refusal(answer) {
  const detail = answer.data && typeof answer.data === "object" ? answer.data.detail : null;
  if (Array.isArray(detail)) return detail.map((e) => String(e && e.msg)).join("; ");
  if (typeof detail === "string") return detail;
  return failed(answer);
}

// An action: one admin call, shown with its curl line, and with the fake's refusal under it
// when it refuses (a rule another client removed first, say), so that no click fails silently.
export async function act(method, path, body, options) {
  const box = $("lastcall");
  const line = curlLine(method, path, body, options);
  box.textContent = line;
  box.classList.remove("refused");
  const answer = await call(method, path, body, options);
  // 401 asks for the token instead.
  if (!answer.ok && answer.status !== 401) {
    box.textContent = answer.unreachable
      ? `${line}\n# not done: ${NO_ANSWER}`
      : `${line}\n# the fake refused it (${answer.status}): ${refusal(answer)}`;
    box.classList.add("refused");
  }
  return answer;
}

export function confirmAction(title, text, curl) {
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

// Handed in by app.js (its start()): importing app.js here would make a cycle.
let restart = () => {};

export function onToken(start) {
  restart = start;
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
          restart();
        },
      },
      input,
      h("button", { type: "submit", text: "Use token" }),
    ),
  );
  banner.hidden = false;
}

// -- the fake's resources (GET /_fake/resources), read once -----------------------------------

export async function loadResources() {
  if (app.resources) return app.resources;
  const answer = await call("GET", `${ADMIN}/resources`);
  // Kept only when read: a fake that did not answer is asked again next time.
  if (!answer.ok) return [];
  app.resources = answer.data.resources;
  return app.resources;
}

export function nounOf(kind) {
  const resource = (app.resources || []).find((r) => r.kind === kind);
  return resource ? resource.noun : kind;
}

// -- the fake's OpenAPI document (/_fake/ui/openapi.json), read once --------------------------

// The fake's /openapi.json as the admin routes serve it: not journaled, no fault rule. It is
// large: the page reads it after its first render, or when a view needs it first. An answer
// that is not the document is not kept: the next call asks again.
let openapiAnswer = null;

export function loadOpenapi() {
  if (!openapiAnswer) {
    openapiAnswer = call("GET", `${ADMIN}/ui/openapi.json`).then((answer) => {
      if (answer.ok) app.openapi = answer.data;
      else openapiAnswer = null;
      return answer;
    });
  }
  return openapiAnswer;
}
