// Building the page and formatting values. Values from the fake are attacker-controlled
// (request bodies): every node is built from text nodes and attributes, never from markup.
// Imports nothing: every other module builds on it.

export const ARROW = "  ← "; // before an error, next to what it points at
const MASKED_HEADERS = new Set(["x-api-key", "authorization", "proxy-authorization", "api-key"]);

export function h(tag, props, ...children) {
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

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child)); // strings become text nodes
  }
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

export const $ = (id) => document.getElementById(id);

// -- formatting ------------------------------------------------------------------------------

export function mask(name, value) {
  if (!MASKED_HEADERS.has(name.toLowerCase())) return value;
  const text = String(value);
  const space = text.indexOf(" ");
  const scheme = name.toLowerCase().endsWith("authorization") && space > 0;
  const prefix = scheme ? text.slice(0, space + 1) : "";
  const secret = scheme ? text.slice(space + 1) : text;
  const tail = secret.length > 8 ? secret.slice(-4) : "";
  return prefix + "••••" + tail;
}

export function statusClass(status) {
  return status === null ? "snone" : "s" + String(status)[0];
}

// By hand: toLocaleTimeString costs about as much as the rest of a row.
const pad = (n, width) => String(n).padStart(width, "0");
export function time(seconds) {
  const d = new Date(seconds * 1000);
  return `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`;
}

export function ms(seconds) {
  return (seconds * 1000).toFixed(1);
}

export function target(entry) {
  return entry.query ? entry.path + "?" + entry.query : entry.path;
}

export function recordLabel(record) {
  const name = record && typeof record === "object" && typeof record.name === "string" ? record.name : null;
  return name === null ? String(record.id) : `${record.id} · ${name}`;
}

// A JSON value as indented text, with each 422 error next to the value it points at.
// notes maps a path (JSON of its keys) to [{missing: key or null, text}].
export function jsonView(value, notes) {
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
export function bodyNotes(body, errors) {
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

export function headersTable(headers) {
  const names = Object.keys(headers || {});
  if (!names.length) return h("p", { class: "muted", text: "no headers" });
  return h(
    "table",
    { class: "headers" },
    h("tbody", null, names.map((name) => h("tr", null, h("th", { text: name }), h("td", { class: "mono", text: mask(name, headers[name]) })))),
  );
}
