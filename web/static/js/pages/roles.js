// Roles: the six built-in roles (read-only) and the organization's custom roles.
//
// render() lays out the two sections and loads the roles; each section has its view, and the
// changes (create or edit, delete, delete with a role to move users to) have a flow each.

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren } from "../dom.js";
import { pageHeader, section, loading, failure, toast, copyButton, table, row, badge, openDialog, confirmDialog } from "../ui.js";
import { plural } from "../format.js";

const ROLE_FIELDS = `id key name description builtIn permissionLevel restrictedApps userCount`;
const ROLES = `query Roles { roles { ${ROLE_FIELDS} } }`;
const CREATE = `
  mutation CreateCustomRole($input: CustomRoleInput!) {
    createCustomRole(input: $input) { ${ERROR_FIELDS} ... on CustomRolePayload { role { ${ROLE_FIELDS} } } }
  }
`;
const UPDATE = `
  mutation UpdateCustomRole($id: ID!, $input: CustomRoleUpdateInput!) {
    updateCustomRole(id: $id, input: $input) { ${ERROR_FIELDS} ... on CustomRolePayload { role { ${ROLE_FIELDS} } } }
  }
`;
const DELETE = `
  mutation DeleteCustomRole($id: ID!, $reassignTo: String) {
    deleteCustomRole(id: $id, reassignTo: $reassignTo) { ${ERROR_FIELDS} ... on DeleteCustomRolePayload { deletedRoleId } }
  }
`;

const BUILT_IN_COLUMNS = [
  { label: "Role" },
  { label: "Role string" },
  { label: "Users", className: "col-number" },
];

const COLUMNS = [
  { label: "Role" },
  { label: "ID (role string)" },
  { label: "Permission level" },
  { label: "Restricted apps" },
  { label: "Users", className: "col-number" },
  { label: "Actions", className: "col-actions" },
];

export async function render(container, context) {
  const page = {
    context,
    manage: context.can("ROLES_MANAGE"),
    roles: [],
    builtInList: h("div", {}, loading()),
    customList: h("div", {}, loading()),
    // enabled once the roles are in: its form lists the built-in roles as permission levels
    create: h("button", { type: "button", class: "btn btn-primary", disabled: true, onclick: () => editRole(page, null) }, "New custom role"),
  };

  replaceChildren(
    container,
    pageHeader(
      "Roles",
      "The identity provider gives each user a role: type a built-in role's string, or a custom role's ID, into Okta's permissionsRole or as the value of an Entra ID app role. A group can give its members a role too (Groups page).",
    ),
    h(
      "div",
      { class: "stack" },
      section(
        {
          title: "Custom roles",
          intro: "A custom role grants the access of the built-in role it is based on, restricted to the apps you list.",
          actions: page.manage ? [page.create] : [],
        },
        page.customList,
      ),
      section({ title: "Built-in roles", intro: "Always available; they cannot be changed." }, page.builtInList),
    ),
  );
  await load(page);
}

async function load(page) {
  try {
    page.roles = (await gql(ROLES)).roles;
  } catch (error) {
    replaceChildren(page.customList, failure(error, () => load(page)));
    replaceChildren(page.builtInList);
    return;
  }
  draw(page);
}

function draw(page) {
  page.create.disabled = false;
  replaceChildren(page.customList, customRolesView(page));
  replaceChildren(page.builtInList, builtInRolesView(page));
}

// --- the two lists -------------------------------------------------------------------------------

function customRolesView(page) {
  return table({
    caption: "Custom roles",
    columns: COLUMNS,
    rows: page.roles.filter((r) => !r.builtIn).map((role) => roleRow(page, role)),
    className: "roles-table",
    emptyText: page.manage ? "No custom roles yet. Create one to give a group a tailored role." : "No custom roles yet.",
  });
}

function builtInRolesView(page) {
  return table({
    caption: "Built-in roles",
    columns: BUILT_IN_COLUMNS,
    rows: page.roles.filter((r) => r.builtIn).map((role) => builtInRow(page, role)),
    className: "roles-table builtin-table",
  });
}

function builtInNames(roles) {
  return Object.fromEntries(roles.filter((r) => r.builtIn).map((r) => [r.key, r.name]));
}

