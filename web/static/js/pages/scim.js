// The SCIM integration (base URL, tokens, the one-time token), pausing provisioning
// (js/pages/provisioning-pause.js), mass-deactivation protection
// (js/pages/deprovisioning-guard.js) and the setup checklists of Okta and Microsoft Entra ID, one
// tab each.
//
// renderScim() builds the panel's state and its two sections, and loads them; each part of a
// section has its view (drawn again from the state after each change), and generating and
// revoking a token have a flow each.

import { gql, mutate, describeError, ERROR_FIELDS, TOKEN_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren, button, uid } from "../dom.js";
import { section, loading, failure, toast, copyField, copyButton, timeAgoElement, table, row, badge, notice, openDialog, confirmDialog, onTabKeys } from "../ui.js";
import { formatDateTime, parseDate } from "../format.js";
import { step, valueRow, valuesTable } from "../checklist.js";
import { renderProvisioningPause } from "./provisioning-pause.js";
import { renderDeprovisioningGuard } from "./deprovisioning-guard.js";

const SETUP = `
  query ScimSetup {
    scimSetup {
      baseUrl dataType displayName variableName externalName externalNamespace attributeType
      roleStrings { value name }
    }
  }
`;
const TOKENS = `query ScimTokens { scimTokens { ${TOKEN_FIELDS} } }`;
const GENERATE = `
  mutation GenerateScimToken($name: String!) {
    generateScimToken(name: $name) {
      ${ERROR_FIELDS}
      ... on GenerateScimTokenPayload { token scimToken { ${TOKEN_FIELDS} } }
    }
  }
`;
const REVOKE = `
  mutation RevokeScimToken($id: ID!) {
    revokeScimToken(id: $id) {
      ${ERROR_FIELDS}
      ... on RevokeScimTokenPayload { scimToken { ${TOKEN_FIELDS} } }
    }
  }
`;

const TOKEN_COLUMNS = [
  { label: "Name" },
  { label: "Prefix" },
  { label: "Created by" },
  { label: "Created" },
  { label: "Last used" },
  { label: "Status" },
  { label: "Actions", className: "col-actions" },
];

export function renderScim(context) {
  const manage = context.can("SCIM_TOKENS_MANAGE");
  const panel = {
    manage,
    state: { setup: null, tokens: null, setupError: null, tokensError: null, provider: "okta" },
    status: h("div", { class: "connection" }),
    baseUrl: h("div", {}),
    oneTimeSlot: h("div", {}),
    tokens: h("div", {}, manage ? loading("Loading tokens…") : null),
    generate: h("button", { type: "button", class: "btn btn-primary", onclick: () => generateToken(panel) }, "Generate new token"),
    checklistBody: h("div", {}, loading()),
  };
  const pause = renderProvisioningPause(context);
  const guard = renderDeprovisioningGuard(context);
  const element = h("div", { class: "stack" }, integrationSection(panel), pause.element, guard.element, checklistSection(panel));

  const ready = (async () => {
    await Promise.all([loadSetup(panel), loadTokens(panel), pause.ready, guard.ready]);
    draw(panel);
  })();

  return {
    element,
    ready,
    cleanup() {
      hideOneTimeToken(panel); // never leave the secret behind in a detached page
    },
  };
}

function integrationSection(panel) {
  const { manage } = panel;
  return section(
    {
      title: "SCIM integration",
      id: "scim-integration",
      intro: "Your identity provider (Okta or Microsoft Entra ID) creates, updates and deactivates Roster users and groups over SCIM 2.0, with a token you generate here.",
      actions: manage ? [panel.generate] : [],
    },
    manage ? panel.status : null,
    panel.baseUrl,
    panel.oneTimeSlot,
    manage
      ? h("div", { class: "subsection" }, h("h3", {}, "Tokens"), panel.tokens)
      : notice("Only super admins can generate and revoke SCIM tokens.", "info"),
  );
}

function checklistSection(panel) {
  return section(
    {
      title: "Setup checklist",
      id: "idp-setup",
      intro: "Connect your identity provider to Roster, step by step, with the exact values to use.",
    },
    panel.checklistBody,
  );
}

// --- loading -------------------------------------------------------------------------------------

async function loadSetup(panel) {
  try {
    panel.state.setup = (await gql(SETUP)).scimSetup;
    panel.state.setupError = null;
  } catch (error) {
    panel.state.setupError = error;
  }
}

