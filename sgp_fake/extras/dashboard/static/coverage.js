// The coverage view: the report as a table per operation, never exercised highlighted.
import { h } from "./dom.js";
import { ADMIN, show } from "./page.js";
import { act, call, confirmAction, curlLine, failed } from "./api.js";

export async function renderCoverage(main) {
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
    main.replaceChildren(h("p", { class: "err", text: `GET /_fake/coverage ${failed(answer)}` }));
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
