// Provisioning log: every SCIM request the identity provider sent, newest first, by user,
// failure, method, time and request ID (an Activity entry links to the request it came from); each row opens onto its request and response bodies, as Roster
// kept them (passwords and the configured attributes redacted before they were stored).
//
// render() builds the page's state, lays out the filters and the table and loads the first
// page; one request is drawn by requestRows() (its row and its bodies' row).

import { gql, describeError, userNamed } from "../api.js";
import { h, field, replaceChildren, button, uid, srOnly } from "../dom.js";
import { pageHeader, section, loading, failure, table, badge, cursorPager } from "../ui.js";
import { parseDate, parseScimActor } from "../format.js";
import { renderLogRedaction } from "./log-redaction.js";

const PAGE_SIZE = 25;
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const REDACTED = "[redacted]";
const REQUESTS = `
  query ProvisioningLog($first: Int, $after: String, $userId: ID, $failed: Boolean, $method: String, $since: DateTime, $until: DateTime, $requestId: String) {
    provisioningRequests(first: $first, after: $after, userId: $userId, failed: $failed, method: $method, since: $since, until: $until, requestId: $requestId) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node { id at tokenName method path query status durationMs userId user { id userName } requestBody responseBody requestId }
      }
    }
  }
`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/; // what Roster accepts as an X-Request-ID

const COLUMNS = [
  { label: "Time" },
  { label: "Token" },
  { label: "Request" },
  { label: "Status" },
  { label: "Duration", className: "col-number" },
  { label: "User" },
  { label: "Bodies", className: "col-actions" },
];

// The reason phrases of the statuses a SCIM service answers.
const REASONS = {
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

// To the second: a log is read by the second, not by the minute.
const exactTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

export async function render(container, context) {
  const filter = filterFrom(context.params);
  const page = {
    context,
    filter,
    loadCount: 0,
    controls: filterControls(filter),
    scope: h("p", { class: "muted", id: "log-scope" }),
    results: h("div", { class: "results" }, loading()),
    refresh: button("Refresh", { class: "btn btn-secondary" }),
  };
  page.pager = cursorPager({ id: "log-summary", noun: "request", pageSize: PAGE_SIZE, onMove: () => loadPage(page) });

  replaceChildren(
    container,
    pageHeader(
      "Provisioning log",
      "Every SCIM request your identity provider (Okta or Microsoft Entra ID) sent, newest first: what it asked, what Roster answered and how long it took. Passwords and the attributes named below are redacted before anything is stored.",
    ),
    section({ title: "Requests", actions: [page.refresh] }, page.controls.form, page.scope, page.results, page.pager.element),
    renderLogRedaction(context),
  );
  listenToFilters(page);
  page.refresh.addEventListener("click", () => {
    page.pager.reset();
    loadPage(page);
  });

  await loadPage(page);
}

// --- filters -----------------------------------------------------------------------------------

function filterFrom(params) {
  const user = params.get("user") ?? "";
  return {
    user,
    label: user ? params.get("label") ?? "" : "",
    failed: params.get("failed") === "1",
    method: METHODS.includes(params.get("method")) ? params.get("method") : "",
    since: parseDate(params.get("since"))?.toISOString() ?? "",
    until: parseDate(params.get("until"))?.toISOString() ?? "",
    request: REQUEST_ID.test(params.get("request") ?? "") ? params.get("request") : "",
  };
}

/** An ISO time as a datetime-local input shows it: the viewer's local time, to the minute. */
function localInputValue(iso) {
  const date = parseDate(iso);
  if (!date) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function filterControls(filter) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const who = field({
    label: "User",
    control: h("input", { type: "search", class: "input", name: "user", value: filter.label || filter.user, placeholder: "userName or user ID", autocomplete: "off", spellcheck: "false" }),
    hint: "Only the requests about this user.",
  });
  const method = field({
    label: "Method",
    control: h("select", { class: "input", name: "method", value: filter.method }, h("option", { value: "" }, "All methods"), METHODS.map((m) => h("option", { value: m }, m))),
  });
  const since = field({
    label: "Since",
    control: h("input", { type: "datetime-local", class: "input", name: "since", value: localInputValue(filter.since) }),
    hint: zone ? `Your time (${zone}).` : "Your time.",
  });
  const until = field({
    label: "Until",
    control: h("input", { type: "datetime-local", class: "input", name: "until", value: localInputValue(filter.until) }),
  });
  const request = field({
    label: "Request ID",
    control: h("input", { type: "search", class: "input", name: "request", value: filter.request, autocomplete: "off", spellcheck: "false" }),
    hint: "Its X-Request-ID, as an Activity entry or a log line names it.",
  });
  const failedId = uid("failed-only");
  const failed = h("input", { type: "checkbox", id: failedId, name: "failed", checked: filter.failed, "aria-describedby": `${failedId}-hint` });
  const apply = h("button", { type: "submit", class: "btn btn-secondary" }, "Apply");
  const clear = button("Show all requests", { class: "btn btn-link" });
  const form = h(
    "form",
    { class: "filters log-filters", role: "search", "aria-label": "Filter the provisioning log", novalidate: true },
    who.element,
    method.element,
    since.element,
    until.element,
    request.element,
    h(
      "div",
      { class: "log-filter-row" },
      h(
        "div",
        { class: "field field-check" },
        h("div", { class: "check" }, failed, h("label", { for: failedId }, "Failed only")),
        h("p", { class: "hint", id: `${failedId}-hint` }, "Answers with status 400 and above."),
      ),
      h("div", { class: "filter-buttons" }, apply, clear),
    ),
  );
  return { form, who, method, since, until, request, failed, clear };
}

function listenToFilters(page) {
  const { form, method, failed, clear } = page.controls;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters(page);
  });
  method.control.addEventListener("change", () => form.requestSubmit());
  failed.addEventListener("change", () => form.requestSubmit());
  clear.addEventListener("click", () => clearFilters(page));
}