async function loadTokens(panel) {
  if (!panel.manage) return;
  try {
    panel.state.tokens = (await gql(TOKENS)).scimTokens;
    panel.state.tokensError = null;
  } catch (error) {
    panel.state.tokensError = error;
  }
}

async function refreshTokens(panel) {
  await loadTokens(panel);
  draw(panel);
}

function draw(panel) {
  drawBaseUrl(panel);
  if (panel.manage) {
    drawStatus(panel);
    drawTokens(panel);
  }
  drawChecklist(panel);
}

function retrySetup(panel) {
  return () => loadSetup(panel).then(() => draw(panel));
}

// --- the status line: when the identity provider last connected ----------------------------------

function drawStatus(panel) {
  const { tokens } = panel.state;
  replaceChildren(panel.status, tokens ? statusView(tokens) : null);
}

function statusView(tokens) {
  const active = tokens.filter((t) => !t.revokedAt);
  const used = active.filter((t) => t.lastUsedAt).sort((a, b) => parseDate(b.lastUsedAt) - parseDate(a.lastUsedAt));
  if (used.length) {
    const latest = used[0];
    return [
      h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
      h("p", { id: "connection-status" }, h("strong", {}, "Identity provider last connected ", timeAgoElement(latest.lastUsedAt)), ` (token \u201c${latest.name}\u201d).`),
    ];
  }
  if (tokens.length && !active.length) {
    return [
      h("span", { class: "dot dot-warn", "aria-hidden": "true" }),
      h("p", { id: "connection-status" }, h("strong", {}, "No active token."), " Every token is revoked: your identity provider cannot connect until you generate a new one."),
    ];
  }
  return [
    h("span", { class: "dot dot-idle", "aria-hidden": "true" }),
    h("p", { id: "connection-status" }, h("strong", {}, "No identity provider has connected yet."), " Follow the checklist below to connect Okta or Microsoft Entra ID."),
  ];
}

function drawBaseUrl(panel) {
  const { setup, setupError } = panel.state;
  if (setup) {
    replaceChildren(
      panel.baseUrl,
      copyField({
        label: "SCIM base URL",
        value: setup.baseUrl,
        what: "SCIM base URL",
        id: "scim-base-url",
        hint: "Okta needs it in Provisioning > Integration > SCIM connector base URL; Microsoft Entra ID in Provisioning > Admin Credentials > Tenant URL.",
      }),
    );
  } else if (setupError) {
    replaceChildren(panel.baseUrl, failure(setupError, retrySetup(panel)));
  }
}

// --- the token list ------------------------------------------------------------------------------

function drawTokens(panel) {
  const { tokens, tokensError } = panel.state;
  if (tokensError) {
    replaceChildren(panel.tokens, failure(tokensError, () => refreshTokens(panel)));
    return;
  }
  if (!tokens) return;
  replaceChildren(
    panel.tokens,
    table({
      caption: "SCIM tokens",
      columns: TOKEN_COLUMNS,
      rows: tokens.map((token) => tokenRow(panel, token)),
      className: "tokens-table",
      emptyText: "No tokens yet. Generate one for your identity provider.",
    }),
  );
}

function tokenRow(panel, token) {
  const revoked = Boolean(token.revokedAt);
  return row(
    TOKEN_COLUMNS,
    [
      h("span", { class: "token-name" }, token.name),
      h("code", {}, `${token.prefix}…`),
      token.createdBy ? token.createdBy.userName : h("span", { class: "muted" }, "Command line"),
      h("time", { datetime: token.createdAt, title: formatDateTime(token.createdAt) }, formatDateTime(token.createdAt)),
      timeAgoElement(token.lastUsedAt),
      revoked
        ? [badge("Revoked", "danger"), " ", h("time", { datetime: token.revokedAt, class: "small muted" }, formatDateTime(token.revokedAt))]
        : badge("Active", "success"),
      revoked ? h("span", { class: "muted" }, "—") : tokenActions(panel, token),
    ],
    { class: revoked ? "is-revoked" : null, dataset: { tokenId: token.id } },
  );
}

function tokenActions(panel, token) {
  const rowError = h("p", { class: "field-error", role: "alert", hidden: true });
  return [
    h("button", {
      type: "button",
      class: "btn btn-danger-outline btn-small",
      "aria-label": `Revoke token ${token.name} (${token.prefix})`,
      onclick: (event) => revoke(panel, token, event.currentTarget, rowError),
    }, "Revoke"),
    rowError,
  ];
}

