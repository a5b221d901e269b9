// Single sign-on through OpenID Connect, what sso.js needs of it: Roster's redirect URI to copy,
// the connection's facts, the form's fields and Okta's checklist.

import { h, field } from "../dom.js";
import { copyField } from "../ui.js";
import { step, valueRow, valuesTable } from "../checklist.js";
import { assignStep, testStep } from "./sso-steps.js";

const CALLBACK_PATH = "/sso/oidc/callback";
const OKTA_EXAMPLE = "https://acme.okta.com";

export const oidc = {
  key: "oidc", // the connection's `protocol`
  label: "OpenID Connect", // the tab's
  name: "OpenID Connect", // in sentences
  prefix: "sso", // of the ids of the status line and Test sign-in
  mutation: "configureOidcConnection",
  inputType: "OidcConnectionInput",
  values,
  facts,
  form,
  checklist,
};

function redirectUri(state) {
  return state.connections.oidc?.redirectUri ?? `${state.publicUrl}${CALLBACK_PATH}`;
}

/** Roster's value for the identity provider. */
function values(state) {
  return copyField({
    label: "Redirect URI",
    value: redirectUri(state),
    what: "redirect URI",
    id: "sso-redirect-uri",
    hint: "Where your identity provider sends people back to Roster: Okta's \u201cSign-in redirect URIs\u201d.",
  });
}

/** The connection's rows of the facts list. */
function facts(connection) {
  return [
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
  ];
}

/** The form's fields, for a new connection or changes to `current`. */
function form(state, current) {
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
  const byField = { issuer, clientId, client_id: clientId, clientSecret: secret, client_secret: secret };
  return {
    element: [h("div", { class: "form-grid" }, issuer.element, clientId.element), h("div", { class: "form-grid" }, secret.element)],
    clearErrors() {
      for (const which of [issuer, clientId, secret]) which.setError(null);
    },
    /** The input, or null (with the fields that are missing marked, the first focused). */
    values() {
      const input = { issuer: issuer.control.value.trim(), clientId: clientId.control.value.trim(), clientSecret: secret.control.value || null };
      const missing = [
        [issuer, input.issuer, "Enter the issuer URL, e.g. https://acme.okta.com."],
        [clientId, input.clientId, "Enter the client ID."],
        [secret, current ? "kept" : input.clientSecret, "Enter the client secret."],
      ].filter(([, value]) => !value);
      for (const [which, , message] of missing) which.setError(message);
      if (!missing.length) return input;
      missing[0][0].control.focus();
      return null;
    },
    fieldFor: (name) => byField[name] ?? null,
  };
}

// --- Okta's checklist -------------------------------------------------------------------------------

function checklist(state) {
  const connection = state.connections.oidc;
  return h(
    "ol",
    { class: "steps", id: "okta-sso-setup", "aria-label": "Okta single sign-on steps, OpenID Connect" },
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
        valueRow("Sign-in redirect URIs", redirectUri(state), { what: "sign-in redirect URI" }),
        valueRow("Sign-out redirect URIs", "None needed: remove Okta's example", { copy: false, text: true }),
      ], "okta-oidc-settings"),
      h("p", {}, "The name is only what Okta shows; any name will do. Then press ", h("strong", {}, "Save"), "."),
    ),
    assignStep(),
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
    testStep(connection, ["the ", h("code", {}, "email"), " claim"]),
  );
}
