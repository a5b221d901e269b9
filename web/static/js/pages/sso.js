// Single sign-on: the organization's connections to its identity provider, one tab per
// protocol (OpenID Connect, js/pages/sso-oidc.js; SAML 2.0, js/pages/sso-saml.js), each shown,
// configured, tested and removed here, and Okta's setup checklist for the chosen one. For super
// admins (SSO_MANAGE) only.
//
// renderSso() builds the panel's state and its two sections, and loads them; each part is drawn
// again from the state after each change, except a form while it is open. What differs between
// the protocols (Roster's values to copy, the connection's facts, the form's fields, the
// checklist) is the protocol module's; the flows (connect, edit, remove, test) are this one's.

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, errorArea, replaceChildren, button, srOnly } from "../dom.js";
import { section, loading, failure, toast, timeAgoElement, confirmDialog, onTabKeys } from "../ui.js";
import { oidc } from "./sso-oidc.js";
import { saml } from "./sso-saml.js";

const CONNECTION_FIELDS = `id protocol issuer clientId clientSecretHint redirectUri ssoUrl metadataUrl spEntityId testedAt createdAt updatedAt`;
const SINGLE_SIGN_ON = `
  query SingleSignOn {
    organization { slug ssoConnections { ${CONNECTION_FIELDS} } }
    scimSetup { baseUrl }
  }
`;
const DELETE = `
  mutation DeleteSsoConnection($id: ID!) {
    deleteSsoConnection(id: $id) {
      ${ERROR_FIELDS}
      ... on SsoConnectionPayload { connection { id } }
    }
  }
`;
/** In tab order; "Sign in with SSO" goes through the first that is set up. */
const PROTOCOLS = [oidc, saml];

export function renderSso(context) {
  const panel = {
    state: {
      slug: context.viewer.organization.slug,
      publicUrl: null,
      connections: { oidc: null, saml: null },
      editing: { oidc: false, saml: false },
      protocol: null, // the chosen tab's key, once loaded
      error: null,
    },
    parts: Object.fromEntries(PROTOCOLS.map((protocol) => [protocol.key, protocolPart(protocol)])),
    checklistBody: h("div", {}, loading()),
  };
  const checklist = checklistSection(panel);
  panel.checklistTitle = checklist.querySelector("h2");
  const element = h("div", { class: "stack" }, connectionSection(panel), checklist);
  drawTabs(panel);
  const ready = load(panel).then(() => draw(panel));
  return { element, ready };
}

/** One protocol's tab and its panel: the status line, Roster's values, the connection or form. */
function protocolPart(protocol) {
  const panelId = `sso-${protocol.key}`;
  return {
    tab: h("button", { type: "button", role: "tab", class: "tab", id: `${panelId}-tab`, "aria-controls": `${panelId} sso-setup` }),
    status: h("div", { class: "connection" }),
    values: h("div", { class: "sso-values" }),
    body: h("div", {}, loading()),
    element: null,
    panelId,
  };
}

function connectionSection(panel) {
  const tabs = PROTOCOLS.map((protocol, index) => {
    const part = panel.parts[protocol.key];
    part.element = h(
      "div",
      { role: "tabpanel", class: "tab-panel", id: part.panelId, "aria-labelledby": part.tab.id, tabindex: "0", hidden: index !== 0 },
      part.status,
      part.values,
      part.body,
    );
    part.tab.addEventListener("click", () => choose(panel, protocol.key));
    onTabKeys(part.tab, index, PROTOCOLS.length, (target) => choose(panel, PROTOCOLS[target].key, true));
    return part.tab;
  });
  return section(
    {
      title: "Single sign-on",
      id: "single-sign-on",
      intro: "People your identity provider provisioned sign in to Roster through it, with the role they have here: through OpenID Connect or SAML 2.0, whichever your identity provider offers.",
    },
    h("div", { class: "tabs", role: "tablist", "aria-label": "Single sign-on protocol" }, tabs),
    PROTOCOLS.map((protocol) => panel.parts[protocol.key].element),
  );
}

function checklistSection(panel) {
  return section(
    {
      title: "Single sign-on checklist: Okta",
      id: "sso-setup",
      intro: "Let the people Okta provisions sign in to Roster through Okta, step by step, with the exact values to use.",
    },
    panel.checklistBody,
  );
}

/**
 * "OpenID Connect | SAML 2.0": the ARIA tabs pattern, as the SCIM checklists' tabs. The chosen
 * tab is the one in the Tab order; the arrow keys, Home and End move between tabs and show
 * theirs. The checklist below follows the chosen tab.
 */
function choose(panel, key, focus = false) {
  panel.state.protocol = key;
  drawTabs(panel);
  if (panel.state.publicUrl !== null && !panel.state.error) drawChecklist(panel);
  if (focus) panel.parts[key].tab.focus();
}