/** The number of users, as a link to them for whoever may see users. */
function usersLink(context, role) {
  if (!context.can("USERS_READ") || role.userCount === 0) return String(role.userCount);
  return context.link("/users", { role: role.key }, String(role.userCount), { "aria-label": `${plural(role.userCount, "user")} with role ${role.name}` });
}

function builtInRow(page, role) {
  return row(
    BUILT_IN_COLUMNS,
    [
      h("div", { class: "role-cell" }, h("span", { class: "role-name" }, role.name), h("span", { class: "muted small" }, role.description)),
      h("div", { class: "id-cell" }, h("code", { class: "role-key" }, role.key), copyButton(role.key, `role string ${role.key}`, { small: true })),
      usersLink(page.context, role),
    ],
    { dataset: { roleKey: role.key } },
  );
}

function roleRow(page, role) {
  const names = builtInNames(page.roles);
  return row(
    COLUMNS,
    [
      h(
        "div",
        { class: "role-cell" },
        h("span", { class: "role-name" }, role.name, role.builtIn ? [" ", badge("Built-in", "neutral")] : null),
        role.description ? h("span", { class: "muted small" }, role.description) : null,
      ),
      h("div", { class: "id-cell" }, h("code", { class: "role-key" }, role.key), copyButton(role.key, `ID of role ${role.name}`, { small: true })),
      role.builtIn ? h("span", { class: "muted" }, "—") : names[role.permissionLevel] ?? role.permissionLevel,
      role.restrictedApps.length
        ? h("ul", { class: "apps" }, role.restrictedApps.map((app) => h("li", {}, app)))
        : h("span", { class: "muted" }, role.builtIn ? "—" : "None"),
      usersLink(page.context, role),
      roleActions(page, role),
    ],
    { dataset: { roleKey: role.key } },
  );
}

