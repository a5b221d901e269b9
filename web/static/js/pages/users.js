// Users: a paged, searchable table; roles set by hand; deactivate (which signs the user out
// everywhere and revokes their API tokens) and reactivate; links to each user's activity and
// provisioning requests.
//
// render() builds the page's state, lays out its sections and loads them; each section has a
// view, and each change to a user's row goes through changeUser(), the one flow of a row
// mutation (version conflict, error, success).

import { gql, mutate, describeError, ERROR_FIELDS, USER_FIELDS } from "../api.js";
import { h, field, replaceChildren, uid } from "../dom.js";
import { pageHeader, section, loading, failure, toast, table, row, badge, notice, timeAgoElement, confirmDialog, cursorPager, searchAsYouType } from "../ui.js";
import { ROLE_ORIGINS, originLabel, personName, primaryEmail, plural } from "../format.js";

const PAGE_SIZE = 25;
const USERS = `
  query Users($first: Int, $after: String, $search: String, $active: Boolean, $role: String, $roleOrigin: RoleOrigin) {
    users(first: $first, after: $after, search: $search, active: $active, role: $role, roleOrigin: $roleOrigin) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${USER_FIELDS} } }
    }
  }
`;
const WITHOUT_ROLE = `query WithoutRole { users(first: 1, roleOrigin: DEFAULT, active: true) { totalCount } }`;
const USER = `query User($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`;
const ROLE_CHOICES = `query RoleChoices { roles { key name builtIn } }`;
const SET_ROLE = `
  mutation SetUserRole($userId: ID!, $role: String!, $expectedVersion: Int) {
    setUserRole(userId: $userId, role: $role, expectedVersion: $expectedVersion) { ${ERROR_FIELDS} ... on UserPayload { user { ${USER_FIELDS} } } }
  }
`;
const DEACTIVATE = `
  mutation DeactivateUser($id: ID!, $expectedVersion: Int) {
    deactivateUser(id: $id, expectedVersion: $expectedVersion) { ${ERROR_FIELDS} ... on UserPayload { user { ${USER_FIELDS} } } }
  }
`;
const REACTIVATE = `
  mutation ReactivateUser($id: ID!, $expectedVersion: Int) {
    reactivateUser(id: $id, expectedVersion: $expectedVersion) { ${ERROR_FIELDS} ... on UserPayload { user { ${USER_FIELDS} } } }
  }
`;

const COLUMNS = [
  { label: "User" },
  { label: "Role" },
  { label: "Role origin" },
  { label: "Status" },
  { label: "Last change" },
  { label: "Actions", className: "col-actions" },
];

const NO_ROLE_EXPLANATION =
  "Neither the identity provider nor a group gives these users a role, so they have the organization's default role. In Okta, they were assigned to the app individually or before the permissionsRole attribute existed; in Entra ID, they were assigned without an app role (Default Access). Give them a role in the identity provider, give one of their groups a role on the Groups page, or set one here by hand.";

export async function render(container, context) {
  const filters = filtersFrom(context.params);
  const page = {
    context,
    filters,
    canAssign: context.can("ROLES_ASSIGN"),
    canWrite: context.can("USERS_WRITE"),
    canAudit: context.can("AUDIT_READ"),
    canSeeGroups: context.can("GROUPS_READ"),
    roles: null, // the role choices, when the viewer may read roles
    // The newest state of each user this page changed or reloaded: a page of users fetched
    // before the change (a slow load overtaken by a click) must not show the old values.
    newest: new Map(),
    loadCount: 0,
    controls: filterControls(filters),
    banner: h("div", {}),
    explanation: h("div", { id: "no-role-explanation" }),
    list: { results: h("div", { class: "results" }, loading()) },
  };
  page.pager = cursorPager({ id: "users-summary", noun: "user", pageSize: PAGE_SIZE, onMove: () => loadPage(page) });

  replaceChildren(
    container,
    pageHeader("Users", "Everyone your identity provider (Okta or Microsoft Entra ID) provisioned into your organization, with their role and where it came from."),
    page.banner,
    section({ title: "All users" }, page.controls.form, page.explanation, page.list.results, page.pager.element),
  );
  const cancelSearch = listenToFilters(page);

  await loadRoleChoices(page);
  await Promise.all([loadPage(page), loadBanner(page)]);
  return cancelSearch;
}