/** Read the filters from their controls (a userName becomes its user's ID) and load them. */
async function applyFilters(page) {
  const { who, method, since, until, request, failed } = page.controls;
  for (const control of [who, since, until, request]) control.setError(null);
  const times = chosenTimes(page);
  if (!times) return;
  const requestId = request.control.value.trim();
  if (requestId && !REQUEST_ID.test(requestId)) {
    request.setError("A request ID is up to 128 letters, digits and . _ : - characters.");
    request.control.focus();
    return;
  }
  page.results.setAttribute("aria-busy", "true"); // from now: finding the user is a request
  const user = await chosenUser(page);
  if (!user) {
    page.results.removeAttribute("aria-busy");
    return;
  }
  Object.assign(page.filter, user, times, { method: method.control.value, failed: failed.checked, request: requestId });
  keepFilterInAddress(page.filter);
  page.pager.reset();
  loadPage(page);
}

/** { since, until } as ISO times, or null (with the fields' errors shown). */
function chosenTimes(page) {
  const { since, until } = page.controls;
  const read = (control, kept) => {
    const value = control.control.value;
    if (!value) return "";
    if (value === localInputValue(kept)) return kept; // unchanged: keep its seconds
    return parseDate(value)?.toISOString() ?? null;
  };
  const from = read(since, page.filter.since);
  const to = read(until, page.filter.until);
  if (from === null) since.setError("Enter a date and time.");
  if (to === null) until.setError("Enter a date and time.");
  if (from === null || to === null) {
    (from === null ? since : until).control.focus();
    return null;
  }
  if (from && to && from >= to) {
    until.setError("Choose a time after \u201cSince\u201d.");
    until.control.focus();
    return null;
  }
  return { since: from, until: to };
}

/**
 * { user, label } for the text in the User box: a user ID as is, a userName as its user's ID;
 * null (with the field's error shown) when no user has that userName.
 */
async function chosenUser(page) {
  const { who } = page.controls;
  const { filter } = page;
  const text = who.control.value.trim();
  if (!text) return { user: "", label: "" };
  if (text === filter.label || text === filter.user) return { user: filter.user, label: filter.label };
  if (UUID.test(text)) return { user: text, label: "" };
  try {
    const exact = await userNamed(text);
    if (exact) return { user: exact.id, label: exact.userName };
    who.setError(`No user has the userName \u201c${text}\u201d. Enter a userName exactly, or a user ID.`);
  } catch (error) {
    who.setError(describeError(error));
  }
  who.control.focus();
  return null;
}

