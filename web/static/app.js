// The settings page: who is signed in, the header, and hash routing between the pages.

import { gql, onUnauthenticated, describeError, VIEWER_FIELDS } from "./js/api.js";
import { h, replaceChildren } from "./js/dom.js";
import { toast, refreshRelativeTimes, notice, loading } from "./js/ui.js";
import { renderSignIn } from "./js/pages/signin.js";
import { renderNoAccess } from "./js/pages/noaccess.js";
import * as organization from "./js/pages/organization.js";
import * as roles from "./js/pages/roles.js";
import * as users from "./js/pages/users.js";
import * as groups from "./js/pages/groups.js";
import * as activity from "./js/pages/activity.js";
import * as provisioning from "./js/pages/provisioning.js";

// Each page, and the permission it needs to be shown in the navigation.
const ROUTES = [
  { path: "/organization", label: "Organization", permission: "USERS_READ", page: organization },
  { path: "/roles", label: "Roles", permission: "ROLES_READ", page: roles },
  { path: "/groups", label: "Groups", permission: "GROUPS_READ", page: groups },
  { path: "/users", label: "Users", permission: "USERS_READ", page: users },
  { path: "/activity", label: "Activity", permission: "AUDIT_READ", page: activity },
  { path: "/provisioning-log", label: "Provisioning log", permission: "AUDIT_READ", page: provisioning },
];

const state = { viewer: null, returnTo: null, cleanup: null, focusPage: false, routeCount: 0 };
const root = () => document.getElementById("app");

function can(permission) {
  return Boolean(state.viewer?.permissions.includes(permission));
}

function allowedRoutes() {
  return ROUTES.filter((route) => can(route.permission));
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const query = at < 0 ? "" : raw.slice(at + 1);
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // a malformed address: treated as an unknown page
  }
  return { path: decoded || "/", params: new URLSearchParams(query) };
}

/** Go to a page: navigate("/activity", { target: id }). */
export function navigate(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const hash = `#${path}${query.toString() ? `?${query}` : ""}`;
  if (location.hash === hash) route();
  else location.hash = hash;
}

/** A link to a page that keeps working with the keyboard and in a new tab. */
export function link(path, params, text, attributes = {}) {
  const query = new URLSearchParams(Object.entries(params ?? {}).filter(([, v]) => v));
  return h("a", { href: `#${path}${query.toString() ? `?${query}` : ""}`, ...attributes }, text);
}

// --- signing in and out ----------------------------------------------------------------------

function showSignIn({ expired = false } = {}) {
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  state.viewer = null;
  document.title = "Sign in · Roster";
  renderSignIn(root(), {
    expired,
    returnTo: state.returnTo,
    onSignedIn(viewer) {
      state.viewer = viewer;
      state.focusPage = true;
      const target = state.returnTo;
      state.returnTo = null;
      renderShell();
      if (target && target !== location.hash) location.hash = target;
      else route();
    },
  });
}

async function signOut(buttonElement) {
  buttonElement.disabled = true;
  try {
    await gql(`mutation { logout { signedOut } }`);
  } catch (error) {
    if (error.kind !== "UNAUTHENTICATED") {
      buttonElement.disabled = false;
      toast(`Could not sign out: ${describeError(error)}`, "error");
      return;
    }
  }
  state.returnTo = null;
  history.replaceState(null, "", location.pathname);
  showSignIn();
  toast("You are signed out.");
}

onUnauthenticated(() => {
  if (!state.viewer) return;
  state.returnTo = location.hash;
  showSignIn({ expired: true });
});

// --- the shell: header, navigation, main ----------------------------------------------------