// --- filters -----------------------------------------------------------------------------------

function filtersFrom(params) {
  return {
    search: params.get("search") ?? "",
    status: ["active", "inactive"].includes(params.get("status")) ? params.get("status") : "all",
    role: params.get("role") ?? "",
    noRole: params.get("origin") === "default",
  };
}

function filterControls(filters) {
  const search = field({
    label: "Search",
    control: h("input", { type: "search", class: "input", name: "search", value: filters.search, placeholder: "Name, userName or email", autocomplete: "off" }),
  });
  const status = field({
    label: "Status",
    control: h(
      "select",
      { class: "input", name: "status", value: filters.status },
      h("option", { value: "all" }, "All users"),
      h("option", { value: "active" }, "Active"),
      h("option", { value: "inactive" }, "Inactive"),
    ),
  });
  const role = field({
    label: "Role",
    control: h("select", { class: "input", name: "role" }, h("option", { value: "" }, "All roles")),
  });
  const noRoleId = uid("no-role");
  const noRole = h("input", { type: "checkbox", id: noRoleId, name: "noRole", checked: filters.noRole, "aria-describedby": `${noRoleId}-hint` });
  const noRoleField = h(
    "div",
    { class: "field field-check" },
    h("div", { class: "check" }, noRole, h("label", { for: noRoleId }, "No role given")),
    h("p", { class: "hint", id: `${noRoleId}-hint` }, "Users on the default role: neither the identity provider nor a group gives them one."),
  );
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter users", novalidate: true },
    search.element,
    status.element,
    role.element,
    noRoleField,
  );
  return { form, search, status, role, noRole };
}

function listenToFilters(page) {
  const { form, search, status, role, noRole } = page.controls;
  const cancelSearch = searchAsYouType(form, search.control, () => refilter(page));
  for (const control of [status.control, role.control, noRole]) control.addEventListener("change", () => refilter(page));
  return cancelSearch;
}

/** Read the filters from their controls; when they changed, show their first page. */
function refilter(page) {
  const { search, status, role, noRole } = page.controls;
  const chosen = {
    search: search.control.value.trim(),
    status: status.control.value,
    role: role.control.value,
    noRole: noRole.checked,
  };
  if (JSON.stringify(chosen) === JSON.stringify(page.filters)) return; // e.g. Enter after typing
  Object.assign(page.filters, chosen);
  page.pager.reset();
  keepFiltersInAddress(page.filters);
  loadPage(page);
}

/** The filters in the address (shareable, kept on reload), without a new history entry. */
function keepFiltersInAddress(filters) {
  const query = {
    search: filters.search,
    status: filters.status === "all" ? "" : filters.status,
    role: filters.role,
    origin: filters.noRole ? "default" : "",
  };
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  history.replaceState(null, "", `#/users${qs ? `?${qs}` : ""}`);
}

async function loadRoleChoices(page) {
  const { role } = page.controls;
  try {
    page.roles = (await gql(ROLE_CHOICES)).roles;
    role.control.append(...page.roles.map((r) => h("option", { value: r.key }, r.builtIn ? r.name : `${r.name} (${r.key})`)));
    role.control.value = page.filters.role;
    if (role.control.value !== page.filters.role) page.filters.role = "";
  } catch {
    page.roles = null; // without ROLES_READ: no role filter, roles shown as text
    role.element.hidden = true;
    page.filters.role = "";
  }
}

// --- the list and its pages ----------------------------------------------------------------------