async function revoke(panel, token, revokeButton, rowError) {
  const confirmed = await confirmDialog({
    title: `Revoke \u201c${token.name}\u201d?`,
    message: `Whatever uses ${token.prefix}… (such as your identity provider) is refused at once and stops provisioning users until it is given a new token. This cannot be undone.`,
    confirmLabel: "Revoke token",
  });
  if (!confirmed) return;
  revokeButton.disabled = true;
  rowError.hidden = true;
  try {
    const result = await mutate(REVOKE, { id: token.id }, "revokeScimToken");
    if (result.error) {
      rowError.textContent = result.error.message;
      rowError.hidden = false;
      revokeButton.disabled = false;
      return;
    }
    toast(`Token \u201c${token.name}\u201d revoked: SCIM requests with it are refused from now on.`);
    await refreshTokens(panel);
    panel.generate.focus();
  } catch (error) {
    rowError.textContent = describeError(error);
    rowError.hidden = false;
    revokeButton.disabled = false;
  }
}

// --- generating a token: it is shown once, kept only in this panel -------------------------------

function generateToken(panel) {
  const name = field({
    label: "Token name",
    control: h("input", { type: "text", class: "input", name: "name", value: "Okta", maxlength: 200, required: true, autocomplete: "off" }),
    hint: "To recognise it later in the token list and the activity log, e.g. the identity provider that uses it (Okta, Entra ID).",
  });
  const problem = errorArea();
  openDialog({
    title: "Generate a SCIM token",
    description: "The new token is shown once, right after you generate it. Have your identity provider's provisioning page ready.",
    body: [name.element, problem.element],
    submitLabel: "Generate token",
    onSubmit: () => issueToken(panel, name, problem),
  });
}

/** Generate the token named in the dialog and show it once; true closes the dialog. */
async function issueToken(panel, name, problem) {
  name.setError(null);
  problem.show(null);
  const value = name.control.value.trim();
  if (!value) {
    name.setError("Give the token a name.");
    name.control.focus();
    return false;
  }
  try {
    const result = await mutate(GENERATE, { name: value }, "generateScimToken");
    if (result.error) {
      if (result.error.field === "name") name.setError(result.error.message);
      else problem.show(result.error.message);
      return false;
    }
    const input = showOneTimeToken(panel, result.ok.token, result.ok.scimToken);
    setTimeout(() => input.focus(), 0);
    toast(`Token \u201c${result.ok.scimToken.name}\u201d generated. Copy it now: it is shown only once.`);
    refreshTokens(panel);
    return true;
  } catch (error) {
    problem.show(describeError(error));
    return false;
  }
}

function hideOneTimeToken(panel) {
  const input = panel.oneTimeSlot.querySelector("input");
  if (input) input.value = "";
  replaceChildren(panel.oneTimeSlot);
}

function showOneTimeToken(panel, secret, token) {
  hideOneTimeToken(panel);
  const dismiss = button("I have copied it: hide the token", { class: "btn btn-secondary" });
  const view = h(
    "div",
    { class: "onetime", role: "region", "aria-labelledby": "onetime-title" },
    h("h3", { id: "onetime-title" }, `Your new token \u201c${token.name}\u201d`),
    h(
      "p",
      { class: "onetime-warning" },
      h("strong", {}, "Copy it now: it will not be shown again. "),
      "Roster keeps only a fingerprint of it. Paste it into Okta's API Token field or Entra ID's Secret Token field; if it is lost, generate a new token and revoke this one.",
    ),
    copyField({ label: "SCIM token (shown once)", value: secret, what: "SCIM token", id: "new-scim-token" }),
    h("div", { class: "actions" }, dismiss),
  );
  dismiss.addEventListener("click", () => {
    hideOneTimeToken(panel);
    toast("The token is hidden. It cannot be shown again.", "info");
    panel.generate.focus();
  });
  replaceChildren(panel.oneTimeSlot, view);
  return view.querySelector("input");
}

// --- the setup checklists: one tab per identity provider ----------------------------------------

