// Groups: the groups the identity provider pushes, paged and searchable, and the role each
// gives its members (set or taken away by whoever may assign roles).
//
// render() builds the page's state, lays out its sections and loads them; each group's row has
// its view, and setting a group's role goes through changeRole(), the one flow of a row change
// (confirmation, version conflict, error, success).

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, replaceChildren, uid } from "../dom.js";
import { pageHeader, section, loading, failure, toast, table, row, confirmDialog, cursorPager, searchAsYouType } from "../ui.js";
import { plural } from "../format.js";

const PAGE_SIZE = 25;
const GROUP_FIELDS = `id displayName externalId memberCount version role { key name }`;
const GROUPS = `
  query Groups($first: Int, $after: String, $search: String) {
    groups(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${GROUP_FIELDS} } }
    }
  }
`;
const GROUP = `query Group($id: ID!) { group(id: $id) { ${GROUP_FIELDS} } }`;
const ROLE_CHOICES = `query RoleChoices { roles { key name builtIn } }`;
const SET_ROLE = `
  mutation SetGroupRole($groupId: ID!, $roleId: ID, $expectedVersion: Int) {
    setGroupRole(groupId: $groupId, roleId: $roleId, expectedVersion: $expectedVersion) { ${ERROR_FIELDS} ... on GroupPayload { group { ${GROUP_FIELDS} } } }
  }
`;

const COLUMNS = [
  { label: "Group" },
  { label: "Members", className: "col-number" },
  { label: "Role it gives" },
];

export async function render(container, context) {
  const page = {
    context,
    filters: { search: context.params.get("search") ?? "" },
    highlight: context.params.get("group") ?? "", // the group a link from the Users page names
    canAssign: context.can("ROLES_ASSIGN"),
    roles: null, // the role choices, for whoever may assign roles
    loadCount: 0,
    controls: filterControls(context.params.get("search") ?? ""),
    list: { results: h("div", { class: "results" }, loading()) },
  };
  page.pager = cursorPager({ id: "groups-summary", noun: "group", pageSize: PAGE_SIZE, onMove: () => loadPage(page) });

  replaceChildren(
    container,
    pageHeader("Groups", "The groups your identity provider pushes to Roster, with their members and the role each group gives them."),
    roleOrderNotice(),
    section({ title: "All groups" }, page.controls.form, page.list.results, page.pager.element),
  );
  const cancelSearch = listenToFilters(page);

  if (page.canAssign) await loadRoleChoices(page);
  await loadPage(page);
  return cancelSearch;
}

/** The order in which a user's role is decided: the first that applies wins. */
function roleOrderNotice() {
  return h(
    "div",
    { class: "notice notice-info role-order", id: "role-order" },
    h("p", {}, h("strong", {}, "How a user's role is decided."), " Roster gives each user the first of these that applies:"),
    h(
      "ol",
      {},
      h("li", {}, "the role the identity provider states for the user: Okta's permissionsRole, or Entra ID's app role or extension attribute;"),
      h("li", {}, "else the highest-ranked role among the roles of the user's groups, set on this page (a custom role ranks as the built-in role it is based on);"),
      h("li", {}, "else a role an admin set by hand on the Users page;"),
      h("li", {}, "else the organization's default role."),
    ),
  );
}

// --- the search ----------------------------------------------------------------------------------

function filterControls(value) {
  const search = field({
    label: "Search",
    control: h("input", { type: "search", class: "input", name: "search", value, placeholder: "Group name", autocomplete: "off" }),
  });
  const form = h("form", { class: "filters filters-single", role: "search", "aria-label": "Filter groups", novalidate: true }, search.element);
  return { form, search };
}

function listenToFilters(page) {
  const { form, search } = page.controls;
  return searchAsYouType(form, search.control, () => refilter(page));
}

/** Read the search from its box; when it changed, show its first page. */
function refilter(page) {
  const chosen = page.controls.search.control.value.trim();
  if (chosen === page.filters.search) return; // e.g. Enter after typing
  page.filters.search = chosen;
  page.highlight = "";
  page.pager.reset();
  // the search in the address (shareable, kept on reload), without a new history entry
  history.replaceState(null, "", `#/groups${chosen ? `?${new URLSearchParams({ search: chosen })}` : ""}`);
  loadPage(page);
}

async function loadRoleChoices(page) {
  try {
    page.roles = (await gql(ROLE_CHOICES)).roles;
  } catch {
    page.roles = null; // roles shown as text, as for whoever may not assign them
  }
}

// --- the list and its pages ----------------------------------------------------------------------

async function loadPage(page) {
  const mine = ++page.loadCount;
  page.list.results.setAttribute("aria-busy", "true");
  let connection;
  try {
    const variables = { first: PAGE_SIZE, after: page.pager.after(), search: page.filters.search || null };
    connection = (await gql(GROUPS, variables)).groups;
  } catch (error) {
    if (mine !== page.loadCount) return;
    showLoadFailure(page, error);
    return;
  }
  if (mine !== page.loadCount) return; // a newer search won
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
  results.removeAttribute("aria-busy");
  const groups = connection.edges.map((edge) => edge.node);
  replaceChildren(
    results,
    groups.length || page.filters.search
      ? table({
          caption: "Groups",
          columns: COLUMNS,
          rows: groups.map((group) => groupRow(page, group)),
          className: "groups-table",
          emptyText: "No groups match this search.",
        })
      : emptyState(),
  );
  page.pager.show(connection, groups.length);
}

