// Settings > Organization: the name and default role, then the SCIM integration and Okta's
// setup checklist (js/pages/scim.js).

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren } from "../dom.js";
import { pageHeader, section, loading, failure, toast } from "../ui.js";
import { renderScim } from "./scim.js";

const ORGANIZATION = `query Organization { organization { name slug defaultRole { key name } } }`;
const ROLE_CHOICES = `query RoleChoices { roles { key name builtIn } }`;
const UPDATE = `
  mutation UpdateOrganization($input: OrganizationInput!) {
    updateOrganization(input: $input) {
      ${ERROR_FIELDS}
      ... on OrganizationPayload { organization { name slug defaultRole { key name } } }
    }
  }
`;

export async function render(container, context) {
  const body = h("div", { class: "stack" });
  replaceChildren(
    container,
    pageHeader("Organization", "Your organization's name, the role users get when Okta sends none, and the connection to Okta."),
    body,
  );
  const settings = h("div", {}, loading());
  const scim = renderScim(context);
  body.append(settings, scim.element);
  await Promise.all([renderSettings(settings, context), scim.ready]);
  return scim.cleanup;
}

async function renderSettings(container, context) {
  const retry = () => renderSettings(container, context);
  let organization;
  let roles = null;
  try {
    const [org, roleList] = await Promise.allSettled([gql(ORGANIZATION), gql(ROLE_CHOICES)]);
    if (org.status === "rejected") throw org.reason;
    organization = org.value.organization;
    if (roleList.status === "fulfilled") roles = roleList.value.roles;
  } catch (error) {
    replaceChildren(container, section({ title: "Organization settings" }, failure(error, retry)));
    return;
  }
  const editable = context.can("ORGANIZATION_MANAGE");
  const name = field({
    label: "Organization name",
    control: h("input", { type: "text", class: "input", name: "name", value: organization.name, maxlength: 200, required: true, disabled: !editable, autocomplete: "organization" }),
  });
  const roleOptions = roles ?? [organization.defaultRole];
  const defaultRole = field({
    label: "Default role",
    control: h(
      "select",
      { class: "input", name: "defaultRole", disabled: !editable, value: organization.defaultRole.key },
      roleOptions.map((role) => h("option", { value: role.key }, role.builtIn === false ? `${role.name} (custom: ${role.key})` : role.name)),
    ),
    hint: "Users that Okta sends without a permissionsRole get this role; they show as \u201cNo role from Okta\u201d on the Users page.",
  });
  const problem = errorArea();
  const save = h("button", { type: "submit", class: "btn btn-primary" }, "Save");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("div", { class: "form-grid" }, name.element, defaultRole.element),
    h(
      "p",
      { class: "muted small" },
      "Organization ID (slug): ",
      h("code", {}, organization.slug),
    ),
    problem.element,
    editable ? h("div", { class: "actions" }, save) : h("p", { class: "muted" }, "Your role can view these settings but not change them."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!editable) return;
    name.setError(null);
    defaultRole.setError(null);
    problem.show(null);
    const newName = name.control.value.trim();
    if (!newName) {
      name.setError("Enter the organization's name.");
      name.control.focus();
      return;
    }
    const input = {};
    if (newName !== organization.name) input.name = newName;
    if (defaultRole.control.value !== organization.defaultRole.key) input.defaultRole = defaultRole.control.value;
    if (!Object.keys(input).length) {
      toast("Nothing to save: no setting changed.", "info");
      return;
    }
    save.disabled = true;
    try {
      const result = await mutate(UPDATE, { input }, "updateOrganization");
      if (result.error) {
        const { field: where, message } = result.error;
        if (where === "name") name.setError(message);
        else if (where === "role" || where === "defaultRole") defaultRole.setError(message);
        else problem.show(message);
        return;
      }
      const saved = result.ok.organization;
      organization = saved;
      name.control.value = saved.name;
      defaultRole.control.value = saved.defaultRole.key;
      context.setOrganizationName(saved.name);
      toast(`Saved: ${saved.name}, default role ${saved.defaultRole.name}.`);
    } catch (error) {
      problem.show(describeError(error));
    } finally {
      save.disabled = false;
    }
  });
  replaceChildren(container, section({ title: "Organization settings" }, form));
}