function drawTabs(panel) {
  const { connections, protocol: chosen, error } = panel.state;
  for (const protocol of PROTOCOLS) {
    const { tab, element } = panel.parts[protocol.key];
    const connection = error ? null : connections[protocol.key];
    const selected = protocol.key === (chosen ?? PROTOCOLS[0].key);
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    element.hidden = !selected;
    replaceChildren(
      tab,
      protocol.label,
      connection ? [h("span", { class: `dot tab-dot ${connection.testedAt ? "dot-ok" : "dot-warn"}`, "aria-hidden": "true" }), srOnly(" (set up)")] : null,
    );
  }
}

// --- loading -------------------------------------------------------------------------------------

async function load(panel) {
  const { state } = panel;
  try {
    const data = await gql(SINGLE_SIGN_ON);
    for (const protocol of PROTOCOLS) {
      state.connections[protocol.key] = data.organization.ssoConnections.find((c) => c.protocol === protocol.key) ?? null;
    }
    state.slug = data.organization.slug;
    // Before there is a connection, Roster's URLs are built as the server builds them: from its
    // public URL, which the SCIM base URL starts with.
    state.publicUrl = data.scimSetup.baseUrl.replace(/\/scim\/v2\/?$/, "");
    // The first time: the tab of the protocol that is set up (OpenID Connect when both are).
    state.protocol ??= (PROTOCOLS.find((protocol) => state.connections[protocol.key]) ?? PROTOCOLS[0]).key;
    state.error = null;
  } catch (error) {
    state.error = error;
  }
}

function draw(panel) {
  const { error } = panel.state;
  drawTabs(panel);
  if (error) {
    const retry = () => load(panel).then(() => draw(panel));
    for (const { status, values, body } of Object.values(panel.parts)) {
      replaceChildren(status);
      replaceChildren(values);
      replaceChildren(body, failure(error, retry));
    }
    replaceChildren(panel.checklistBody, failure(error, retry));
    return;
  }
  for (const protocol of PROTOCOLS) drawProtocol(panel, protocol);
  drawChecklist(panel);
}

function drawProtocol(panel, protocol) {
  const { connections, editing } = panel.state;
  const part = panel.parts[protocol.key];
  replaceChildren(part.status, statusLine(panel, protocol));
  replaceChildren(part.values, protocol.values(panel.state));
  if (connections[protocol.key] && !editing[protocol.key]) replaceChildren(part.body, connectionView(panel, protocol));
  else if (!part.body.querySelector("form")) replaceChildren(part.body, connectionForm(panel, protocol));
}

function drawChecklist(panel) {
  const protocol = chosenProtocol(panel);
  panel.checklistTitle.textContent = `Single sign-on checklist: Okta, ${protocol.label}`;
  replaceChildren(panel.checklistBody, protocol.checklist(panel.state));
}

function chosenProtocol(panel) {
  return PROTOCOLS.find((protocol) => protocol.key === panel.state.protocol) ?? PROTOCOLS[0];
}

/** The other protocol, when it is set up. */
function otherConnected(panel, protocol) {
  return PROTOCOLS.find((other) => other !== protocol && panel.state.connections[other.key]) ?? null;
}

function testUrl(panel, protocol) {
  return `/sso/start?organization=${encodeURIComponent(panel.state.slug)}&protocol=${protocol.key}&return_to=/%23/organization`;
}

/** The first field of the protocol's form that shows, focused. */
function focusForm(panel, protocol) {
  const inputs = panel.parts[protocol.key].body.querySelectorAll(".input");
  [...inputs].find((input) => !input.closest("[hidden]"))?.focus();
}

// --- the status line: when a sign-in last went through -------------------------------------------

function statusLine(panel, protocol) {
  const connection = panel.state.connections[protocol.key];
  const id = `${protocol.prefix}-status`;
  if (!connection) {
    const other = otherConnected(panel, protocol);
    return [
      h("span", { class: "dot dot-idle", "aria-hidden": "true" }),
      other
        ? h("p", { id }, h("strong", {}, `${protocol.label} is not set up.`), ` People sign in through ${other.label}. To use ${protocol.name} instead, follow the checklist below, then fill in the form.`)
        : h("p", { id }, h("strong", {}, "Single sign-on is not set up."), " People sign in with a password. Follow the checklist below, then fill in the form."),
    ];
  }
  if (connection.testedAt) {
    return [
      h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
      h("p", { id }, h("strong", {}, "Last successful sign-in: ", timeAgoElement(connection.testedAt)), "."),
    ];
  }
  return [
    h("span", { class: "dot dot-warn", "aria-hidden": "true" }),
    h("p", { id }, h("strong", {}, "No sign-in yet \u2014 test it"), " with Test sign-in below."),
  ];
}

// --- the connection, as it is ------------------------------------------------------------------------

