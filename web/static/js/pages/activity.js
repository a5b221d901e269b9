// Activity: the audit log, newest first, by user or action; failed provisioning stands out, and
// what an identity provider did to a user links to the requests it sent (js/pages/provisioning.js).
//
// render() builds the page's state, lays out the filters and the list and loads the first
// page; one event is drawn by eventItem() from its views (actor, target, changes).

import { gql, describeError, userNamed } from "../api.js";
import { h, field, replaceChildren, button } from "../dom.js";
import { pageHeader, section, loading, failure, badge, timeAgoElement } from "../ui.js";
import { ACTIONS, CHANNELS, actionLabel, fieldLabel, formatDateTime, formatValue, isEmptyValue, isFailure, parseScimActor, plural } from "../format.js";

const PAGE_SIZE = 30;
const EVENTS = `
  query Activity($first: Int, $after: String, $targetId: ID, $action: String) {
    auditEvents(first: $first, after: $after, targetId: $targetId, action: $action) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id at actor { kind label } channel action targetType targetId targetName changes requestId
          target { ... on User { userName } ... on Role { name } ... on TokenFields { name prefix } }
        }
      }
    }
  }
`;
const ROLE_NAMES = `query RoleNames { roles { key name } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Changes whose values are role keys: shown with the role's name.
const ROLE_FIELDS = ["role", "default_role", "moved_to", "permission_level"];

export async function render(container, context) {
  const filter = filterFrom(context.params);
  const page = {
    context,
    filter,
    roleNames: new Map(), // role key -> name, for the roles that changes name
    after: null,
    loadCount: 0,
    controls: filterControls(filter),
    scope: h("p", { class: "muted", "aria-live": "polite", id: "activity-summary" }),
    list: h("ol", { class: "events", "aria-label": "Activity, newest first" }),
    more: h("button", { type: "button", class: "btn btn-secondary", hidden: true }, "Load more"),
    results: h("div", {}, loading()),
  };

  replaceChildren(
    container,
    pageHeader("Activity", "Every change to your organization, newest first: who made it, through which door, and what changed."),
    section({ title: "Audit log" }, page.controls.form, page.scope, page.results, h("div", { class: "load-more" }, page.more)),
  );
  listenToFilters(page);
  page.more.addEventListener("click", () => loadMore(page));

  await loadRoleNames(page);
  await reload(page);
}

// --- filters -----------------------------------------------------------------------------------

function filterFrom(params) {
  return {
    target: params.get("target") ?? "",
    label: params.get("label") ?? "",
    action: ACTIONS[params.get("action")] ? params.get("action") : "",
  };
}

function filterControls(filter) {
  const who = field({
    label: "User",
    control: h("input", { type: "search", class: "input", name: "user", value: filter.label || filter.target, placeholder: "userName or user ID", autocomplete: "off", spellcheck: "false" }),
    hint: "Only this user's events, including failed attempts for that userName.",
  });
  const what = field({
    label: "Action",
    control: h(
      "select",
      { class: "input", name: "action", value: filter.action },
      h("option", { value: "" }, "All actions"),
      Object.entries(ACTIONS).map(([key, label]) => h("option", { value: key }, label)),
    ),
  });
  const apply = h("button", { type: "submit", class: "btn btn-secondary" }, "Apply");
  const clear = button("Show all activity", { class: "btn btn-link" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter activity", novalidate: true }, who.element, what.element, h("div", { class: "filter-buttons" }, apply, clear));
  return { form, who, what, clear };
}

function listenToFilters(page) {
  const { form, what, clear } = page.controls;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters(page);
  });
  what.control.addEventListener("change", () => form.requestSubmit());
  clear.addEventListener("click", () => clearFilters(page));
}

async function applyFilters(page) {
  const { filter } = page;
  const { who, what } = page.controls;
  who.setError(null);
  const text = who.control.value.trim();
  filter.action = what.control.value;
  if (!text) {
    filter.target = "";
    filter.label = "";
  } else if (text !== filter.label && text !== filter.target) {
    try {
      await resolveUser(page, text);
    } catch (error) {
      who.setError(describeError(error));
      return;
    }
  }
  keepFilterInAddress(filter);
  reload(page);
}

function clearFilters(page) {
  const { filter } = page;
  const { who, what } = page.controls;
  filter.target = filter.label = filter.action = "";
  who.control.value = "";
  what.control.value = "";
  keepFilterInAddress(filter);
  reload(page);
}

function keepFilterInAddress(filter) {
  const query = new URLSearchParams(Object.entries({ target: filter.target, label: filter.label, action: filter.action }).filter(([, v]) => v)).toString();
  history.replaceState(null, "", `#/activity${query ? `?${query}` : ""}`);
}

