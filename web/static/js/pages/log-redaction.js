// What the provisioning log never keeps: passwords always, the attributes the installation
// names, and those the organization's admin names here. Before a request is stored, their
// values are replaced with "[redacted]" wherever they appear; a change holds for the requests
// logged from then on.
//
// renderLogRedaction() builds the section and loads it; it is drawn again after each save.

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren } from "../dom.js";
import { section, loading, failure, toast } from "../ui.js";

const REDACTION_FIELDS = `requestLogRedaction { always installation organization }`;
const STATE = `query LogRedaction { organization { ${REDACTION_FIELDS} } }`;
const SET_REDACTION = `
  mutation SetRequestLogRedaction($attributes: [String!]!) {
    setRequestLogRedaction(attributes: $attributes) {
      ${ERROR_FIELDS}
      ... on OrganizationPayload { organization { ${REDACTION_FIELDS} } }
    }
  }
`;

export function renderLogRedaction(context) {
  const panel = {
    manage: context.can("PROVISIONING_MANAGE"),
    body: h("div", {}, loading()),
    redaction: null,
  };
  panel.form = panel.manage ? redactionForm() : null;
  if (panel.form) panel.form.element.addEventListener("submit", (event) => save(panel, event));
  load(panel);
  return section(
    {
      title: "What this log never keeps",
      id: "log-redaction",
      intro:
        "Before a request is stored, the values of these SCIM attributes are replaced with [redacted], wherever they appear: a resource's keys, a PATCH operation's path, a filter. They cannot be recovered from the log.",
    },
    panel.body,
  );
}

async function load(panel) {
  try {
    panel.redaction = (await gql(STATE)).organization.requestLogRedaction;
  } catch (error) {
    replaceChildren(panel.body, failure(error, () => load(panel)));
    return;
  }
  draw(panel);
}

function draw(panel) {
  const { always, installation, organization } = panel.redaction;
  const names = (list, none) => (list.length ? list.map((name, index) => [index ? ", " : null, h("code", {}, name)]) : h("span", { class: "muted" }, none));
  if (panel.form) panel.form.fill(organization);
  replaceChildren(
    panel.body,
    h(
      "dl",
      { class: "redaction-list" },
      h("dt", {}, "Always"),
      h("dd", {}, names(always, "")),
      h("dt", {}, "Named by your installation"),
      h("dd", {}, names(installation, "None"), h("span", { class: "muted small" }, " (its operator's setting, ROSTER_REQUEST_LOG_REDACT)")),
      h("dt", {}, "Named by your organization"),
      h("dd", { id: "organization-redaction" }, names(organization, "None")),
    ),
    panel.form ? panel.form.element : h("p", { class: "muted small" }, "Only super admins can change what the log keeps out."),
  );
}

function redactionForm() {
  const attributes = field({
    label: "Attributes your organization keeps out",
    control: h("textarea", { class: "input", name: "attributes", rows: "3", spellcheck: "false", autocomplete: "off" }),
    hint: "SCIM attribute names, one per line or comma-separated: phoneNumbers, title, or an extension's full name (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber). A sub-attribute (name.givenName) keeps its whole attribute out. Requests already logged stay as they were.",
  });
  const problem = errorArea();
  const saveButton = h("button", { type: "submit", class: "btn btn-primary" }, "Save");
  const element = h("form", { class: "redaction-form", novalidate: true, "aria-label": "Attributes the provisioning log keeps out" }, attributes.element, problem.element, h("div", { class: "actions" }, saveButton));
  return {
    element,
    attributes,
    problem,
    saveButton,
    fill(names) {
      attributes.control.value = names.join("\n");
      attributes.setError(null);
      problem.show(null);
    },
  };
}

async function save(panel, event) {
  event.preventDefault();
  const { form } = panel;
  form.attributes.setError(null);
  form.problem.show(null);
  const names = form.attributes.control.value
    .split(/[\n,]/)
    .map((name) => name.trim())
    .filter(Boolean);
  form.saveButton.disabled = true;
  form.saveButton.setAttribute("aria-busy", "true");
  try {
    const result = await mutate(SET_REDACTION, { attributes: names }, "setRequestLogRedaction");
    if (result.error) {
      if (result.error.field === "attributes") {
        form.attributes.setError(result.error.message);
        form.attributes.control.focus();
      } else {
        form.problem.show(result.error.message);
      }
      return;
    }
    panel.redaction = result.ok.organization.requestLogRedaction;
    draw(panel);
    const kept = panel.redaction.organization;
    toast(kept.length ? `From now on the log keeps no value of ${kept.join(", ")}, besides what is always kept out.` : "Your organization keeps no attribute out of the log now; passwords and the installation's still are.");
  } catch (error) {
    form.problem.show(describeError(error));
  } finally {
    form.saveButton.disabled = false;
    form.saveButton.removeAttribute("aria-busy");
  }
}
