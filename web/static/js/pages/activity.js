// Activity: the audit log, newest first, by user or action; failed provisioning stands out.

import { gql, describeError } from "../api.js";
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
          id at actor { kind label } channel action targetType targetId targetName changes
          target { ... on User { userName } ... on Role { name } ... on TokenFields { name prefix } }
        }
      }
    }
  }
`;
const ROLE_NAMES = `query RoleNames { roles { key name } }`;
const FIND_USER = `query FindUser($search: String) { users(first: 5, search: $search) { edges { node { id userName } } } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function render(container, context) {
  const params = context.params;
  const filter = {
    target: params.get("target") ?? "",
    label: params.get("label") ?? "",
    action: ACTIONS[params.get("action")] ? params.get("action") : "",
  };
  const roleNames = new Map(); // role key -> name, for the roles that changes name
  let after = null;

  // --- filters -----------------------------------------------------------------------------

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
  const scope = h("p", { class: "muted", "aria-live": "polite", id: "activity-summary" });
  const list = h("ol", { class: "events", "aria-label": "Activity, newest first" });
  const more = h("button", { type: "button", class: "btn btn-secondary", hidden: true }, "Load more");
  const results = h("div", {}, loading());

  replaceChildren(
    container,
    pageHeader("Activity", "Every change to your organization, newest first: who made it, through which door, and what changed."),
    section({ title: "Audit log" }, form, scope, results, h("div", { class: "load-more" }, more)),
  );

  function setAddress() {
    const query = new URLSearchParams(Object.entries({ target: filter.target, label: filter.label, action: filter.action }).filter(([, v]) => v)).toString();
    history.replaceState(null, "", `#/activity${query ? `?${query}` : ""}`);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    who.setError(null);
    const text = who.control.value.trim();
    filter.action = what.control.value;
    if (!text) {
      filter.target = "";
      filter.label = "";
    } else if (text !== filter.label && text !== filter.target) {
      try {
        await resolveUser(text);
      } catch (error) {
        who.setError(describeError(error));
        return;
      }
    }
    setAddress();
    reload();
  });
  what.control.addEventListener("change", () => form.requestSubmit());
  clear.addEventListener("click", () => {
    filter.target = filter.label = filter.action = "";
    who.control.value = "";
    what.control.value = "";
    setAddress();
    reload();
  });
  more.addEventListener("click", () => loadMore());

  /** A userName becomes the user's ID; anything else is used as is (failed creates use the userName). */
  async function resolveUser(text) {
    if (UUID.test(text) || !context.can("USERS_READ")) {
      filter.target = text;
      filter.label = "";
      return;
    }
    const edges = (await gql(FIND_USER, { search: text })).users.edges;
    const exact = edges.map((e) => e.node).find((u) => u.userName.toLowerCase() === text.toLowerCase());
    filter.target = exact ? exact.id : text;
    filter.label = exact ? exact.userName : "";
  }

  // --- names of roles in changes ------------------------------------------------------------

  async function loadRoleNames() {
    if (!context.can("ROLES_READ")) return;
    try {
      (await gql(ROLE_NAMES)).roles.forEach((r) => roleNames.set(r.key, r.name));
    } catch {
      // the changes then show role keys alone
    }
  }

  // --- one event -----------------------------------------------------------------------------

  function actorView(actor) {
    if (actor.kind === "scim_token") {
      const token = parseScimActor(actor.label);
      if (token) return [h("span", { class: "actor-name" }, token.name), " via SCIM token ", h("code", { class: "small" }, `${token.prefix}…`)];
    }
    if (actor.kind === "operator") return h("span", { class: "actor-name" }, "Command line (operator)");
    return h("span", { class: "actor-name" }, actor.label);
  }

  // The target as it is now (null once deleted, or when the viewer may not see it), else its
  // name as the event recorded it.
  function targetView(event) {
    const { targetType, targetId, target, targetName, changes } = event;
    if (targetType === "user") {
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
    if (targetType === "role") {
      const name = target?.name ?? targetName;
      return h("span", { class: "target" }, name ? `${name} ` : "", h("code", { class: "small" }, targetId));
    }
    if (targetType === "token") {
      const name = target ? `${target.name} (${target.prefix}…)` : targetName ? `${targetName} (${changes?.prefix?.after ?? ""}…)` : null;
      return h("span", { class: "target" }, name ?? `token ${targetId.slice(0, 8)}…`);
    }
    if (targetType === "organization") return h("span", { class: "target" }, "the organization");
    return h("span", { class: "target" }, `${targetType} ${targetId}`);
  }

  function changesView(event) {
    const changes = event.changes ?? {};
    if (isFailure(event.action)) {
      return h(
        "div",
        { class: "failure-reason" },
        h("p", {}, h("strong", {}, "Reason: "), changes.reason ?? "not recorded"),
        changes.userName ? h("p", { class: "small" }, "userName sent: ", h("code", {}, changes.userName)) : null,
        h("p", { class: "small muted" }, "Nothing was changed. Fix it in Okta (or here), and Okta's next attempt will succeed."),
      );
    }
    const entries = Object.entries(changes).filter(([, change]) => change && typeof change === "object" && "after" in change && !(isEmptyValue(change.before) && isEmptyValue(change.after)));
    if (!entries.length) return null;
    const created = entries.every(([, change]) => isEmptyValue(change.before));
    const show = (name, value) => {
      if (["role", "default_role", "moved_to", "permission_level"].includes(name) && typeof value === "string" && roleNames.has(value)) {
        return `${roleNames.get(value)} (${value})`;
      }
      return formatValue(name, value);
    };
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

  function eventItem(event) {
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
          targetView(event),
        ),
        h("p", { class: "event-time" }, h("time", { datetime: event.at, title: formatDateTime(event.at) }, formatDateTime(event.at)), " · ", timeAgoElement(event.at)),
      ),
      h("p", { class: "event-meta" }, "By ", actorView(event.actor), " · ", badge(CHANNELS[event.channel] ?? event.channel, event.channel === "SCIM" ? "info" : "neutral"), " ", h("code", { class: "small muted" }, event.action)),
      changesView(event),
    );
  }

  // --- loading ---------------------------------------------------------------------------------

  async function fetchPage() {
    const connection = (
      await gql(EVENTS, { first: PAGE_SIZE, after, targetId: filter.target || null, action: filter.action || null })
    ).auditEvents;
    return { connection, events: connection.edges.map((e) => e.node) };
  }

  function describeScope(total) {
    const parts = [plural(total, "event")];
    if (filter.target) parts.push(`for ${filter.label || filter.target}`);
    if (filter.action) parts.push(`of type \u201c${actionLabel(filter.action)}\u201d`);
    scope.textContent = `${parts.join(" ")}, newest first.`;
  }

  let loadCount = 0;
  async function reload() {
    const mine = ++loadCount;
    after = null;
    clear.hidden = !filter.target && !filter.action;
    replaceChildren(results, loading());
    more.hidden = true;
    try {
      const { connection, events } = await fetchPage();
      if (mine !== loadCount) return;
      replaceChildren(list, events.map(eventItem));
      replaceChildren(results, events.length ? list : h("p", { class: "empty" }, "No activity matches these filters."));
      after = connection.pageInfo.endCursor;
      more.hidden = !connection.pageInfo.hasNextPage;
      describeScope(connection.totalCount);
    } catch (error) {
      if (mine !== loadCount) return;
      scope.textContent = "";
      replaceChildren(results, failure(error, reload));
    }
  }

  async function loadMore() {
    const mine = loadCount;
    more.disabled = true;
    more.textContent = "Loading…";
    try {
      const { connection, events } = await fetchPage();
      if (mine !== loadCount) return;
      const items = events.map(eventItem);
      list.append(...items);
      after = connection.pageInfo.endCursor;
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

  await loadRoleNames();
  await reload();
}