/** A userName becomes the user's ID; anything else is used as is (failed creates use the userName). */
async function resolveUser(page, text) {
  const { filter } = page;
  if (UUID.test(text) || !page.context.can("USERS_READ")) {
    filter.target = text;
    filter.label = "";
    return;
  }
  const exact = await userNamed(text);
  filter.target = exact ? exact.id : text;
  filter.label = exact ? exact.userName : "";
}

// --- names of roles in changes -------------------------------------------------------------------

async function loadRoleNames(page) {
  if (!page.context.can("ROLES_READ")) return;
  try {
    (await gql(ROLE_NAMES)).roles.forEach((r) => page.roleNames.set(r.key, r.name));
  } catch {
    // the changes then show role keys alone
  }
}

// --- one event -----------------------------------------------------------------------------------

function eventItem(page, event) {
  const failed = isFailure(event.action);
  return h(
    "li",
    { class: failed ? "event is-failed" : "event", dataset: { action: event.action, eventId: event.id } },
    h(
      "div",
      { class: "event-head" },
      h(
        "p",
        { class: "event-title" },
        failed ? [badge("Failed", "danger"), " "] : null,
        h("strong", { class: "event-action" }, actionLabel(event.action)),
        " ",
        targetView(page.filter, event),
      ),
      h("p", { class: "event-time" }, h("time", { datetime: event.at, title: formatDateTime(event.at) }, formatDateTime(event.at)), " · ", timeAgoElement(event.at)),
    ),
    h(
      "p",
      { class: "event-meta" },
      "By ",
      actorView(event.actor),
      " · ",
      badge(CHANNELS[event.channel] ?? event.channel, event.channel === "SCIM" ? "info" : "neutral"),
      " ",
      h("code", { class: "small muted" }, event.action),
      provisioningLogLink(page, event),
    ),
    failed ? failureView(event.changes ?? {}) : changesView(page.roleNames, event.changes ?? {}),
  );
}

function actorView(actor) {
  if (actor.kind === "scim_token") {
    const token = parseScimActor(actor.label);
    if (token) return [h("span", { class: "actor-name" }, token.name), " via SCIM token ", h("code", { class: "small" }, `${token.prefix}…`)];
  }
  if (actor.kind === "operator") return h("span", { class: "actor-name" }, "Command line (operator)");
  return h("span", { class: "actor-name" }, actor.label);
}

/**
 * For what an identity provider did (or failed to do): the SCIM request it came from, and for
 * a user, every request sent about them.
 */
function provisioningLogLink(page, event) {
  const { actor, targetType, targetId, target, requestId } = event;
  if (actor.kind !== "scim_token") return null;
  const links = [];
  if (requestId) {
    links.push(" · ", page.context.link("/provisioning-log", { request: requestId }, "Request", { class: "request-link", "aria-label": "The SCIM request behind this entry" }));
  }
  if (targetType === "user" && UUID.test(targetId)) {
    const userName = target?.userName ?? event.targetName ?? "";
    links.push(
      " · ",
      page.context.link("/provisioning-log", { user: targetId, label: userName }, "Provisioning log", {
        class: "log-link",
        "aria-label": `Provisioning log of ${userName || "this user"}`,
      }),
    );
  }
  return links.length ? links : null;
}

// The target as it is now (null once deleted, or when the viewer may not see it), else its name
// as the event recorded it.
function targetView(filter, event) {
  const { targetType, targetId } = event;
  if (targetType === "user") return userTargetView(filter, event);
  if (targetType === "role") {
    const name = event.target?.name ?? event.targetName;
    return h("span", { class: "target" }, name ? `${name} ` : "", h("code", { class: "small" }, targetId));
  }
  if (targetType === "token") {
    const name = tokenName(event);
    return h("span", { class: "target" }, name ?? `token ${targetId.slice(0, 8)}…`);
  }
  if (targetType === "group") {
    const name = event.targetName;
    return h("span", { class: "target" }, name ? `group \u201c${name}\u201d` : `group ${targetId.slice(0, 8)}…`);
  }
  if (targetType === "organization") return h("span", { class: "target" }, "the organization");
  return h("span", { class: "target" }, `${targetType} ${targetId}`);
}