const PROVIDERS = [
  { key: "okta", label: "Okta", view: oktaChecklist },
  { key: "entra", label: "Microsoft Entra ID", view: entraChecklist },
];
const ENTRA_EXPRESSION = "SingleAppRoleAssignment([appRoleAssignments])";
const ENTRA_ROLE_TARGET = 'roles[primary eq "True"].value';
const ROLE_EXTENSION_ATTRIBUTE = "urn:ietf:params:scim:schemas:extension:roster:2.0:User:permissionsRole";
const ENTRA_USER_MAPPINGS = [
  ["userName", "userPrincipalName"],
  ["active", 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'],
  ["displayName", "displayName"],
  ['emails[type eq "work"].value', "mail"],
  ["name.givenName", "givenName"],
  ["name.familyName", "surname"],
  ["externalId", "mailNickname"],
];
const ENTRA_GROUP_MAPPINGS = [
  ["displayName", "displayName"],
  ["externalId", "objectId"],
  ["members", "members"],
];

/** The permissionsRole attribute, field by field, as Okta's Profile Editor asks for it. */
function attributeTable(setup) {
  return valuesTable("The permissionsRole attribute in Okta's Profile Editor", "Okta field", [
    valueRow("Data type", setup.dataType, { copy: false }),
    valueRow("Display name", setup.displayName),
    valueRow("Variable name", setup.variableName),
    valueRow("External name", setup.externalName),
    valueRow("External namespace", setup.externalNamespace),
    valueRow("Attribute type", setup.attributeType, { copy: false }),
  ]);
}

/** Entra ID's attribute mappings: Roster's attribute (the target) and where it comes from. */
function mappingTable(caption, mappings) {
  const rows = mappings.map(([target, source]) =>
    h("tr", {}, h("th", { scope: "row" }, h("code", {}, target)), h("td", {}, h("code", { class: "value" }, source))),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table values-table mapping-table" },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Target attribute (Roster)"), h("th", { scope: "col" }, "Source attribute (Entra ID)"))),
      h("tbody", {}, rows),
    ),
  );
}

/** The organization's roles and the string that names each, to type into the identity provider. */
function roleStringsTable(setup, { className, caption, column, what }) {
  const roleRows = setup.roleStrings.map((role) =>
    h(
      "tr",
      {},
      h("td", { "data-label": "Role" }, role.name),
      h("td", { "data-label": column }, h("code", { class: "value" }, role.value)),
      h("td", { class: "col-actions", "data-label": "Copy" }, copyButton(role.value, `${what} \u201c${role.value}\u201d`, { small: true })),
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: `table ${className}` },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, column), h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Copy")))),
      h("tbody", {}, roleRows),
    ),
  );
}

function drawChecklist(panel) {
  const { setup, setupError } = panel.state;
  if (!setup) {
    if (setupError) replaceChildren(panel.checklistBody, failure(setupError, retrySetup(panel)));
    return;
  }
  replaceChildren(panel.checklistBody, providerTabs(panel, setup));
}

/**
 * "Okta | Microsoft Entra ID": the ARIA tabs pattern. The chosen tab is the one in the Tab
 * order; the arrow keys, Home and End move between tabs and show theirs.
 */
function providerTabs(panel, setup) {
  const tabs = [];
  const panels = [];
  const select = (key, focus = false) => {
    panel.state.provider = key;
    PROVIDERS.forEach((provider, index) => {
      const chosen = provider.key === key;
      tabs[index].setAttribute("aria-selected", String(chosen));
      tabs[index].tabIndex = chosen ? 0 : -1;
      panels[index].hidden = !chosen;
      if (chosen && focus) tabs[index].focus();
    });
  };
  PROVIDERS.forEach((provider, index) => {
    const chosen = provider.key === panel.state.provider;
    const tabId = uid(`tab-${provider.key}`);
    const tab = h(
      "button",
      { type: "button", role: "tab", class: "tab", id: tabId, "aria-selected": String(chosen), "aria-controls": `${provider.key}-setup`, tabindex: chosen ? "0" : "-1" },
      provider.label,
    );
    tab.addEventListener("click", () => select(provider.key));
    onTabKeys(tab, index, PROVIDERS.length, (target) => select(PROVIDERS[target].key, true));
    tabs.push(tab);
    panels.push(
      h("div", { role: "tabpanel", class: "tab-panel", id: `${provider.key}-setup`, "aria-labelledby": tabId, tabindex: "0", hidden: !chosen }, provider.view(panel, setup)),
    );
  });
  return [h("div", { class: "tabs", role: "tablist", "aria-label": "Identity provider" }, tabs), panels];
}

