// Single sign-on through SAML 2.0, what sso.js needs of it: Roster's values to copy (its ACS URL
// and entity ID, and its metadata to download), the connection's facts, the form's fields (the
// identity provider's metadata, from its URL or pasted) and Okta's checklist.

import { h, field, uid } from "../dom.js";
import { copyField } from "../ui.js";
import { step, valueRow, valuesTable } from "../checklist.js";
import { assignStep, testStep } from "./sso-steps.js";

const ACS_PATH = "/sso/saml/acs";
const METADATA_PATH = "/sso/saml/metadata";
const OKTA_METADATA_EXAMPLE = "https://acme.okta.com/app/exk\u2026/sso/saml/metadata";

export const saml = {
  key: "saml", // the connection's `protocol`
  label: "SAML 2.0", // the tab's
  name: "SAML", // in sentences
  prefix: "saml", // of the ids of the status line and Test sign-in
  mutation: "configureSamlConnection",
  inputType: "SamlConnectionInput",
  values,
  facts,
  form,
  checklist,
};

// Before there is a connection, built as the server builds them (api/context.py).
function acsUrl(state) {
  return state.connections.saml?.redirectUri ?? `${state.publicUrl}${ACS_PATH}`;
}

function entityId(state) {
  return state.connections.saml?.spEntityId ?? `${state.publicUrl}${METADATA_PATH}?organization=${state.slug}`;
}

/** Roster's values for the identity provider, and its metadata, which holds both. */
function values(state) {
  return [
    copyField({
      label: "ACS URL",
      value: acsUrl(state),
      what: "ACS URL",
      id: "saml-acs-url",
      hint: "Where your identity provider posts its answer (the assertion consumer service): Okta's \u201cSingle sign-on URL\u201d, also its Recipient and Destination URL.",
    }),
    copyField({
      label: "Audience URI (SP Entity ID)",
      value: entityId(state),
      what: "audience URI",
      id: "saml-entity-id",
      hint: "Roster's name as a service provider, which every assertion must give as its audience: Okta's \u201cAudience URI (SP Entity ID)\u201d.",
    }),
    h(
      "div",
      { class: "field sso-download" },
      h(
        "a",
        {
          class: "btn btn-secondary btn-small",
          id: "saml-metadata-download",
          href: `${METADATA_PATH}?organization=${encodeURIComponent(state.slug)}`,
          download: `roster-${state.slug}-saml-metadata.xml`,
          "aria-describedby": "saml-metadata-download-hint",
        },
        "Download Roster's SAML metadata",
      ),
      h("p", { class: "hint", id: "saml-metadata-download-hint" }, "Both values above in one file, for an identity provider that reads a service provider's metadata (Okta does not need it)."),
    ),
  ];
}

/** The connection's rows of the facts list. */
function facts(connection) {
  return [
    h("dt", {}, "Identity provider entity ID"),
    h("dd", { id: "saml-issuer" }, h("code", {}, connection.issuer)),
    h("dt", {}, "Identity provider SSO URL"),
    h("dd", { id: "saml-sso-url" }, h("code", {}, connection.ssoUrl ?? "")),
    h("dt", {}, "Metadata"),
    connection.metadataUrl
      ? h(
          "dd",
          { id: "saml-metadata" },
          h("code", {}, connection.metadataUrl),
          " ",
          h("span", { class: "muted small" }, "(read when the connection was saved: Edit, then Update connection, reads it again)"),
        )
      : h(
          "dd",
          { id: "saml-metadata" },
          "Pasted",
          " ",
          h("span", { class: "muted small" }, "(no URL to read it from: paste it again when the provider's signing certificate changes)"),
        ),
  ];
}

