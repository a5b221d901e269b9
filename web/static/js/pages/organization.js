// Settings > Organization: the name and default role, then the SCIM integration, pausing
// provisioning, mass-deactivation protection and the setup checklists of Okta and Microsoft
// Entra ID (js/pages/scim.js), then single sign-on and its Okta checklist, for super admins
// (js/pages/sso.js).

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren } from "../dom.js";
import { pageHeader, section, loading, failure, toast } from "../ui.js";
import { renderScim } from "./scim.js";
import { renderSso } from "./sso.js";

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
    pageHeader("Organization", "Your organization's name, the role users get when no other gives them one, and the connection to your identity provider (Okta or Microsoft Entra ID)."),
    body,
  );
  const settings = h("div", {}, loading());
  const scim = renderScim(context);
  const sso = context.can("SSO_MANAGE") ? renderSso(context) : null;
  body.append(settings, scim.element);
  if (sso) body.append(sso.element);
  await Promise.all([renderSettings(settings, context), scim.ready, sso?.ready]);
  return scim.cleanup;
}

async function renderSettings(container, context) {
  const retry = () => renderSettings(container, context);
  let loaded;
  try {
    loaded = await loadSettings();
  } catch (error) {
    replaceChildren(container, section({ title: "Organization settings" }, failure(error, retry)));
    return;
  }
  const form = settingsForm(loaded.organization, loaded.roles, context.can("ORGANIZATION_MANAGE"));
  form.element.addEventListener("submit", (event) => {
    event.preventDefault();
    saveSettings(form, context);
  });
  replaceChildren(container, section({ title: "Organization settings" }, form.element));
}

/** The organization, and the roles to choose the default from (null without ROLES_READ). */
async function loadSettings() {
  const [org, roleList] = await Promise.allSettled([gql(ORGANIZATION), gql(ROLE_CHOICES)]);
  if (org.status === "rejected") throw org.reason;
  return { organization: org.value.organization, roles: roleList.status === "fulfilled" ? roleList.value.roles : null };
}

function settingsForm(organization, roles, editable) {
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
    hint: "Users to whom neither the identity provider nor a group gives a role, and who have none set by hand, get this role; they show as \u201cDefault (no role given)\u201d on the Users page.",
  });
  const problem = errorArea();
  const save = h("button", { type: "submit", class: "btn btn-primary" }, "Save");
  const element = h(
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
  return { element, name, defaultRole, problem, save, editable, organization };
}

/** What the form changes of the organization ({} when nothing). */
function changedSettings(form) {
  const input = {};
  if (form.name.control.value.trim() !== form.organization.name) input.name = form.name.control.value.trim();
  if (form.defaultRole.control.value !== form.organization.defaultRole.key) input.defaultRole = form.defaultRole.control.value;
  return input;
}

async function saveSettings(form, context) {
  const { name, defaultRole, problem, save } = form;
  if (!form.editable) return;
  name.setError(null);
  defaultRole.setError(null);
  problem.show(null);
  if (!name.control.value.trim()) {
    name.setError("Enter the organization's name.");
    name.control.focus();
    return;
  }
  const input = changedSettings(form);
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
    form.organization = saved;
    name.control.value = saved.name;
    defaultRole.control.value = saved.defaultRole.key;
    context.setOrganizationName(saved.name);
    toast(`Saved: ${saved.name}, default role ${saved.defaultRole.name}.`);
  } catch (error) {
    problem.show(describeError(error));
  } finally {
    save.disabled = false;
  }
}