/** Whether each tracked step is done: null (no badge) for whoever may not see the tokens. */
function progress(panel) {
  const tracked = panel.manage && panel.state.tokens !== null;
  const activeTokens = tracked ? panel.state.tokens.filter((t) => !t.revokedAt) : [];
  return {
    hasToken: tracked ? activeTokens.length > 0 : null,
    connected: tracked ? activeTokens.some((t) => t.lastUsedAt) : null,
  };
}

function generateStep(panel, hasToken, provider, name) {
  return step(
    "Generate a SCIM token",
    hasToken,
    h(
      "p",
      {},
      panel.manage
        ? ["Use \u201cGenerate new token\u201d above, name it e.g. \u201c", name, "\u201d, and keep the token at hand for the next step."]
        : `A super admin generates it on this page (Settings > Organization > SCIM integration) and gives it to whoever configures ${provider}.`,
    ),
  );
}

// --- Okta -------------------------------------------------------------------------------------------

function oktaChecklist(panel, setup) {
  const { hasToken, connected } = progress(panel);
  return h(
    "ol",
    { class: "steps" },
    generateStep(panel, hasToken, "Okta", "Okta"),
    step(
      "In Okta: Provisioning > Integration",
      connected,
      h("p", {}, "In your Roster app integration in Okta, open Provisioning > Integration, enable API integration, and enter:"),
      h(
        "ul",
        { class: "checks" },
        h("li", {}, "SCIM connector base URL: ", h("code", {}, setup.baseUrl), " ", copyButton(setup.baseUrl, "SCIM base URL", { small: true })),
        h("li", {}, "Unique identifier field for users: ", h("code", {}, "userName")),
        h("li", {}, "Authentication mode: HTTP Header. Paste the token as the API Token (with or without \u201cBearer \u201d)."),
        h("li", {}, "Leave ", h("strong", {}, "Import Groups"), " off."),
        h("li", {}, "Press ", h("strong", {}, "Test API Credentials"), ": Okta should say the app was verified. The status above then shows when Okta last connected."),
      ),
    ),
    step(
      "In Okta: Provisioning > To App",
      null,
      h(
        "ul",
        { class: "checks" },
        h("li", {}, "Enable ", h("strong", {}, "Create Users"), ", ", h("strong", {}, "Update User Attributes"), " and ", h("strong", {}, "Deactivate Users"), "."),
        h("li", {}, "Optional: under To Okta, enable ", h("strong", {}, "Import Users"), " if Okta should read Roster's existing users."),
        h("li", {}, "Optional: push groups with ", h("strong", {}, "Push Groups"), "; they appear on the Groups page, where you can give each group a role."),
      ),
    ),
    step(
      "In Okta: add the permissionsRole attribute",
      null,
      h("p", {}, "Open Directory > Profile Editor, choose the app's user profile, press Add Attribute and enter exactly:"),
      attributeTable(setup),
    ),
    step(
      "In Okta: assign groups with a role",
      null,
      h(
        "p",
        {},
        "Under Assignments > Assign to Groups, assign each group and type its role string into ",
        h("em", {}, setup.displayName),
        ". Built-in role strings are accepted in any letter case; custom role IDs exactly as shown.",
      ),
      h(
        "p",
        { class: "muted" },
        "Users assigned to the app individually, not through a group, get no role from Okta: they receive a pushed group's role or the organization's default role, and on the default show as \u201cDefault (no role given)\u201d on the Users page.",
      ),
      roleStringsTable(setup, { className: "role-strings", caption: "Role strings to type into Okta's group assignments", column: "Type in Okta", what: "role string" }),
    ),
  );
}

// --- Microsoft Entra ID --------------------------------------------------------------------------