function clearFilters(page) {
  const { who, method, since, until, request, failed } = page.controls;
  Object.assign(page.filter, { user: "", label: "", failed: false, method: "", since: "", until: "", request: "" });
  for (const control of [who, since, until, request]) {
    control.control.value = "";
    control.setError(null);
  }
  method.control.value = "";
  failed.checked = false;
  keepFilterInAddress(page.filter);
  page.pager.reset();
  loadPage(page);
  who.control.focus();
}

/** The filters in the address (shareable, kept on reload), without a new history entry. */
function keepFilterInAddress(filter) {
  const query = {
    user: filter.user,
    label: filter.label,
    failed: filter.failed ? "1" : "",
    method: filter.method,
    since: filter.since,
    until: filter.until,
    request: filter.request,
  };
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v)).toString();
  history.replaceState(null, "", `#/provisioning-log${qs ? `?${qs}` : ""}`);
}

function isFiltered(filter) {
  return Boolean(filter.user || filter.failed || filter.method || filter.since || filter.until || filter.request);
}

/** "Showing only failed POST requests about jane@acme.test, since …, with request ID …", or nothing. */
function describeScope(filter) {
  if (!isFiltered(filter)) return "";
  const kind = [filter.failed ? "failed" : null, filter.method || null, "requests"].filter(Boolean).join(" ");
  const about = filter.user ? ` about ${filter.label || filter.user}` : "";
  const since = filter.since ? `, since ${exactTime.format(parseDate(filter.since))}` : "";
  const until = filter.until ? `, until ${exactTime.format(parseDate(filter.until))}` : "";
  const request = filter.request ? ` with request ID ${filter.request}` : "";
  return `Showing only ${kind}${request}${about}${since}${until}.`;
}

// --- loading -------------------------------------------------------------------------------------

function variables(page) {
  const { filter } = page;
  return {
    first: PAGE_SIZE,
    after: page.pager.after(),
    userId: filter.user || null,
    failed: filter.failed ? true : null,
    method: filter.method || null,
    since: filter.since || null,
    until: filter.until || null,
    requestId: filter.request || null,
  };
}

/** The page the pager names; an older load that answers later is ignored. */
async function loadPage(page) {
  const { results, filter } = page;
  const mine = ++page.loadCount;
  page.controls.clear.hidden = !isFiltered(filter);
  page.scope.textContent = describeScope(filter);
  page.scope.hidden = !page.scope.textContent;
  results.setAttribute("aria-busy", "true");
  let connection;
  try {
    connection = (await gql(REQUESTS, variables(page))).provisioningRequests;
  } catch (error) {
    if (mine !== page.loadCount) return;
    results.removeAttribute("aria-busy");
    replaceChildren(results, failure(error, () => loadPage(page)));
    page.pager.fail();
    return;
  }
  if (mine !== page.loadCount) return; // newer filters won
  results.removeAttribute("aria-busy");
  const requests = connection.edges.map((edge) => edge.node);
  replaceChildren(
    results,
    requests.length || isFiltered(filter)
      ? table({
          caption: "SCIM requests, newest first",
          columns: COLUMNS,
          rows: requests.map((request) => requestRows(page, request)),
          className: "log-table",
          emptyText: "No requests match these filters.",
        })
      : emptyState(),
  );
  page.pager.show(connection, requests.length);
}

function emptyState() {
  return h(
    "div",
    { class: "empty", id: "no-requests" },
    h("p", {}, h("strong", {}, "No requests yet."), " Once Okta or Microsoft Entra ID is connected (Organization > SCIM integration), every SCIM request it sends is listed here, newest first."),
  );
}

// --- one request -----------------------------------------------------------------------------------