function renderShell() {
  const viewer = state.viewer;
  const signOutButton = h("button", { type: "button", class: "btn btn-secondary btn-small", onclick: () => signOut(signOutButton) }, "Sign out");
  const nav = h(
    "nav",
    { class: "nav", "aria-label": "Settings" },
    h("ul", {}, allowedRoutes().map((r) => h("li", {}, h("a", { href: `#${r.path}`, dataset: { path: r.path } }, r.label)))),
  );
  const header = h(
    "header",
    { class: "topbar" },
    h(
      "div",
      { class: "topbar-inner" },
      h(
        "div",
        { class: "brand" },
        h("span", { class: "brand-mark", "aria-hidden": "true" }, "R"),
        h("span", { class: "brand-text" }, h("span", { class: "brand-product" }, "Roster settings"), h("span", { class: "brand-org", id: "org-name" }, viewer.organization.name)),
      ),
      allowedRoutes().length ? nav : null,
      h(
        "div",
        { class: "viewer" },
        h("span", { class: "viewer-name" }, h("span", { class: "viewer-user" }, viewer.user.userName), h("span", { class: "viewer-role" }, viewer.user.role.name)),
        signOutButton,
      ),
    ),
  );
  const main = h("main", { id: "main", class: "main", tabindex: "-1" });
  replaceChildren(root(), h("a", { href: "#main", class: "skip-link", onclick: (e) => { e.preventDefault(); main.focus(); } }, "Skip to content"), header, main);
}

/** Called by pages when the organization's name changed. */
function setOrganizationName(name) {
  state.viewer.organization.name = name;
  const element = document.getElementById("org-name");
  if (element) element.textContent = name;
}

async function route() {
  if (!state.viewer) return;
  const main = document.getElementById("main");
  if (!main) return;
  if (state.cleanup) state.cleanup();
  state.cleanup = null;
  state.routeCount += 1;
  const thisRoute = state.routeCount;

  const routes = allowedRoutes();
  if (!routes.length) {
    document.title = "No access · Roster";
    renderNoAccess(main, { viewer: state.viewer, signOut });
    return;
  }
  const { path, params } = parseHash();
  const current = routes.find((r) => r.path === path);
  if (!current) {
    const known = ROUTES.find((r) => r.path === path);
    if (known) {
      replaceChildren(main, notice(`Your role (${state.viewer.user.role.name}) may not see ${known.label}.`, "info"));
      return;
    }
    history.replaceState(null, "", `#${routes[0].path}`);
    return route();
  }
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.dataset.path === current.path) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${current.label} · Roster`;
  const container = h("div", { class: "page" }, loading());
  replaceChildren(main, container);
  const context = {
    viewer: state.viewer,
    can,
    params,
    navigate,
    link,
    setOrganizationName,
  };
  try {
    const cleanup = (await current.page.render(container, context)) ?? null;
    if (thisRoute === state.routeCount) state.cleanup = cleanup;
    else if (cleanup) cleanup(); // the admin went elsewhere meanwhile
  } catch (error) {
    replaceChildren(container, notice(describeError(error), "error"));
  }
  if (thisRoute !== state.routeCount) return;
  // Move focus to the page's heading so keyboard and screen reader users start there
  // (not on the first load: the browser keeps its place then).
  const heading = container.querySelector("h1");
  if (state.focusPage && heading && !container.contains(document.activeElement)) {
    heading.focus({ preventScroll: true });
  }
  state.focusPage = true;
}

// --- start ----------------------------------------------------------------------------------------

async function start() {
  replaceChildren(root(), h("main", { class: "main" }, loading()));
  try {
    const data = await gql(`query Viewer { viewer { ${VIEWER_FIELDS} } }`);
    state.viewer = data.viewer;
  } catch (error) {
    if (error.kind === "UNAUTHENTICATED") {
      state.returnTo = location.hash && location.hash !== "#/" ? location.hash : null;
      showSignIn();
      return;
    }
    replaceChildren(
      root(),
      h("main", { class: "main" }, notice(describeError(error), "error", [h("button", { type: "button", class: "btn btn-secondary btn-small", onclick: start }, "Try again")])),
    );
    return;
  }
  renderShell();
  route();
}

window.addEventListener("hashchange", () => route());
setInterval(refreshRelativeTimes, 30000);
start();