function entraChecklist(panel, setup) {
  const { hasToken, connected } = progress(panel);
  return h(
    "ol",
    { class: "steps" },
    generateStep(panel, hasToken, "Microsoft Entra ID", "Entra ID"),
    step(
      "In the Microsoft Entra admin center: create the app and connect it",
      connected,
      h(
        "p",
        {},
        "Open Enterprise applications > New application > Create your own application, name it (e.g. Roster) and choose \u201c",
        h("strong", {}, "Integrate any other application you don't find in the gallery (Non-gallery)"),
        "\u201d. In the new application, open Provisioning and enter:",
      ),
      valuesTable("Provisioning settings in Microsoft Entra ID", "Entra ID field", [
        valueRow("Provisioning Mode", "Automatic", { copy: false, text: true }),
        valueRow("Tenant URL", setup.baseUrl, { what: "Tenant URL" }),
        valueRow("Secret Token", "The token from step 1", { copy: false, text: true }),
      ], "entra-credentials"),
      h(
        "p",
        {},
        "Press ",
        h("strong", {}, "Test Connection"),
        ": Entra ID should say the supplied credentials are authorized to enable provisioning. The status above then shows when it last connected.",
      ),
    ),
    step(
      "In Entra ID: create one app role per Roster role",
      null,
      h(
        "p",
        {},
        "Open App registrations > the app (under All applications) > App roles > Create app role, once for each Roster role you hand out: a display name of your choice, Allowed member types ",
        h("strong", {}, "Users/Groups"),
        ", and as ",
        h("strong", {}, "Value"),
        " the role string below. Built-in role strings are accepted in any letter case; custom role IDs exactly as shown.",
      ),
      roleStringsTable(setup, { className: "app-role-values", caption: "Values of the app roles to create in Microsoft Entra ID", column: "App role value", what: "app role value" }),
    ),
    step(
      "In Entra ID: Mappings > Provision Microsoft Entra ID Users",
      null,
      h("p", {}, "Keep the default mappings, among them:"),
      mappingTable("Default user mappings to keep", ENTRA_USER_MAPPINGS),
      h("p", {}, "Then press ", h("strong", {}, "Add New Mapping"), " and enter:"),
      valuesTable("The mapping that sends each user's app role", "Entra ID field", [
        valueRow("Mapping type", "Expression", { copy: false, text: true }),
        valueRow("Expression", ENTRA_EXPRESSION, { what: "expression" }),
        valueRow("Target attribute", ENTRA_ROLE_TARGET, { what: "target attribute" }),
      ], "entra-role-mapping"),
      h(
        "p",
        { class: "muted" },
        "Alternatively, send the role string from any source attribute or expression to Roster's extension attribute: add it under Show advanced options > Edit attribute list (type ",
        h("strong", {}, "String"),
        "), then map it as the target attribute:",
      ),
      valuesTable("Roster's extension attribute for the role", "Entra ID field", [
        valueRow("Target attribute", ROLE_EXTENSION_ATTRIBUTE, { what: "extension attribute" }),
        valueRow("Type", "String", { copy: false, text: true }),
      ], "entra-extension"),
    ),
    step(
      "In Entra ID: Mappings > Provision Microsoft Entra ID Groups",
      null,
      h("p", {}, "Set ", h("strong", {}, "Enabled"), " to ", h("strong", {}, "Yes"), " and keep these mappings. Groups then appear on the Groups page, where you can give each group a role."),
      mappingTable("Group mappings to keep", ENTRA_GROUP_MAPPINGS),
    ),
    step(
      "In Entra ID: Settings, then assign users and groups",
      null,
      h(
        "ul",
        { class: "checks" },
        h("li", {}, "Scope: ", h("strong", {}, "Sync only assigned users and groups"), " (SingleAppRoleAssignment does not work with \u201cSync all users and groups\u201d)."),
        h("li", {}, "Provisioning Status: ", h("strong", {}, "On"), ", then ", h("strong", {}, "Save"), "."),
        h("li", {}, "Under Users and groups, assign users and groups to the app, each with its app role."),
      ),
      h(
        "p",
        { class: "muted" },
        "Users assigned without an app role (Entra's \u201cDefault Access\u201d) carry no role: they get a group's role or the organization's default role, and on the default show as \u201cDefault (no role given)\u201d on the Users page, as for Okta.",
      ),
    ),
    step(
      "In Entra ID: check with Provision on demand",
      null,
      h("p", {}, "Open Provisioning > Provision on demand and pick an assigned user. Entra ID should show these steps, all green:"),
      h(
        "ul",
        { class: "checks" },
        h("li", {}, "Import user"),
        h("li", {}, "Determine if user is in scope"),
        h("li", {}, "Match user between source and target system"),
        h("li", {}, "Perform action: Create user (or Update user if Roster has it already)"),
      ),
      h(
        "p",
        {},
        "Among the modified attributes, ",
        h("code", {}, ENTRA_ROLE_TARGET),
        " is the value of the user's app role. The user then shows on the Users page with that role and the source \u201cFrom the identity provider\u201d.",
      ),
      h("p", {}, "For a group, pick it and up to 5 of its members: Entra ID creates the group, and it appears on the Groups page with its member count."),
    ),
  );
}