/** No group yet: where groups come from. */
function emptyState() {
  return h(
    "div",
    { class: "empty empty-groups", id: "no-groups" },
    h("p", {}, h("strong", {}, "No groups yet."), " Groups arrive from your identity provider:"),
    h(
      "ul",
      {},
      h("li", {}, "Okta: push them with ", h("strong", {}, "Push Groups"), " (the app's Push Groups tab)."),
      h("li", {}, "Microsoft Entra ID: enable group provisioning (Provisioning > Mappings > ", h("strong", {}, "Provision Microsoft Entra ID Groups"), ") and assign the groups to the app."),
    ),
    h("p", {}, "Once a group is here, give it a role: its members get it unless the identity provider states one for them."),
  );
}

// --- one row ---------------------------------------------------------------------------------------

function groupRow(page, group) {
  const highlighted = page.highlight && page.highlight === group.id;
  return row(COLUMNS, cells(page, group), {
    dataset: { groupId: group.id, groupName: group.displayName },
    class: highlighted ? "is-highlighted" : null,
    "aria-current": highlighted ? "true" : null,
  });
}

function cells(page, group) {
  return [
    h(
      "div",
      { class: "group-cell" },
      h("span", { class: "group-name" }, group.displayName),
      group.externalId ? h("span", { class: "muted small" }, "External ID ", h("code", {}, group.externalId)) : null,
    ),
    h("span", { class: "member-count" }, String(group.memberCount)),
    roleCell(page, group),
  ];
}

function roleText(group) {
  return group.role ? h("span", { class: "group-role" }, group.role.name) : h("span", { class: "muted group-role" }, "No role");
}

/** The role, as a choice and a Save button for whoever may assign roles. */
function roleCell(page, group) {
  if (!(page.canAssign && page.roles)) return roleText(group);
  const current = group.role?.key ?? "";
  const roleError = h("p", { class: "field-error", role: "alert", hidden: true });
  const selectId = uid("group-role");
  const select = h(
    "select",
    { class: "input input-small", id: selectId, name: "role", value: current },
    h("option", { value: "" }, "No role"),
    page.roles.map((r) => h("option", { value: r.key }, r.builtIn ? r.name : `${r.name} (${r.key})`)),
  );
  const save = h("button", { type: "button", class: "btn btn-secondary btn-small", disabled: true, "aria-label": `Save role of group ${group.displayName}` }, "Save");
  select.addEventListener("change", () => {
    save.disabled = select.value === current;
    roleError.hidden = true;
  });
  save.addEventListener("click", () => changeRole(page, group, select, save, roleError));
  return h(
    "div",
    { class: "role-edit" },
    h("label", { for: selectId, class: "sr-only" }, `Role of group ${group.displayName}`),
    h("div", { class: "inline" }, select, save),
    roleError,
  );
}

function redraw(page, tr, group) {
  const fresh = groupRow(page, group);
  tr.replaceWith(fresh);
  return fresh;
}

/** The row again with the group as it is now (gone if the group is). */
async function reloadRow(page, tr, group) {
  try {
    const current = (await gql(GROUP, { id: group.id })).group;
    if (!current) {
      tr.remove();
      toast(`The group \u201c${group.displayName}\u201d no longer exists.`, "info");
      return null;
    }
    return redraw(page, tr, current);
  } catch (error) {
    toast(describeError(error), "error");
    return null;
  }
}

function showError(element, message) {
  element.textContent = message;
  element.hidden = false;
}

// --- setting a group's role --------------------------------------------------------------------

function confirmRole(group, role) {
  const name = `\u201c${group.displayName}\u201d`;
  const count = group.memberCount;
  if (!role) {
    return confirmDialog({
      title: `Take the role away from ${name}?`,
      message: `${count ? `Its ${plural(count, "member")}` : "Its members"} go back to the role of another of their groups, a role set by hand, or the organization's default. Members whose role the identity provider states keep theirs.`,
      confirmLabel: "Remove role",
    });
  }
  const who = count ? `Its ${plural(count, "member")} ${count === 1 ? "gets" : "get"}` : "It has no members yet; those who join it get";
  return confirmDialog({
    title: `Give ${name} the role ${role.name}?`,
    message: `${who} ${role.name}, unless the identity provider states a role for them or another of their groups gives a higher-ranked one.`,
    confirmLabel: "Set role",
    danger: false,
  });
}

/**
 * Set the group's role to the one chosen in its row, once confirmed, with the version the row
 * shows. A group changed meanwhile is reloaded into the row with a message (nothing is
 * overwritten); another error shows in the row; the change done, the row is redrawn, focus
 * returns to its role and a toast says what changed.
 */
async function changeRole(page, group, select, save, roleError) {
  const chosen = select.value || null;
  const role = chosen ? page.roles.find((r) => r.key === chosen) : null;
  if (!(await confirmRole(group, role))) return;
  const tr = select.closest("tr");
  save.disabled = true;
  roleError.hidden = true;
  try {
    const result = await mutate(SET_ROLE, { groupId: group.id, roleId: chosen, expectedVersion: group.version }, "setGroupRole");
    if (result.error?.__typename === "VersionConflictError") {
      const fresh = await reloadRow(page, tr, group);
      const target = fresh?.querySelector(".field-error");
      const message = `\u201c${group.displayName}\u201d was changed meanwhile (by the identity provider or another admin). The row now shows the current values: check them and save again.`;
      if (target) showError(target, message);
      else toast(message, "error");
      return;
    }
    if (result.error) {
      showError(roleError, result.error.message);
      save.disabled = false;
      return;
    }
    const saved = result.ok.group;
    redraw(page, tr, saved).querySelector("select")?.focus();
    toast(
      saved.role
        ? `\u201c${saved.displayName}\u201d now gives its members the role ${saved.role.name}.`
        : `\u201c${saved.displayName}\u201d no longer gives its members a role.`,
    );
  } catch (failed) {
    showError(roleError, describeError(failed));
    save.disabled = false;
  }
}