function variables(page) {
  const { filters } = page;
  return {
    first: PAGE_SIZE,
    after: page.pager.after(),
    search: filters.search || null,
    active: filters.status === "all" ? null : filters.status === "active",
    role: filters.role || null,
    roleOrigin: filters.noRole ? "DEFAULT" : null,
  };
}

function remember(page, user) {
  const known = page.newest.get(user.id);
  if (!known || known.version <= user.version) page.newest.set(user.id, user);
  return page.newest.get(user.id);
}

async function loadPage(page) {
  const mine = ++page.loadCount;
  page.list.results.setAttribute("aria-busy", "true");
  replaceChildren(page.explanation, page.filters.noRole ? notice(NO_ROLE_EXPLANATION, "warning") : null);
  let connection;
  try {
    connection = (await gql(USERS, variables(page))).users;
  } catch (error) {
    if (mine !== page.loadCount) return;
    showLoadFailure(page, error);
    return;
  }
  if (mine !== page.loadCount) return; // a newer filter won
  showPage(page, connection);
}

function showLoadFailure(page, error) {
  const { results } = page.list;
  results.removeAttribute("aria-busy");
  replaceChildren(results, failure(error, () => loadPage(page)));
  page.pager.fail();
}

function showPage(page, connection) {
  const { results } = page.list;
  const { filters } = page;
  results.removeAttribute("aria-busy");
  const users = connection.edges.map((edge) => remember(page, edge.node));
  const filtered = filters.search || filters.status !== "all" || filters.role || filters.noRole;
  replaceChildren(
    results,
    table({
      caption: "Users",
      columns: COLUMNS,
      rows: users.map((user) => userRow(page, user)),
      className: "users-table",
      emptyText: filtered ? "No users match these filters." : "No users yet. Once Okta or Entra ID is connected, the users assigned to the app appear here.",
    }),
  );
  page.pager.show(connection, users.length);
}

// --- the banner: active users without a role from the identity provider or a group ----------

async function loadBanner(page) {
  try {
    const count = (await gql(WITHOUT_ROLE)).users.totalCount;
    replaceChildren(page.banner, count ? noRoleNotice(page, count) : null);
  } catch {
    replaceChildren(page.banner); // the table says what is wrong
  }
}

function noRoleNotice(page, count) {
  return notice(`${plural(count, "active user")} ${count === 1 ? "has" : "have"} no role from the identity provider or a group.`, "warning", [
    h("p", { class: "small" }, NO_ROLE_EXPLANATION),
    page.filters.noRole ? null : h("button", { type: "button", class: "btn btn-secondary btn-small", onclick: () => showUsersWithoutRole(page) }, "Show them"),
  ]);
}

function showUsersWithoutRole(page) {
  page.controls.noRole.checked = true;
  page.controls.status.control.value = "active";
  refilter(page);
}

// --- one row -------------------------------------------------------------------------------------

/** Where the role came from; a group's name links to it on the Groups page, for whoever sees groups. */
function originBadge(page, source) {
  const { origin, group } = source;
  const kind = { IDENTITY_PROVIDER: "info", GROUP: "info", DEFAULT: "warning", MANUAL: "neutral" }[origin] ?? "neutral";
  if (origin !== "GROUP" || !group) return badge(originLabel(origin), kind, ROLE_ORIGINS[origin]?.hint);
  const name = page.canSeeGroups
    ? page.context.link("/groups", { search: group.displayName, group: group.id }, group.displayName, { class: "origin-group" })
    : group.displayName;
  return h("span", { class: `badge badge-${kind} badge-wrap`, title: ROLE_ORIGINS.GROUP.hint }, "From group \u201c", name, "\u201d");
}

function userRow(page, user) {
  return row(COLUMNS, cells(page, user), { dataset: { userId: user.id, userName: user.userName }, class: user.active ? null : "is-inactive" });
}