function roleActions(page, role) {
  if (role.builtIn || !page.manage) return h("span", { class: "muted" }, role.builtIn ? "Read-only" : "—");
  const rowError = h("p", { class: "field-error", role: "alert", hidden: true });
  return [
    h(
      "div",
      { class: "row-actions" },
      h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Edit role ${role.name}`, onclick: () => editRole(page, role) }, "Edit"),
      h("button", { type: "button", class: "btn btn-danger-outline btn-small", "aria-label": `Delete role ${role.name}`, onclick: (e) => deleteRole(page, role, e.currentTarget, rowError) }, "Delete"),
    ),
    rowError,
  ];
}

// --- create and edit ---------------------------------------------------------------------------

/** The dialog to create a role (`role` null) or edit one. */
function editRole(page, role) {
  const form = roleForm(page.roles.filter((r) => r.builtIn), role);
  openDialog({
    title: role ? `Edit \u201c${role.name}\u201d` : "New custom role",
    description: role ? `Its ID stays ${role.key}: groups in Okta keep working.` : "Roster gives the role an ID to type into Okta's group assignment.",
    body: form.body,
    submitLabel: role ? "Save role" : "Create role",
    onSubmit: () => saveRole(page, role, form),
  });
}

function roleForm(levels, role) {
  const name = field({
    label: "Name",
    control: h("input", { type: "text", class: "input", name: "name", maxlength: 200, required: true, value: role?.name ?? "", autocomplete: "off" }),
  });
  const description = field({
    label: "Description",
    control: h("textarea", { class: "input", name: "description", rows: 2, maxlength: 2000, value: role?.description ?? "" }),
    hint: "Optional. What the role is for.",
  });
  const permissionLevel = field({
    label: "Permission level",
    control: h(
      "select",
      { class: "input", name: "permissionLevel", value: role?.permissionLevel ?? "basic-user" },
      levels.map((level) => h("option", { value: level.key }, `${level.name} (${level.key})`)),
    ),
    hint: "The built-in role whose access this role grants.",
  });
  const apps = field({
    label: "Restricted apps",
    control: h("textarea", { class: "input mono", name: "restrictedApps", rows: 4, value: (role?.restrictedApps ?? []).join("\n"), spellcheck: "false" }),
    hint: "One app per line. Leave empty for no restriction.",
  });
  const problem = errorArea();
  return {
    fields: { name, description, permissionLevel, restrictedApps: apps },
    problem,
    body: [name.element, description.element, permissionLevel.element, apps.element, problem.element],
    input() {
      return {
        name: name.control.value.trim(),
        description: description.control.value.trim(),
        permissionLevel: permissionLevel.control.value,
        restrictedApps: apps.control.value.split("\n").map((line) => line.trim()).filter(Boolean),
      };
    },
  };
}

function unchanged(role, input) {
  const saved = { name: role.name, description: role.description, permissionLevel: role.permissionLevel, restrictedApps: role.restrictedApps };
  return JSON.stringify(input) === JSON.stringify(saved);
}

/** Create or update the role from the form; true closes the dialog. */
async function saveRole(page, role, form) {
  const { fields, problem } = form;
  Object.values(fields).forEach((f) => f.setError(null));
  problem.show(null);
  const input = form.input();
  if (!input.name) {
    fields.name.setError("Give the role a name.");
    fields.name.control.focus();
    return false;
  }
  if (role && unchanged(role, input)) {
    toast("Nothing to save: the role is unchanged.", "info");
    return true;
  }
  try {
    const result = role
      ? await mutate(UPDATE, { id: role.id, input }, "updateCustomRole")
      : await mutate(CREATE, { input }, "createCustomRole");
    if (result.error) {
      const target = fields[result.error.field];
      if (target) {
        target.setError(result.error.message);
        target.control.focus();
      } else problem.show(result.error.message);
      return false;
    }
    const saved = result.ok.role;
    toast(role ? `Role \u201c${saved.name}\u201d saved.` : `Role \u201c${saved.name}\u201d created. Its ID for Okta is ${saved.key}.`);
    await load(page);
    return true;
  } catch (error) {
    problem.show(describeError(error));
    return false;
  }
}

// --- delete: when users hold the role, ask where they go -----------------------------------------

async function deleteRole(page, role, deleteButton, rowError) {
  rowError.hidden = true;
  const confirmed = await confirmDialog({
    title: `Delete \u201c${role.name}\u201d?`,
    message: `Okta groups that send ${role.key} will be refused after this; change them in Okta first.`,
    confirmLabel: "Delete role",
  });
  if (!confirmed) return;
  deleteButton.disabled = true;
  try {
    const result = await mutate(DELETE, { id: role.id, reassignTo: null }, "deleteCustomRole");
    if (result.error?.__typename === "ConflictError") {
      askForReplacement(page, role, result.error.message);
    } else if (result.error) {
      rowError.textContent = result.error.message;
      rowError.hidden = false;
    } else {
      toast(`Role \u201c${role.name}\u201d deleted.`);
      await load(page);
    }
  } catch (error) {
    rowError.textContent = describeError(error);
    rowError.hidden = false;
  } finally {
    deleteButton.disabled = false;
  }
}

/** The dialog that deletes a role still in use, with the role its users move to. */
function askForReplacement(page, role, message) {
  const others = page.roles.filter((r) => r.key !== role.key);
  const replacement = field({
    label: "Move its users to",
    control: h(
      "select",
      { class: "input", name: "reassignTo", value: role.permissionLevel },
      others.map((r) => h("option", { value: r.key }, r.builtIn ? r.name : `${r.name} (${r.key})`)),
    ),
    hint: "Their role origin becomes Manual. If it is the default role, this role becomes the default.",
  });
  const problem = errorArea();
  openDialog({
    title: `\u201c${role.name}\u201d is still in use`,
    description: role.userCount
      ? `${plural(role.userCount, "user")} hold this role. Choose the role they move to, then delete.`
      : `${message}. Choose the role that takes its place, then delete.`,
    body: [replacement.element, problem.element],
    submitLabel: "Move users and delete",
    danger: true,
    onSubmit: () => deleteAndMove(page, role, others, replacement, problem),
  });
}

/** Delete the role, its users moving to the chosen one; true closes the dialog. */
async function deleteAndMove(page, role, others, replacement, problem) {
  replacement.setError(null);
  problem.show(null);
  try {
    const target = replacement.control.value;
    const result = await mutate(DELETE, { id: role.id, reassignTo: target }, "deleteCustomRole");
    if (result.error) {
      if (result.error.field === "replacement" || result.error.field === "role") replacement.setError(result.error.message);
      else problem.show(result.error.message);
      return false;
    }
    const moved = others.find((r) => r.key === target);
    toast(`Role \u201c${role.name}\u201d deleted; its users now have the role ${moved?.name ?? target}.`);
    await load(page);
    return true;
  } catch (error) {
    problem.show(describeError(error));
    return false;
  }
}
