// The pieces of a setup checklist (SCIM provisioning, single sign-on): numbered steps, each
// with its exact values and their Copy buttons.

import { h } from "./dom.js";
import { badge, copyButton } from "./ui.js";

/** One numbered step; `done` true/false shows "Done"/"To do", null no badge. */
export function step(title, done, ...content) {
  const status = done === null ? null : done ? badge("Done", "success") : badge("To do", "neutral");
  return h(
    "li",
    { class: "step" },
    h("div", { class: "step-header" }, h("h3", {}, title), status),
    content,
  );
}

/** A field and its exact value; `copy` false for a choice to make rather than text to paste. */
export function valueRow(label, value, { copy = true, what = `${label.toLowerCase()} \u201c${value}\u201d`, text = false } = {}) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, label),
    h("td", {}, text ? value : h("code", { class: "value" }, value)),
    h("td", { class: "col-actions" }, copy ? copyButton(value, what, { small: true }) : null),
  );
}

/** The rows of valueRow() under the column headings "<fieldHeading> | Value | Copy". */
export function valuesTable(caption, fieldHeading, rows, className = "") {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: `table values-table ${className}` },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, fieldHeading), h("th", { scope: "col" }, "Value"), h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Copy")))),
      h("tbody", {}, rows),
    ),
  );
}
