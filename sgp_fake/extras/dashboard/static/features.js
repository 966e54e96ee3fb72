// What the fake offers beyond the admin core, found in its OpenAPI document rather than in
// resource names: the clock, forcing a status, scripted answers, usage routes, and the kinds of
// the state document that count model calls (records with a model and its tokens); and what a
// route's body allows, for the forms that send one.
import { ADMIN, app } from "./page.js";

function resolve(schema) {
  let node = schema;
  for (let i = 0; node && node.$ref && i < 10; i++) {
    node = node.$ref.split("/").slice(1).reduce((at, key) => (at ? at[key] : undefined), app.openapi);
  }
  return node || {};
}

// The values a field's schema allows (its enum, or the enum of a branch of anyOf or oneOf,
// as an Optional field's is); [] when it names none.
export function enumOf(schema) {
  const node = resolve(schema);
  if (Array.isArray(node.enum)) return node.enum;
  if (node.const !== undefined) return [node.const];
  for (const branch of node.anyOf || node.oneOf || []) {
    const values = enumOf(branch);
    if (values.length) return values;
  }
  return [];
}

// A numeric field's bounds, { min, max } (either may be missing), as enumOf finds its values.
export function boundsOf(schema) {
  const node = resolve(schema);
  if (node.minimum !== undefined || node.maximum !== undefined) return { min: node.minimum, max: node.maximum };
  for (const branch of node.anyOf || node.oneOf || []) {
    const bounds = boundsOf(branch);
    if (bounds.min !== undefined || bounds.max !== undefined) return bounds;
  }
  return {};
}

// The fields of the JSON body a route takes (name -> schema), as the fake's OpenAPI document
// describes them; {} before the document is read, or for a route it does not describe.
export function bodyFields(path, method) {
  const paths = (app.openapi && app.openapi.paths) || {};
  const operation = paths[path] && paths[path][method];
  const content = operation && operation.requestBody && operation.requestBody.content && operation.requestBody.content["application/json"];
  return resolve(content && content.schema).properties || {};
}

export function detectFeatures(openapi) {
  app.openapi = openapi;
  const paths = (openapi && openapi.paths) || {};
  const has = (path, method) => Boolean(paths[path] && paths[path][method]);
  const features = { clock: false, status: null, responses: null, usage: [], calls: [] };
  features.clock = has(`${ADMIN}/clock`, "post");
  const force = paths[`${ADMIN}/status`] && paths[`${ADMIN}/status`].post;
  if (force) {
    const content = force.requestBody && force.requestBody.content && force.requestBody.content["application/json"];
    // One variant per kind (oneOf, discriminated by kind), each with its own statuses; a
    // single object when only one kind has a status.
    const body = resolve(content && content.schema);
    const statuses = {}; // kind -> the statuses it may be forced to
    for (const variant of (body.oneOf || body.anyOf || [body]).map(resolve)) {
      const props = variant.properties || {};
      for (const kind of enumOf(props.kind)) statuses[kind] = enumOf(props.status);
    }
    features.status = { kinds: Object.keys(statuses), statuses };
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
  features.calls = callKinds(paths);
  app.features = features;
}

// The kinds of GET /_fake/state whose records are model calls: a "model" (vendor/name) and
// its prompt and completion tokens, one record per answered call.
function callKinds(paths) {
  const get = paths[`${ADMIN}/state`] && paths[`${ADMIN}/state`].get;
  const ok = get && get.responses && get.responses["200"];
  const content = ok && ok.content && ok.content["application/json"];
  const props = resolve(content && content.schema).properties || {};
  return Object.keys(props).filter((kind) => {
    const item = resolve(resolve(props[kind]).items).properties || {};
    return Boolean(item.model && item.prompt_tokens && item.completion_tokens);
  });
}

export function hasModelFeatures() {
  const f = app.features;
  return Boolean(f.clock || f.status || f.responses || f.usage.length || f.calls.length);
}