/** The form's fields: where the metadata comes from (its URL, or pasted), and that. */
function form(state, current) {
  const choice = uid("saml-metadata-source");
  const fromUrl = h("input", { type: "radio", name: choice, value: "url", id: `${choice}-url`, checked: !current || Boolean(current.metadataUrl) });
  const pasted = h("input", { type: "radio", name: choice, value: "xml", id: `${choice}-xml`, checked: Boolean(current) && !current.metadataUrl });
  const source = h(
    "fieldset",
    { class: "choices" },
    h("legend", {}, "The identity provider's metadata"),
    h(
      "div",
      { class: "choice-row" },
      h("div", { class: "check" }, fromUrl, h("label", { for: fromUrl.id }, "Read it from its URL")),
      h("div", { class: "check" }, pasted, h("label", { for: pasted.id }, "Paste the XML")),
    ),
  );
  const url = field({
    label: "Metadata URL",
    control: h("input", { type: "url", name: "metadataUrl", class: "input mono", value: current?.metadataUrl ?? "", placeholder: OKTA_METADATA_EXAMPLE, autocomplete: "off", spellcheck: "false", required: true }),
    hint: "Okta: the app's Sign On tab, \u201cMetadata URL\u201d. Roster reads it when you press Connect.",
  });
  const xml = field({
    label: "Metadata XML",
    control: h("textarea", { name: "metadataXml", class: "input mono", rows: "8", autocomplete: "off", spellcheck: "false", required: true, placeholder: "<md:EntityDescriptor entityID=\u2026>" }),
    hint: current && !current.metadataUrl
      ? "Paste the metadata again to change the connection: Roster does not show the copy it keeps."
      : "The whole document your identity provider gives, for one that publishes no URL Roster can read.",
  });
  const showChosen = () => {
    url.element.hidden = !fromUrl.checked;
    xml.element.hidden = fromUrl.checked;
  };
  fromUrl.addEventListener("change", showChosen);
  pasted.addEventListener("change", showChosen);
  showChosen();
  const byField = { metadata_url: url, metadataUrl: url, metadata_xml: xml, metadataXml: xml };
  return {
    element: [source, h("div", { class: "form-grid" }, url.element, xml.element)],
    clearErrors() {
      url.setError(null);
      xml.setError(null);
    },
    /** The input (only the chosen one of the two), or null (the field marked and focused). */
    values() {
      const [which, value, message] = fromUrl.checked
        ? [url, url.control.value.trim(), "Enter the metadata URL: Okta's, from the app's Sign On tab."]
        : [xml, xml.control.value.trim(), "Paste the identity provider's metadata XML."];
      if (value) return fromUrl.checked ? { metadataUrl: value } : { metadataXml: value };
      which.setError(message);
      which.control.focus();
      return null;
    },
    /** The field an error names, when it shows. */
    fieldFor(name) {
      const which = byField[name];
      return which && !which.element.hidden ? which : null;
    },
  };
}

// --- Okta's checklist -------------------------------------------------------------------------------

function checklist(state) {
  const connection = state.connections.saml;
  return h(
    "ol",
    { class: "steps", id: "okta-saml-setup", "aria-label": "Okta single sign-on steps, SAML 2.0" },
    step(
      "In Okta: create a SAML 2.0 app integration",
      null,
      h("p", {}, "In the Okta Admin Console, open Applications > Applications, press ", h("strong", {}, "Create App Integration"), " and choose:"),
      valuesTable("Okta's Create a new app integration dialog", "Okta field", [valueRow("Sign-in method", "SAML 2.0", { copy: false })], "okta-saml-create"),
      h("p", {}, "Then press ", h("strong", {}, "Next"), "."),
    ),
    step(
      "In Okta: General Settings",
      null,
      valuesTable("The SAML app's General Settings in Okta", "Okta field", [valueRow("App name", "Roster", { what: "app name" })], "okta-saml-general"),
      h("p", {}, "The name is only what Okta shows; any name will do. Then press ", h("strong", {}, "Next"), "."),
    ),
    step(
      "In Okta: Configure SAML",
      null,
      h("p", {}, "Under SAML Settings, enter exactly:"),
      valuesTable("The SAML settings in Okta", "Okta field", [
        valueRow("Single sign-on URL", acsUrl(state), { what: "single sign-on URL (ACS URL)" }),
        valueRow("Use this for Recipient URL and Destination URL", "Checked", { copy: false }),
        valueRow("Audience URI (SP Entity ID)", entityId(state), { what: "audience URI (SP entity ID)" }),
        valueRow("Name ID format", "EmailAddress", { copy: false }),
        valueRow("Application username", "Email", { copy: false }),
      ], "okta-saml-settings"),
      h("p", {}, "Under ", h("strong", {}, "Attribute Statements"), ", add one:"),
      valuesTable("The attribute statement in Okta", "Okta field", [
        valueRow("Name", "email", { what: "attribute name \u201cemail\u201d" }),
        valueRow("Name format", "Unspecified", { copy: false }),
        valueRow("Value", "user.email", { what: "attribute value \u201cuser.email\u201d" }),
      ], "okta-saml-attributes"),
      h(
        "p",
        {},
        "Leave ",
        h("strong", {}, "Response"),
        " and ",
        h("strong", {}, "Assertion Signature"),
        " (under Show Advanced Settings) as Okta sets them: ",
        h("code", {}, "Signed"),
        ". Roster refuses a response unless the response or its assertion is signed with the certificate in Okta's metadata.",
      ),
      h("p", {}, "Then press ", h("strong", {}, "Next"), "; on Feedback, choose \u201cI'm an Okta customer adding an internal app\u201d and press ", h("strong", {}, "Finish"), "."),
    ),
    assignStep(),
    step(
      "Copy the Metadata URL into the form above",
      connection !== null,
      h("p", {}, "On the app's ", h("strong", {}, "Sign On"), " tab, under SAML 2.0, press Copy beside ", h("strong", {}, "Metadata URL"), " and paste it into Metadata URL above."),
      h(
        "p",
        {},
        "Then press ",
        h("strong", {}, "Connect"),
        ": Roster reads the metadata at once (Okta's entity ID, sign-in URL and signing certificate) and says what is wrong if it cannot. If Roster cannot reach Okta, open the Metadata URL in your browser and paste the XML instead.",
      ),
    ),
    testStep(connection, ["the ", h("code", {}, "email"), " attribute (or the email NameID)"]),
  );
}