function redraw(page, tr, user) {
  const fresh = userRow(page, remember(page, user));
  tr.replaceWith(fresh);
  return fresh;
}

/** The row again with the user as it is now (gone if the user is). */
async function reloadRow(page, tr, user) {
  try {
    const current = (await gql(USER, { id: user.id })).user;
    if (!current) {
      tr.remove();
      toast(`${user.userName} no longer exists.`, "info");
      return null;
    }
    return redraw(page, tr, current);
  } catch (error) {
    toast(describeError(error), "error");
    return null;
  }
}

function cells(page, user) {
  const isViewer = user.id === page.context.viewer.user.id; // no locking yourself out by mistake
  return [
    userCell(page, user, isViewer),
    roleCell(page, user, isViewer),
    originBadge(page, user.roleSource),
    statusCell(user),
    timeAgoElement(user.updatedAt),
    actionsCell(page, user, isViewer),
  ];
}

/** Active, or Inactive with what deactivating did (a reactivation revives none of it). */
function statusCell(user) {
  if (user.active) return badge("Active", "success");
  return h(
    "div",
    { class: "status-cell" },
    badge("Inactive", "muted"),
    h("span", { class: "muted small revoked-note", title: "Deactivating revoked their settings-page sessions and personal API tokens; reactivating them revives none." }, "Signed out everywhere; API tokens revoked"),
  );
}

/**
 * Name, userName, and the email when it is not the userName (Okta's usual case); then links to
 * the user's activity and provisioning requests.
 */
function userCell(page, user, isViewer) {
  const name = personName(user);
  const email = primaryEmail(user);
  const you = isViewer ? h("span", { class: "you" }, " (you)") : null;
  return h(
    "div",
    { class: "user-cell" },
    name
      ? [h("span", { class: "user-name" }, name, you), h("span", { class: "user-login" }, user.userName)]
      : h("span", { class: "user-name" }, user.userName, you),
    email && email.toLowerCase() !== user.userName.toLowerCase() ? h("span", { class: "muted small" }, email) : null,
    userLinks(page, user),
  );
}

/** The role, as a choice and a Save button for whoever may assign it (not to themself). */
function roleCell(page, user, isViewer) {
  if (!(page.canAssign && page.roles && !isViewer)) return user.role.name;
  const roleError = rowError();
  const selectId = uid("role-of");
  const select = h(
    "select",
    { class: "input input-small", id: selectId, name: "role", value: user.role.key, "aria-label": null },
    page.roles.map((r) => h("option", { value: r.key }, r.name)),
  );
  const save = h("button", { type: "button", class: "btn btn-secondary btn-small", disabled: true }, "Save");
  save.setAttribute("aria-label", `Save role of ${user.userName}`);
  select.addEventListener("change", () => {
    save.disabled = select.value === user.role.key;
    roleError.hidden = true;
  });
  save.addEventListener("click", () => setRole(page, user, select, save, roleError));
  return h(
    "div",
    { class: "role-edit" },
    h("label", { for: selectId, class: "sr-only" }, `Role of ${user.userName}`),
    h("div", { class: "inline" }, select, save),
    roleError,
  );
}