/** The user's name, as a link to their activity alone (unless it is what is shown already). */
function userTargetView(filter, { targetId, target, targetName }) {
  const userName = target?.userName ?? targetName ?? (UUID.test(targetId) ? null : targetId);
  const text = userName ?? `user ${targetId.slice(0, 8)}…`;
  if (filter.target === targetId) return h("span", { class: "target" }, text);
  return h(
    "a",
    {
      href: `#/activity?${new URLSearchParams({ target: targetId, ...(userName ? { label: userName } : {}) })}`,
      class: "target",
      title: `Only the activity of ${text}`,
    },
    text,
  );
}

function tokenName({ target, targetName, changes }) {
  if (target) return `${target.name} (${target.prefix}…)`;
  return targetName ? `${targetName} (${changes?.prefix?.after ?? ""}…)` : null;
}

function failureView(changes) {
  return h(
    "div",
    { class: "failure-reason" },
    h("p", {}, h("strong", {}, "Reason: "), changes.reason ?? "not recorded"),
    changes.userName ? h("p", { class: "small" }, "userName sent: ", h("code", {}, changes.userName)) : null,
    h("p", { class: "small muted" }, "Nothing was changed. Fix it in Okta (or here), and Okta's next attempt will succeed."),
  );
}

/** Each field that changed, before → after (only after, for what was created). */
function changesView(roleNames, changes) {
  const entries = Object.entries(changes).filter(([, change]) => change && typeof change === "object" && "after" in change && !(isEmptyValue(change.before) && isEmptyValue(change.after)));
  if (!entries.length) return null;
  const created = entries.every(([, change]) => isEmptyValue(change.before));
  const show = (name, value) => changeValue(roleNames, name, value);
  return h(
    "dl",
    { class: "changes" },
    entries.map(([name, change]) => [
      h("dt", {}, fieldLabel(name)),
      h(
        "dd",
        {},
        created
          ? h("span", { class: "after" }, show(name, change.after))
          : [
              h("span", { class: "before" }, show(name, change.before)),
              " ",
              h("span", { class: "arrow", role: "img", "aria-label": "changed to" }, "→"),
              " ",
              h("span", { class: "after" }, show(name, change.after)),
            ],
      ),
    ]),
  );
}

function changeValue(roleNames, name, value) {
  if (ROLE_FIELDS.includes(name) && typeof value === "string" && roleNames.has(value)) {
    return `${roleNames.get(value)} (${value})`;
  }
  return formatValue(name, value);
}

// --- loading -------------------------------------------------------------------------------------

async function fetchPage(page) {
  const { filter } = page;
  const connection = (
    await gql(EVENTS, { first: PAGE_SIZE, after: page.after, targetId: filter.target || null, action: filter.action || null })
  ).auditEvents;
  return { connection, events: connection.edges.map((e) => e.node) };
}

function describeScope(page, total) {
  const { filter } = page;
  const parts = [plural(total, "event")];
  if (filter.target) parts.push(`for ${filter.label || filter.target}`);
  if (filter.action) parts.push(`of type \u201c${actionLabel(filter.action)}\u201d`);
  page.scope.textContent = `${parts.join(" ")}, newest first.`;
}

/** The first page for the filter; an older load that answers later is ignored. */
async function reload(page) {
  const { results, list, more, scope } = page;
  const mine = ++page.loadCount;
  page.after = null;
  page.controls.clear.hidden = !page.filter.target && !page.filter.action;
  replaceChildren(results, loading());
  more.hidden = true;
  try {
    const { connection, events } = await fetchPage(page);
    if (mine !== page.loadCount) return;
    replaceChildren(list, events.map((event) => eventItem(page, event)));
    replaceChildren(results, events.length ? list : h("p", { class: "empty" }, "No activity matches these filters."));
    page.after = connection.pageInfo.endCursor;
    more.hidden = !connection.pageInfo.hasNextPage;
    describeScope(page, connection.totalCount);
  } catch (error) {
    if (mine !== page.loadCount) return;
    scope.textContent = "";
    replaceChildren(results, failure(error, () => reload(page)));
  }
}

/** The next page, below the list; focus moves to its first event. */
async function loadMore(page) {
  const { results, list, more } = page;
  const mine = page.loadCount;
  more.disabled = true;
  more.textContent = "Loading…";
  try {
    const { connection, events } = await fetchPage(page);
    if (mine !== page.loadCount) return;
    const items = events.map((event) => eventItem(page, event));
    list.append(...items);
    page.after = connection.pageInfo.endCursor;
    more.hidden = !connection.pageInfo.hasNextPage;
    items[0]?.setAttribute("tabindex", "-1");
    items[0]?.focus();
  } catch (error) {
    results.append(failure(error));
  } finally {
    more.disabled = false;
    more.textContent = "Load more";
  }
}