function connectionView(panel, protocol) {
  const connection = panel.state.connections[protocol.key];
  const part = panel.parts[protocol.key];
  const edit = button("Edit", { class: "btn btn-secondary", "aria-label": `Edit the ${protocol.name} connection` });
  const remove = button("Remove", { class: "btn btn-danger-outline", "aria-label": `Remove the ${protocol.name} connection` });
  const problem = errorArea();
  edit.addEventListener("click", () => {
    panel.state.editing[protocol.key] = true;
    replaceChildren(part.body);
    drawProtocol(panel, protocol);
    focusForm(panel, protocol);
  });
  remove.addEventListener("click", () => removeConnection(panel, protocol, remove, problem));
  const other = otherConnected(panel, protocol);
  return h(
    "div",
    { class: "sso-connection" },
    h("dl", { class: "facts" }, h("dt", {}, "Protocol"), h("dd", {}, protocol.label), protocol.facts(connection)),
    problem.element,
    h(
      "div",
      { class: "actions" },
      h("a", { class: "btn btn-primary", href: testUrl(panel, protocol), id: `${protocol.prefix}-test` }, "Test sign-in"),
      edit,
      remove,
    ),
    h("p", { class: "hint" }, "Test sign-in signs this browser in as whoever you sign in as at your identity provider, and brings you back here. To stay signed in as yourself, open it in a private window."),
    other ? h("p", { class: "hint" }, bothSetUp(protocol, other)) : null,
  );
}

/** Which protocol "Sign in with SSO" takes when both are set up. */
function bothSetUp(protocol, other) {
  return protocol === PROTOCOLS[0]
    ? `${other.label} is set up too: Sign in with SSO goes through ${protocol.label}.`
    : `${other.label} is set up too: Sign in with SSO goes through it, and only Test sign-in here goes through ${protocol.label}.`;
}

async function removeConnection(panel, protocol, removeButton, problem) {
  const connection = panel.state.connections[protocol.key];
  const other = otherConnected(panel, protocol);
  const confirmed = await confirmDialog({
    title: `Remove the ${protocol.name} connection?`,
    message: other
      ? `Users will then sign in through ${other.label} or with a password: nobody signs in through ${connection.issuer} any more.`
      : `Users will then sign in with passwords only: nobody signs in through ${connection.issuer} any more, until you configure single sign-on again.`,
    confirmLabel: `Remove ${protocol.name} single sign-on`,
  });
  if (!confirmed) return;
  problem.show(null);
  removeButton.disabled = true;
  try {
    const result = await mutate(DELETE, { id: connection.id }, "deleteSsoConnection");
    if (result.error) {
      problem.show(result.error.message);
      removeButton.disabled = false;
      return;
    }
    panel.state.connections[protocol.key] = null;
    panel.state.editing[protocol.key] = false;
    draw(panel);
    toast(
      other
        ? `${protocol.label} single sign-on removed: users sign in through ${other.label} or with a password.`
        : `${protocol.label} single sign-on removed: users sign in with passwords only.`,
    );
    focusForm(panel, protocol);
  } catch (error) {
    problem.show(describeError(error));
    removeButton.disabled = false;
  }
}

// --- the form: a new connection, or changes to the one there is --------------------------------------

/** The protocol's fields (protocol.form) in a form with its error area, Connect and Cancel. */
function connectionForm(panel, protocol) {
  const current = panel.state.connections[protocol.key];
  const fields = protocol.form(panel.state, current);
  const problem = errorArea();
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, current ? "Update connection" : "Connect");
  const cancel = current ? button("Cancel", { class: "btn btn-secondary" }) : null;
  const element = h(
    "form",
    {
      class: "form sso-form",
      novalidate: true,
      "aria-label": current ? `Change the ${protocol.name} connection` : `Set up single sign-on through ${protocol.name}`,
    },
    fields.element,
    problem.element,
    h("div", { class: "actions" }, submit, cancel),
  );
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    configure(panel, protocol, { fields, problem, submit });
  });
  cancel?.addEventListener("click", () => {
    panel.state.editing[protocol.key] = false;
    drawProtocol(panel, protocol);
    panel.parts[protocol.key].body.querySelector("button[aria-label^='Edit']")?.focus();
  });
  return element;
}

function configureMutation(protocol) {
  const operation = protocol.mutation[0].toUpperCase() + protocol.mutation.slice(1);
  return `
    mutation ${operation}($input: ${protocol.inputType}!) {
      ${protocol.mutation}(input: $input) {
        ${ERROR_FIELDS}
        ... on SsoConnectionPayload { connection { ${CONNECTION_FIELDS} } }
      }
    }
  `;
}

async function configure(panel, protocol, { fields, problem, submit }) {
  fields.clearErrors();
  problem.show(null);
  const input = fields.values();
  if (!input) return;
  const wasNew = !panel.state.connections[protocol.key];
  submit.disabled = true;
  submit.setAttribute("aria-busy", "true");
  try {
    const result = await mutate(configureMutation(protocol), { input }, protocol.mutation);
    if (result.error) {
      const where = fields.fieldFor(result.error.field);
      if (where) {
        where.setError(result.error.message);
        where.control.focus();
      } else {
        problem.show(result.error.message);
      }
      return;
    }
    panel.state.connections[protocol.key] = result.ok.connection;
    panel.state.editing[protocol.key] = false;
    draw(panel);
    toast(
      wasNew
        ? `Single sign-on through ${protocol.name} is set up. Press Test sign-in to check it.`
        : `${protocol.label} connection updated. Press Test sign-in to check it.`,
    );
    document.getElementById(`${protocol.prefix}-test`)?.focus();
  } catch (error) {
    problem.show(describeError(error));
  } finally {
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }
}