function actionsCell(page, user, isViewer) {
  const actionError = rowError();
  if (!(page.canWrite && !isViewer)) return h("span", { class: "muted" }, "—");
  const change = user.active
    ? h("button", { type: "button", class: "btn btn-danger-outline btn-small", "aria-label": `Deactivate ${user.userName}`, onclick: (e) => setActive(page, user, false, e.currentTarget, actionError) }, "Deactivate")
    : h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Reactivate ${user.userName}`, onclick: (e) => setActive(page, user, true, e.currentTarget, actionError) }, "Reactivate");
  return [h("div", { class: "row-actions" }, change), actionError];
}

/** Where to read what happened to the user: their activity and their provisioning requests. */
function userLinks(page, user) {
  if (!page.canAudit) return null;
  return h(
    "span",
    { class: "user-links small" },
    page.context.link("/activity", { target: user.id, label: user.userName }, "Activity", { "aria-label": `Activity of ${user.userName}` }),
    h("span", { "aria-hidden": "true" }, " \u00b7 "),
    page.context.link("/provisioning-log", { user: user.id, label: user.userName }, "Provisioning log", { "aria-label": `Provisioning log of ${user.userName}` }),
  );
}

function rowError() {
  return h("p", { class: "field-error", role: "alert", hidden: true });
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = false;
}

/** A message in the row's role cell ("role") or actions cell (else); a toast without them. */
function showRowError(tr, where, message) {
  if (!tr) return;
  const errors = tr.querySelectorAll(".field-error");
  const target = where === "role" ? errors[0] : errors[errors.length - 1];
  if (target) showError(target, message);
  else toast(message, "error");
}

// --- changing a user from its row ------------------------------------------------------------

async function setRole(page, user, select, save, roleError) {
  const chosen = select.value;
  await changeUser(page, user, {
    tr: select.closest("tr"),
    control: save,
    error: roleError,
    where: "role",
    retry: "save again",
    send: () => mutate(SET_ROLE, { userId: user.id, role: chosen, expectedVersion: user.version }, "setUserRole"),
    focus: "select",
    saved: (saved) =>
      saved.roleOrigin === "GROUP"
        ? `${saved.userName} keeps the role ${saved.role.name} from group \u201c${saved.roleSource.group?.displayName ?? "?"}\u201d: a group's role ranks above one set by hand, which applies once no group gives a role.`
        : `${saved.userName} now has the role ${saved.role.name} (set by hand).`,
  });
}

async function setActive(page, user, active, actionButton, actionError) {
  const tr = actionButton.closest("tr");
  if (!active && !(await confirmDeactivation(user))) return;
  await changeUser(page, user, {
    tr,
    control: actionButton,
    error: actionError,
    where: "actions",
    retry: "try again",
    send: () => mutate(active ? REACTIVATE : DEACTIVATE, { id: user.id, expectedVersion: user.version }, active ? "reactivateUser" : "deactivateUser"),
    focus: ".row-actions button",
    saved: (saved) => (active ? `${saved.userName} is active again.` : `${saved.userName} is deactivated. They are signed out everywhere and their API tokens are revoked.`),
  });
}

function confirmDeactivation(user) {
  return confirmDialog({
    title: `Deactivate ${user.userName}?`,
    message: "They lose access at once: their open settings-page sessions end and their personal API tokens are revoked (reactivating them revives neither). Their data is kept, and you can reactivate them later. If the identity provider still assigns them to the app, it may reactivate them: unassign them there too.",
    confirmLabel: "Deactivate",
  });
}

/**
 * One change to a user from its row: `send` the mutation with the version the row shows. A
 * user changed meanwhile is reloaded into the row with a message (nothing is overwritten);
 * another error shows in the row's `error` and `control` can be used again; the change done,
 * the row is redrawn, focus returns to its `focus` control and a toast says what `saved`.
 */
async function changeUser(page, user, { tr, control, error, where, retry, send, focus, saved }) {
  control.disabled = true;
  error.hidden = true;
  try {
    const result = await send();
    if (result.error?.__typename === "VersionConflictError") {
      const fresh = await reloadRow(page, tr, user);
      showRowError(fresh, where, `${user.userName} was changed meanwhile (by the identity provider or another admin). The row now shows the current values: check them and ${retry}.`);
      return;
    }
    if (result.error) {
      showError(error, result.error.message);
      control.disabled = false;
      return;
    }
    const fresh = redraw(page, tr, result.ok.user);
    fresh.querySelector(focus)?.focus();
    toast(saved(result.ok.user));
    loadBanner(page);
  } catch (failed) {
    showError(error, describeError(failed));
    control.disabled = false;
  }
}
