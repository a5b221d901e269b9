// Single sign-on: the organization's OpenID Connect connection (shown, configured, tested,
// removed) and Okta's setup checklist for it. For super admins (SSO_MANAGE) only.
//
// renderSso() builds the panel's state and its two sections, and loads them; each part is drawn
// again from the state after each change, except the form while it is open.

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren, button } from "../dom.js";
import { section, loading, failure, toast, copyField, timeAgoElement, confirmDialog } from "../ui.js";
import { step, valueRow, valuesTable } from "../checklist.js";

const CONNECTION_FIELDS = `id protocol issuer clientId clientSecretHint redirectUri testedAt createdAt updatedAt`;
const SINGLE_SIGN_ON = `
  query SingleSignOn {
    organization { slug ssoConnections { ${CONNECTION_FIELDS} } }
    scimSetup { baseUrl }
  }
`;
const CONFIGURE = `
  mutation ConfigureOidcConnection($input: OidcConnectionInput!) {
    configureOidcConnection(input: $input) {
      ${ERROR_FIELDS}
      ... on SsoConnectionPayload { connection { ${CONNECTION_FIELDS} } }
    }
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
const CALLBACK_PATH = "/sso/oidc/callback";
const OKTA_EXAMPLE = "https://acme.okta.com";

export function renderSso(context) {
  const panel = {
    state: { connection: null, slug: context.viewer.organization.slug, redirectUri: null, error: null, editing: false },
    status: h("div", { class: "connection" }),
    redirect: h("div", {}),
    body: h("div", {}, loading()),
    checklistBody: h("div", {}, loading()),
  };
  const element = h("div", { class: "stack" }, connectionSection(panel), checklistSection(panel));
  const ready = load(panel).then(() => draw(panel));
  return { element, ready };
}

function connectionSection(panel) {
  return section(
    {
      title: "Single sign-on",
      id: "single-sign-on",
      intro: "People your identity provider provisioned sign in to Roster through it (OpenID Connect), with the role they have here.",
    },
    panel.status,
    panel.redirect,
    panel.body,
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

// --- loading -------------------------------------------------------------------------------------

async function load(panel) {
  try {
    const data = await gql(SINGLE_SIGN_ON);
    const connections = data.organization.ssoConnections;
    panel.state.connection = connections.find((c) => c.protocol === "oidc") ?? null;
    panel.state.slug = data.organization.slug;
    // Before there is a connection, the redirect URI is built as the server builds it: from its
    // public URL, which the SCIM base URL starts with.
    panel.state.redirectUri = panel.state.connection?.redirectUri ?? `${data.scimSetup.baseUrl.replace(/\/scim\/v2\/?$/, "")}${CALLBACK_PATH}`;
    panel.state.error = null;
  } catch (error) {
    panel.state.error = error;
  }
}

function draw(panel) {
  const { error, redirectUri } = panel.state;
  if (error) {
    const retry = () => load(panel).then(() => draw(panel));
    replaceChildren(panel.status);
    replaceChildren(panel.redirect);
    replaceChildren(panel.body, failure(error, retry));
    replaceChildren(panel.checklistBody, failure(error, retry));
    return;
  }
  drawStatus(panel);
  replaceChildren(
    panel.redirect,
    copyField({
      label: "Redirect URI",
      value: redirectUri,
      what: "redirect URI",
      id: "sso-redirect-uri",
      hint: "Where your identity provider sends people back to Roster: Okta's \u201cSign-in redirect URIs\u201d.",
    }),
  );
  if (panel.state.connection && !panel.state.editing) replaceChildren(panel.body, connectionView(panel));
  else if (!panel.body.querySelector("form")) replaceChildren(panel.body, connectionForm(panel).element);
  replaceChildren(panel.checklistBody, oktaChecklist(panel));
}

function testUrl(panel) {
  return `/sso/start?organization=${encodeURIComponent(panel.state.slug)}&return_to=/%23/organization`;
}

// --- the status line: when a sign-in last went through -------------------------------------------

function drawStatus(panel) {
  const { connection } = panel.state;
  let view;
  if (!connection) {
    view = [
      h("span", { class: "dot dot-idle", "aria-hidden": "true" }),
      h("p", { id: "sso-status" }, h("strong", {}, "Single sign-on is not set up."), " People sign in with a password. Follow the checklist below, then fill in the form."),
    ];
  } else if (connection.testedAt) {
    view = [
      h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
      h("p", { id: "sso-status" }, h("strong", {}, "Last successful sign-in: ", timeAgoElement(connection.testedAt)), "."),
    ];
  } else {
    view = [
      h("span", { class: "dot dot-warn", "aria-hidden": "true" }),
      h("p", { id: "sso-status" }, h("strong", {}, "No sign-in yet \u2014 test it"), " with Test sign-in below."),
    ];
  }
  replaceChildren(panel.status, view);
}

// --- the connection, as it is ------------------------------------------------------------------------

function connectionView(panel) {
  const { connection } = panel.state;
  const edit = button("Edit", { class: "btn btn-secondary", "aria-label": "Edit the single sign-on connection" });
  const remove = button("Remove", { class: "btn btn-danger-outline", "aria-label": "Remove the single sign-on connection" });
  const problem = errorArea();
  edit.addEventListener("click", () => {
    panel.state.editing = true;
    replaceChildren(panel.body);
    draw(panel);
    panel.body.querySelector("input")?.focus();
  });
  remove.addEventListener("click", () => removeConnection(panel, remove, problem));
  return h(
    "div",
    { class: "sso-connection" },
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Protocol"),
      h("dd", {}, "OpenID Connect"),
      h("dt", {}, "Issuer"),
      h("dd", { id: "sso-issuer" }, h("code", {}, connection.issuer)),
      h("dt", {}, "Client ID"),
      h("dd", { id: "sso-client-id" }, h("code", {}, connection.clientId ?? "")),
      h("dt", {}, "Client secret"),
      h(
        "dd",
        { id: "sso-client-secret" },
        h("code", {}, connection.clientSecretHint ?? "\u2026"),
        " ",
        h("span", { class: "muted small" }, "(only its last characters: Roster keeps it sealed and never shows it again)"),
      ),
    ),
    problem.element,
    h(
      "div",
      { class: "actions" },
      h("a", { class: "btn btn-primary", href: testUrl(panel), id: "sso-test" }, "Test sign-in"),
      edit,
      remove,
    ),
    h("p", { class: "hint" }, "Test sign-in signs this browser in as whoever you sign in as at your identity provider, and brings you back here. To stay signed in as yourself, open it in a private window."),
  );
}

async function removeConnection(panel, removeButton, problem) {
  const { connection } = panel.state;
  const confirmed = await confirmDialog({
    title: "Remove single sign-on?",
    message: `Users will then sign in with passwords only: nobody signs in through ${connection.issuer} any more, until you configure single sign-on again.`,
    confirmLabel: "Remove single sign-on",
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
    panel.state.connection = null;
    panel.state.editing = false;
    draw(panel);
    toast("Single sign-on removed: users sign in with passwords only.");
    panel.body.querySelector("input")?.focus();
  } catch (error) {
    problem.show(describeError(error));
    removeButton.disabled = false;
  }
}

// --- the form: a new connection, or changes to the one there is --------------------------------------

function connectionForm(panel) {
  const current = panel.state.connection;
  const issuer = field({
    label: "Issuer URL",
    control: h("input", { type: "url", name: "issuer", class: "input mono", value: current?.issuer ?? "", placeholder: OKTA_EXAMPLE, autocomplete: "off", spellcheck: "false", required: true }),
    hint: "Your Okta org URL, e.g. https://acme.okta.com; with a custom authorization server, its Issuer URI (Okta: Security > API).",
  });
  const clientId = field({
    label: "Client ID",
    control: h("input", { type: "text", name: "clientId", class: "input mono", value: current?.clientId ?? "", autocomplete: "off", spellcheck: "false", required: true }),
  });
  const secret = field({
    label: "Client secret",
    control: h("input", { type: "password", name: "clientSecret", class: "input mono", autocomplete: "off", spellcheck: "false", required: !current }),
    hint: current
      ? `Leave it empty to keep the current secret (${current.clientSecretHint ?? "\u2026"}).`
      : "Roster keeps it sealed and never shows it again, only its last characters.",
  });
  const problem = errorArea();
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, current ? "Update connection" : "Connect");
  const cancel = current ? button("Cancel", { class: "btn btn-secondary" }) : null;
  const element = h(
    "form",
    { class: "form sso-form", novalidate: true, "aria-label": current ? "Change the single sign-on connection" : "Set up single sign-on" },
    h("div", { class: "form-grid" }, issuer.element, clientId.element),
    h("div", { class: "form-grid" }, secret.element),
    problem.element,
    h("div", { class: "actions" }, submit, cancel),
  );
  const form = { element, issuer, clientId, secret, problem, submit };
  element.addEventListener("submit", (event) => {
    event.preventDefault();
    configure(panel, form);
  });
  cancel?.addEventListener("click", () => {
    panel.state.editing = false;
    draw(panel);
    panel.body.querySelector("button[aria-label^='Edit']")?.focus();
  });
  return form;
}

/** The form's values, or null (with the first field that is missing marked and focused). */
function formValues(panel, { issuer, clientId, secret }) {
  const values = { issuer: issuer.control.value.trim(), clientId: clientId.control.value.trim(), clientSecret: secret.control.value || null };
  const missing = [
    [issuer, values.issuer, "Enter the issuer URL, e.g. https://acme.okta.com."],
    [clientId, values.clientId, "Enter the client ID."],
    [secret, panel.state.connection ? "kept" : values.clientSecret, "Enter the client secret."],
  ].filter(([, value]) => !value);
  for (const [which, , message] of missing) which.setError(message);
  if (!missing.length) return values;
  missing[0][0].control.focus();
  return null;
}

async function configure(panel, form) {
  const { issuer, clientId, secret, problem, submit } = form;
  for (const which of [issuer, clientId, secret]) which.setError(null);
  problem.show(null);
  const input = formValues(panel, form);
  if (!input) return;
  const wasNew = !panel.state.connection;
  submit.disabled = true;
  submit.setAttribute("aria-busy", "true");
  try {
    const result = await mutate(CONFIGURE, { input }, "configureOidcConnection");
    if (result.error) {
      const byField = { issuer, clientId, client_id: clientId, clientSecret: secret, client_secret: secret };
      const where = byField[result.error.field];
      if (where) {
        where.setError(result.error.message);
        where.control.focus();
      } else {
        problem.show(result.error.message);
      }
      return;
    }
    secret.control.value = "";
    panel.state.connection = result.ok.connection;
    panel.state.redirectUri = result.ok.connection.redirectUri;
    panel.state.editing = false;
    draw(panel);
    toast(wasNew ? "Single sign-on is set up. Press Test sign-in to check it." : "Single sign-on connection updated. Press Test sign-in to check it.");
    document.getElementById("sso-test")?.focus();
  } catch (error) {
    problem.show(describeError(error));
  } finally {
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }
}

// --- Okta's checklist -------------------------------------------------------------------------------

function oktaChecklist(panel) {
  const { connection, redirectUri } = panel.state;
  return h(
    "ol",
    { class: "steps", id: "okta-sso-setup", "aria-label": "Okta single sign-on steps" },
    step(
      "In Okta: create an OIDC app integration",
      null,
      h("p", {}, "In the Okta Admin Console, open Applications > Applications, press ", h("strong", {}, "Create App Integration"), " and choose:"),
      valuesTable("Okta's Create a new app integration dialog", "Okta field", [
        valueRow("Sign-in method", "OIDC - OpenID Connect", { copy: false }),
        valueRow("Application type", "Web Application", { copy: false }),
      ], "okta-oidc-create"),
      h("p", {}, "Then press ", h("strong", {}, "Next"), "."),
    ),
    step(
      "In Okta: the new app's settings",
      null,
      h("p", {}, "In New Web App Integration, enter exactly:"),
      valuesTable("The new web app integration's settings in Okta", "Okta field", [
        valueRow("App integration name", "Roster", { what: "app integration name" }),
        valueRow("Grant type", [h("code", { class: "value" }, "Authorization Code"), " only: leave the others unchecked"], { copy: false, text: true }),
        valueRow("Sign-in redirect URIs", redirectUri, { what: "sign-in redirect URI" }),
        valueRow("Sign-out redirect URIs", "None needed: remove Okta's example", { copy: false, text: true }),
      ], "okta-oidc-settings"),
      h("p", {}, "The name is only what Okta shows; any name will do. Then press ", h("strong", {}, "Save"), "."),
    ),
    step(
      "In Okta: assign the same people and groups as for provisioning",
      null,
      h(
        "p",
        {},
        "On the new app's ",
        h("strong", {}, "Assignments"),
        " tab, assign the same people and groups as to the app that provisions Roster (above). Only users provisioned by SCIM can sign in: anyone else Okta signs in is refused, with a page saying their administrator has not assigned them Roster.",
      ),
    ),
    step(
      "Copy the client ID, the client secret and the issuer into the form above",
      connection !== null,
      h("p", {}, "On the app's ", h("strong", {}, "General"), " tab, under Client Credentials and Client secrets:"),
      h(
        "ul",
        { class: "checks" },
        h("li", {}, h("strong", {}, "Client ID"), ": paste it into Client ID above."),
        h("li", {}, h("strong", {}, "Client secret"), ": paste it into Client secret above."),
        h(
          "li",
          {},
          h("strong", {}, "Issuer URL"),
          ": your Okta org URL, e.g. ",
          h("code", {}, OKTA_EXAMPLE),
          ". With a custom authorization server, its Issuer URI instead, shown under Security > API.",
        ),
      ),
      h("p", {}, "Then press ", h("strong", {}, "Connect"), ": Roster reads the issuer's OpenID configuration at once and says what is wrong if it cannot."),
    ),
    step(
      "Press Test sign-in",
      connection ? Boolean(connection.testedAt) : false,
      h(
        "p",
        {},
        "Press ",
        h("strong", {}, "Test sign-in"),
        " above and sign in at Okta as a person assigned to the app. You come back to this page signed in as them, and the status above shows the last successful sign-in.",
      ),
      h(
        "p",
        { class: "muted" },
        "Roster matches the ",
        h("code", {}, "email"),
        " claim Okta sends to the provisioned user's userName (or, failing that, their email), so only users provisioned by SCIM can sign in, with the role they have in Roster.",
      ),
    ),
  );
}