/** The request's row, and below it the row of its bodies (hidden until asked for). */
function requestRows(page, request) {
  const failed = request.status >= 400;
  const line = requestLine(request);
  const bodiesId = uid("bodies");
  const at = exactTime.format(parseDate(request.at));
  const toggle = h(
    "button",
    { type: "button", class: "btn btn-secondary btn-small log-toggle", "aria-expanded": "false", "aria-controls": bodiesId },
    h("span", { class: "toggle-text" }, "Show bodies"),
    srOnly(` of ${request.method} ${request.path}, ${at}`),
  );
  const cells = [
    h("time", { datetime: request.at, title: request.at, class: "log-time" }, at),
    tokenView(request.tokenName),
    h("div", { class: "request-cell" }, h("code", { class: "request-line" }, line)),
    statusBadge(request.status),
    h("span", { class: "nowrap" }, duration(request.durationMs)),
    userView(page, request),
    toggle,
  ];
  const main = h(
    "tr",
    { class: failed ? "is-failed" : null, dataset: { requestId: request.id, method: request.method, status: String(request.status) } },
    cells.map((cell, index) => h("td", { "data-label": COLUMNS[index].label, class: COLUMNS[index].className }, cell)),
  );
  const bodies = h("tr", { class: "log-bodies", id: bodiesId, hidden: true }, h("td", { colspan: String(COLUMNS.length) }));
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    if (open && !bodies.firstElementChild.hasChildNodes()) replaceChildren(bodies.firstElementChild, bodiesView(request, line));
    toggle.setAttribute("aria-expanded", String(open));
    toggle.querySelector(".toggle-text").textContent = open ? "Hide bodies" : "Show bodies";
    bodies.hidden = !open;
    main.classList.toggle("is-expanded", open);
  });
  return [main, bodies];
}

/** "SCIM token 'Okta' (rst_scim_AbCd)" as the token's name (its prefix is in the bodies' row). */
function tokenView(label) {
  const token = parseScimActor(label);
  return h("span", { class: "token-name", title: label }, token ? token.name : label);
}

function requestLine(request) {
  return `${request.method} ${request.path}${request.query ? `?${request.query}` : ""}`;
}

function statusBadge(status) {
  const reason = REASONS[status];
  const text = reason ? `${status} ${reason}` : String(status);
  if (status >= 400) return badge(text, "danger", "Failed: the identity provider sends it again or reports it");
  return badge(text, "success");
}

function duration(ms) {
  if (ms < 1) return "<1 ms";
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** The user the request was about: a link to their requests alone (unless shown already). */
function userView(page, { userId, user }) {
  if (!userId) return h("span", { class: "muted" }, "\u2014");
  if (!user) return h("span", { class: "muted", title: userId }, `deleted user ${userId.slice(0, 8)}\u2026`);
  if (page.filter.user === userId) return h("span", { class: "user-name log-user" }, breakable(user.userName));
  return page.context.link("/provisioning-log", { user: userId, label: user.userName }, breakable(user.userName), {
    class: "user-name log-user",
    title: `Only the requests about ${user.userName}`,
  });
}

/** A userName that may wrap after its "@" (jane.doe@ / acme.example) rather than anywhere. */
function breakable(userName) {
  const at = userName.indexOf("@");
  return at < 0 ? userName : [userName.slice(0, at + 1), h("wbr"), userName.slice(at + 1)];
}

// --- the bodies ------------------------------------------------------------------------------------

function bodiesView(request, line) {
  const redacted = [request.requestBody, request.responseBody].some((body) => body?.includes(REDACTED));
  return h(
    "div",
    { class: "bodies" },
    h(
      "p",
      { class: "bodies-line" },
      h("code", {}, line),
      " ",
      h("span", { class: "muted small" }, `at ${request.at}, with ${request.tokenName}`),
      request.requestId ? h("span", { class: "muted small request-id" }, "; request ID ", h("code", {}, request.requestId)) : null,
    ),
    redacted
      ? h(
          "p",
          { class: "notice notice-info small redaction-note" },
          h("mark", { class: "redacted" }, REDACTED),
          " marks a value Roster never stored: passwords always, and the attributes named under \u201cWhat this log never keeps\u201d. It cannot be recovered from this log.",
        )
      : null,
    h(
      "div",
      { class: "bodies-grid" },
      bodyView("Request body", request.requestBody, "No body was sent."),
      bodyView("Response body", request.responseBody, "No body was answered."),
    ),
  );
}

function bodyView(title, text, none) {
  const headingId = uid("body");
  return h(
    "div",
    { class: "body" },
    h("h3", { id: headingId, class: "body-title" }, title),
    text === null || text === undefined || text === ""
      ? h("p", { class: "muted small" }, none)
      : h("pre", { class: "body-text", tabindex: "0", role: "region", "aria-labelledby": headingId }, marked(pretty(text))),
  );
}

/** JSON indented when it parses; else the text as kept (e.g. "[not JSON: 12 bytes]"). */
function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** The text with each "[redacted]" marked. */
function marked(text) {
  const parts = text.split(REDACTED);
  return parts.flatMap((part, index) => (index === 0 ? [part] : [h("mark", { class: "redacted", title: "Never stored" }, REDACTED), part]));
}
