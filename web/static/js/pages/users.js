// Users: a paged, searchable table; roles set by hand; deactivate and reactivate.

import { gql, mutate, describeError, ERROR_FIELDS, USER_FIELDS } from "../api.js";
import { h, field, replaceChildren, uid } from "../dom.js";
import { pageHeader, section, loading, failure, toast, table, row, badge, notice, timeAgoElement, confirmDialog } from "../ui.js";
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
  "Okta sent no permissionsRole for these users, so they have the organization's default role. They were assigned to the app individually or before the permissionsRole attribute existed: assign them through a group that carries a role in Okta, or give them a role here by hand.";

function originBadge(origin) {
  const kind = { IDENTITY_PROVIDER: "info", DEFAULT: "warning", MANUAL: "neutral" }[origin] ?? "neutral";
  return badge(originLabel(origin), kind, ROLE_ORIGINS[origin]?.hint);
}

export async function render(container, context) {
  const params = context.params;
  const filters = {
    search: params.get("search") ?? "",
    status: ["active", "inactive"].includes(params.get("status")) ? params.get("status") : "all",
    role: params.get("role") ?? "",
    noRole: params.get("origin") === "default",
  };
  const canAssign = context.can("ROLES_ASSIGN");
  const canWrite = context.can("USERS_WRITE");
  const canAudit = context.can("AUDIT_READ");
  let roles = null;
  let cursors = [null]; // the `after` of each page seen: Previous goes back one
  let pageIndex = 0;
  let searchTimer = null;

  // --- filters ---------------------------------------------------------------------------------

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
  const roleFilter = field({
    label: "Role",
    control: h("select", { class: "input", name: "role" }, h("option", { value: "" }, "All roles")),
  });
  const noRoleId = uid("no-role");
  const noRole = h("input", { type: "checkbox", id: noRoleId, name: "noRole", checked: filters.noRole, "aria-describedby": `${noRoleId}-hint` });
  const noRoleField = h(
    "div",
    { class: "field field-check" },
    h("div", { class: "check" }, noRole, h("label", { for: noRoleId }, "No role from Okta")),
    h("p", { class: "hint", id: `${noRoleId}-hint` }, "Users on the default role because Okta sent none."),
  );
  const filterForm = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter users", novalidate: true },
    search.element,
    status.element,
    roleFilter.element,
    noRoleField,
  );

  const banner = h("div", {});
  const results = h("div", { class: "results" }, loading());
  const summary = h("p", { class: "muted", "aria-live": "polite", id: "users-summary" });
  const previous = h("button", { type: "button", class: "btn btn-secondary", disabled: true }, "Previous");
  const next = h("button", { type: "button", class: "btn btn-secondary", disabled: true }, "Next");
  const pager = h("nav", { class: "pager", "aria-label": "Pages of users" }, summary, h("div", { class: "pager-buttons" }, previous, next));

  replaceChildren(
    container,
    pageHeader("Users", "Everyone Okta provisioned into your organization, with their role and where it came from."),
    banner,
    section({ title: "All users" }, filterForm, h("div", { id: "no-role-explanation" }), results, pager),
  );
  const explanation = container.querySelector("#no-role-explanation");

  function refilter() {
    const next = {
      search: search.control.value.trim(),
      status: status.control.value,
      role: roleFilter.control.value,
      noRole: noRole.checked,
    };
    if (JSON.stringify(next) === JSON.stringify(filters)) return; // e.g. Enter after typing
    Object.assign(filters, next);
    cursors = [null];
    pageIndex = 0;
    const query = {
      search: filters.search,
      status: filters.status === "all" ? "" : filters.status,
      role: filters.role,
      origin: filters.noRole ? "default" : "",
    };
    // keep the filters in the address (shareable, kept on reload) without a new history entry
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
    history.replaceState(null, "", `#/users${qs ? `?${qs}` : ""}`);
    loadPage();
  }
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    refilter();
  });
  search.control.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refilter, 350);
  });
  for (const control of [status.control, roleFilter.control, noRole]) control.addEventListener("change", refilter);
  previous.addEventListener("click", () => {
    if (pageIndex === 0) return;
    pageIndex -= 1;
    loadPage();
  });
  next.addEventListener("click", () => {
    if (cursors[pageIndex + 1] === undefined) return;
    pageIndex += 1;
    loadPage();
  });

  // --- loading -----------------------------------------------------------------------------

  function variables() {
    return {
      first: PAGE_SIZE,
      after: cursors[pageIndex],
      search: filters.search || null,
      active: filters.status === "all" ? null : filters.status === "active",
      role: filters.role || null,
      roleOrigin: filters.noRole ? "DEFAULT" : null,
    };
  }

  // The newest state of each user this page changed or reloaded: a page of users fetched
  // before the change (a slow load overtaken by a click) must not show the old values.
  const newest = new Map();
  const remember = (user) => {
    const known = newest.get(user.id);
    if (!known || known.version <= user.version) newest.set(user.id, user);
    return newest.get(user.id);
  };

  let loadCount = 0;
  async function loadPage() {
    const mine = ++loadCount;
    results.setAttribute("aria-busy", "true");
    replaceChildren(
      explanation,
      filters.noRole ? notice(NO_ROLE_EXPLANATION, "warning") : null,
    );
    let connection;
    try {
      connection = (await gql(USERS, variables())).users;
    } catch (error) {
      if (mine !== loadCount) return;
      results.removeAttribute("aria-busy");
      replaceChildren(results, failure(error, loadPage));
      summary.textContent = "";
      previous.disabled = next.disabled = true;
      return;
    }
    if (mine !== loadCount) return; // a newer filter won
    results.removeAttribute("aria-busy");
    cursors[pageIndex + 1] = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : undefined;
    cursors.length = pageIndex + 2;
    const users = connection.edges.map((edge) => remember(edge.node));
    const filtered = filters.search || filters.status !== "all" || filters.role || filters.noRole;
    replaceChildren(
      results,
      table({
        caption: "Users",
        columns: COLUMNS,
        rows: users.map(userRow),
        className: "users-table",
        emptyText: filtered ? "No users match these filters." : "No users yet. Once Okta is connected, the users assigned to the app appear here.",
      }),
    );
    const start = pageIndex * PAGE_SIZE;
    summary.textContent = users.length
      ? `${start + 1}\u2013${start + users.length} of ${plural(connection.totalCount, "user")}`
      : `${plural(connection.totalCount, "user")}`;
    previous.disabled = pageIndex === 0;
    next.disabled = !connection.pageInfo.hasNextPage;
  }

  async function loadBanner() {
    try {
      const count = (await gql(WITHOUT_ROLE)).users.totalCount;
      if (!count) {
        replaceChildren(banner);
        return;
      }
      replaceChildren(
        banner,
        notice(`${plural(count, "active user")} ${count === 1 ? "has" : "have"} no role from Okta.`, "warning", [
          h("p", { class: "small" }, NO_ROLE_EXPLANATION),
          filters.noRole
            ? null
            : h("button", {
                type: "button",
                class: "btn btn-secondary btn-small",
                onclick: () => {
                  noRole.checked = true;
                  status.control.value = "active";
                  refilter();
                },
              }, "Show them"),
        ]),
      );
    } catch {
      replaceChildren(banner); // the table says what is wrong
    }
  }

  // --- one row -----------------------------------------------------------------------------

  function userRow(user) {
    const tr = row(COLUMNS, cells(user), { dataset: { userId: user.id, userName: user.userName }, class: user.active ? null : "is-inactive" });
    return tr;
  }

  function redraw(tr, user) {
    const fresh = userRow(remember(user));
    tr.replaceWith(fresh);
    return fresh;
  }

  async function reload(tr, user) {
    try {
      const current = (await gql(USER, { id: user.id })).user;
      if (!current) {
        tr.remove();
        toast(`${user.userName} no longer exists.`, "info");
        return null;
      }
      return redraw(tr, current);
    } catch (error) {
      toast(describeError(error), "error");
      return null;
    }
  }

  function cells(user) {
    const roleError = h("p", { class: "field-error", role: "alert", hidden: true });
    const actionError = h("p", { class: "field-error", role: "alert", hidden: true });
    const isViewer = user.id === context.viewer.user.id; // no locking yourself out by mistake

    let roleCell;
    if (canAssign && roles && !isViewer) {
      const selectId = uid("role-of");
      const select = h(
        "select",
        { class: "input input-small", id: selectId, name: "role", value: user.role.key, "aria-label": null },
        roles.map((r) => h("option", { value: r.key }, r.name)),
      );
      const save = h("button", { type: "button", class: "btn btn-secondary btn-small", disabled: true }, "Save");
      save.setAttribute("aria-label", `Save role of ${user.userName}`);
      select.addEventListener("change", () => {
        save.disabled = select.value === user.role.key;
        roleError.hidden = true;
      });
      save.addEventListener("click", () => setRole(user, select, save, roleError));
      roleCell = h(
        "div",
        { class: "role-edit" },
        h("label", { for: selectId, class: "sr-only" }, `Role of ${user.userName}`),
        h("div", { class: "inline" }, select, save),
        roleError,
      );
    } else {
      roleCell = user.role.name;
    }

    const actions = [];
    if (canWrite && !isViewer) {
      actions.push(
        user.active
          ? h("button", { type: "button", class: "btn btn-danger-outline btn-small", "aria-label": `Deactivate ${user.userName}`, onclick: (e) => setActive(user, false, e.currentTarget, actionError) }, "Deactivate")
          : h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Reactivate ${user.userName}`, onclick: (e) => setActive(user, true, e.currentTarget, actionError) }, "Reactivate"),
      );
    }
    if (canAudit) {
      actions.push(context.link("/activity", { target: user.id, label: user.userName }, "Activity", { class: "btn btn-link btn-small", "aria-label": `Activity of ${user.userName}` }));
    }

    return [
      userCell(user, isViewer),
      roleCell,
      originBadge(user.roleOrigin),
      user.active ? badge("Active", "success") : badge("Inactive", "muted"),
      timeAgoElement(user.updatedAt),
      actions.length ? [h("div", { class: "row-actions" }, actions), actionError] : h("span", { class: "muted" }, "—"),
    ];
  }

  /** Name, userName, and the email when it is not the userName (Okta's usual case). */
  function userCell(user, isViewer) {
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
    );
  }

  async function setRole(user, select, save, roleError) {
    const tr = select.closest("tr");
    const chosen = select.value;
    save.disabled = true;
    roleError.hidden = true;
    try {
      const result = await mutate(SET_ROLE, { userId: user.id, role: chosen, expectedVersion: user.version }, "setUserRole");
      if (result.error) {
        if (result.error.__typename === "VersionConflictError") {
          const fresh = await reload(tr, user);
          showRowError(fresh, "role", `${user.userName} was changed meanwhile (by Okta or another admin). The row now shows the current values: check them and save again.`);
          return;
        }
        roleError.textContent = result.error.message;
        roleError.hidden = false;
        save.disabled = false;
        return;
      }
      const saved = result.ok.user;
      const fresh = redraw(tr, saved);
      fresh.querySelector("select")?.focus();
      toast(`${saved.userName} now has the role ${saved.role.name} (set by hand).`);
      loadBanner();
    } catch (error) {
      roleError.textContent = describeError(error);
      roleError.hidden = false;
      save.disabled = false;
    }
  }

  function showRowError(tr, where, message) {
    if (!tr) return;
    const errors = tr.querySelectorAll(".field-error");
    const target = where === "role" ? errors[0] : errors[errors.length - 1];
    if (target) {
      target.textContent = message;
      target.hidden = false;
    } else {
      toast(message, "error");
    }
  }

  async function setActive(user, active, actionButton, actionError) {
    const tr = actionButton.closest("tr");
    if (!active) {
      const confirmed = await confirmDialog({
        title: `Deactivate ${user.userName}?`,
        message: "They lose access at once; their data is kept and you can reactivate them later. If Okta still assigns them to the app, Okta may reactivate them: unassign them in Okta too.",
        confirmLabel: "Deactivate",
      });
      if (!confirmed) return;
    }
    actionButton.disabled = true;
    actionError.hidden = true;
    try {
      const result = await mutate(active ? REACTIVATE : DEACTIVATE, { id: user.id, expectedVersion: user.version }, active ? "reactivateUser" : "deactivateUser");
      if (result.error) {
        if (result.error.__typename === "VersionConflictError") {
          const fresh = await reload(tr, user);
          showRowError(fresh, "actions", `${user.userName} was changed meanwhile (by Okta or another admin). The row now shows the current values: check them and try again.`);
          return;
        }
        actionError.textContent = result.error.message;
        actionError.hidden = false;
        actionButton.disabled = false;
        return;
      }
      const saved = result.ok.user;
      const fresh = redraw(tr, saved);
      fresh.querySelector(".row-actions button")?.focus();
      toast(active ? `${saved.userName} is active again.` : `${saved.userName} is deactivated.`);
      loadBanner();
    } catch (error) {
      actionError.textContent = describeError(error);
      actionError.hidden = false;
      actionButton.disabled = false;
    }
  }

  // --- start -----------------------------------------------------------------------------------

  try {
    roles = (await gql(ROLE_CHOICES)).roles;
    roleFilter.control.append(...roles.map((r) => h("option", { value: r.key }, r.builtIn ? r.name : `${r.name} (${r.key})`)));
    roleFilter.control.value = filters.role;
    if (roleFilter.control.value !== filters.role) filters.role = "";
  } catch {
    roles = null; // without ROLES_READ: no role filter, roles shown as text
    roleFilter.element.hidden = true;
    filters.role = "";
  }
  await Promise.all([loadPage(), loadBanner()]);
  return () => clearTimeout(searchTimer);
}
