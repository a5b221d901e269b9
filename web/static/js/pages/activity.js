// Activity: the audit log, newest first, by user or action; failed provisioning stands out.

import { gql, describeError } from "../api.js";
import { h, field, replaceChildren, button } from "../dom.js";
import { pageHeader, section, loading, failure, badge, timeAgoElement } from "../ui.js";
import { ACTIONS, CHANNELS, actionLabel, fieldLabel, formatDateTime, formatValue, isEmptyValue, isFailure, parseScimActor, plural } from "../format.js";

const PAGE_SIZE = 30;
const MAX_ALIASES = 12; // the API allows 15 aliases per query
const EVENTS = `
  query Activity($first: Int, $after: String, $targetId: ID, $action: String) {
    auditEvents(first: $first, after: $after, targetId: $targetId, action: $action) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id at actor { kind label } channel action targetType targetId changes } }
    }
  }
`;
const ROLE_NAMES = `query RoleNames { roles { key name } }`;
const TOKEN_NAMES = `query TokenNames { scimTokens { id name prefix } }`;
const FIND_USER = `query FindUser($search: String) { users(first: 5, search: $search) { edges { node { id userName } } } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function render(container, context) {
  const params = context.params;
  const filter = {
    target: params.get("target") ?? "",
    label: params.get("label") ?? "",
    action: ACTIONS[params.get("action")] ? params.get("action") : "",
  };
  const names = { users: new Map(), roles: new Map(), tokens: new Map() };
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

  // --- names of targets --------------------------------------------------------------------------

  async function loadNames() {
    const jobs = [];
    if (context.can("ROLES_READ")) {
      jobs.push(gql(ROLE_NAMES).then((d) => d.roles.forEach((r) => names.roles.set(r.key, r.name))));
    }
    if (context.can("SCIM_TOKENS_MANAGE")) {
      jobs.push(gql(TOKEN_NAMES).then((d) => d.scimTokens.forEach((t) => names.tokens.set(t.id, `${t.name} (${t.prefix}…)`))));
    }
    await Promise.allSettled(jobs);
  }

  async function loadUserNames(events) {
    if (!context.can("USERS_READ")) return;
    const ids = [...new Set(events.filter((e) => e.targetType === "user" && UUID.test(e.targetId)).map((e) => e.targetId))].filter((id) => !names.users.has(id));
    const batches = [];
    for (let i = 0; i < ids.length; i += MAX_ALIASES) batches.push(ids.slice(i, i + MAX_ALIASES));
    await Promise.allSettled(
      batches.map(async (batch) => {
        const declarations = batch.map((_, n) => `$u${n}: ID!`).join(", ");
        const fields = batch.map((_, n) => `u${n}: user(id: $u${n}) { id userName }`).join(" ");
        const variables = Object.fromEntries(batch.map((id, n) => [`u${n}`, id]));
        const data = await gql(`query UserNames(${declarations}) { ${fields} }`, variables);
        batch.forEach((id, n) => names.users.set(id, data[`u${n}`]?.userName ?? null));
      }),
    );
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

  function targetView(event) {
    const { targetType, targetId, changes } = event;
    if (targetType === "user") {
      const userName = names.users.get(targetId) ?? changes?.user_name?.after ?? changes?.user_name?.before ?? changes?.userName ?? (UUID.test(targetId) ? null : targetId);
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
      const name = names.roles.get(targetId) ?? changes?.name?.after ?? changes?.name?.before;
      return h("span", { class: "target" }, name ? `${name} ` : "", h("code", { class: "small" }, targetId));
    }
    if (targetType === "token") {
      const name = names.tokens.get(targetId) ?? (changes?.name?.after ? `${changes.name.after} (${changes.prefix?.after ?? ""}…)` : null);
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
      if (["role", "default_role", "moved_to", "permission_level"].includes(name) && typeof value === "string" && names.roles.has(value)) {
        return `${names.roles.get(value)} (${value})`;
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
    const events = connection.edges.map((e) => e.node);
    await loadUserNames(events);
    return { connection, events };
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

  await loadNames();
  await reload();
}
