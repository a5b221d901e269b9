// The SCIM integration (base URL, tokens, the one-time token) and Okta's setup checklist.

import { gql, mutate, describeError, ERROR_FIELDS, TOKEN_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren, button } from "../dom.js";
import { section, loading, failure, toast, copyField, copyButton, timeAgoElement, table, row, badge, notice, openDialog, confirmDialog } from "../ui.js";
import { formatDateTime, parseDate } from "../format.js";

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
  const state = { setup: null, tokens: null, setupError: null, tokensError: null };

  const status = h("div", { class: "connection" });
  const baseUrl = h("div", {});
  const oneTimeSlot = h("div", {});
  const tokens = h("div", {}, manage ? loading("Loading tokens…") : null);
  const generate = h("button", { type: "button", class: "btn btn-primary", onclick: () => generateToken() }, "Generate new token");

  const integration = section(
    {
      title: "SCIM integration",
      id: "scim-integration",
      intro: "Okta creates, updates and deactivates Roster users over SCIM 2.0, with a token you generate here.",
      actions: manage ? [generate] : [],
    },
    manage ? status : null,
    baseUrl,
    oneTimeSlot,
    manage
      ? h("div", { class: "subsection" }, h("h3", {}, "Tokens"), tokens)
      : notice("Only super admins can generate and revoke SCIM tokens.", "info"),
  );
  const checklistBody = h("div", {}, loading());
  const checklist = section(
    {
      title: "Okta setup checklist",
      id: "okta-setup",
      intro: "Connect an Okta app integration to Roster, step by step, with the exact values to use.",
    },
    checklistBody,
  );
  const element = h("div", { class: "stack" }, integration, checklist);

  // --- loading -----------------------------------------------------------------------------

  async function loadSetup() {
    try {
      state.setup = (await gql(SETUP)).scimSetup;
      state.setupError = null;
    } catch (error) {
      state.setupError = error;
    }
  }

  async function loadTokens() {
    if (!manage) return;
    try {
      state.tokens = (await gql(TOKENS)).scimTokens;
      state.tokensError = null;
    } catch (error) {
      state.tokensError = error;
    }
  }

  async function refreshTokens() {
    await loadTokens();
    draw();
  }

  function draw() {
    drawBaseUrl();
    if (manage) {
      drawStatus();
      drawTokens();
    }
    drawChecklist();
  }

  // --- the status line: when Okta last connected ---------------------------------------------

  function drawStatus() {
    if (!state.tokens) {
      replaceChildren(status);
      return;
    }
    const active = state.tokens.filter((t) => !t.revokedAt);
    const used = active.filter((t) => t.lastUsedAt).sort((a, b) => parseDate(b.lastUsedAt) - parseDate(a.lastUsedAt));
    if (used.length) {
      const latest = used[0];
      replaceChildren(
        status,
        h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
        h("p", { id: "connection-status" }, h("strong", {}, "Okta last connected ", timeAgoElement(latest.lastUsedAt)), ` (token \u201c${latest.name}\u201d).`),
      );
    } else if (state.tokens.length && !active.length) {
      replaceChildren(
        status,
        h("span", { class: "dot dot-warn", "aria-hidden": "true" }),
        h("p", { id: "connection-status" }, h("strong", {}, "No active token."), " Every token is revoked: Okta cannot connect until you generate a new one."),
      );
    } else {
      replaceChildren(
        status,
        h("span", { class: "dot dot-idle", "aria-hidden": "true" }),
        h("p", { id: "connection-status" }, h("strong", {}, "No identity provider has connected yet."), " Follow the checklist below to connect Okta."),
      );
    }
  }

  function drawBaseUrl() {
    if (state.setup) {
      replaceChildren(
        baseUrl,
        copyField({
          label: "SCIM connector base URL",
          value: state.setup.baseUrl,
          what: "SCIM base URL",
          id: "scim-base-url",
          hint: "Okta needs it in Provisioning > Integration > SCIM connector base URL.",
        }),
      );
    } else if (state.setupError) {
      replaceChildren(baseUrl, failure(state.setupError, () => loadSetup().then(draw)));
    }
  }

  // --- the token list --------------------------------------------------------------------------

  function drawTokens() {
    if (state.tokensError) {
      replaceChildren(tokens, failure(state.tokensError, refreshTokens));
      return;
    }
    if (!state.tokens) return;
    const rows = state.tokens.map((token) => {
      const revoked = Boolean(token.revokedAt);
      const rowError = h("p", { class: "field-error", role: "alert", hidden: true });
      const actions = revoked
        ? h("span", { class: "muted" }, "—")
        : [
            h("button", {
              type: "button",
              class: "btn btn-danger-outline btn-small",
              "aria-label": `Revoke token ${token.name} (${token.prefix})`,
              onclick: (event) => revoke(token, event.currentTarget, rowError),
            }, "Revoke"),
            rowError,
          ];
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
          actions,
        ],
        { class: revoked ? "is-revoked" : null, dataset: { tokenId: token.id } },
      );
    });
    replaceChildren(
      tokens,
      table({
        caption: "SCIM tokens",
        columns: TOKEN_COLUMNS,
        rows,
        className: "tokens-table",
        emptyText: "No tokens yet. Generate one for Okta.",
      }),
    );
  }

  async function revoke(token, revokeButton, rowError) {
    const confirmed = await confirmDialog({
      title: `Revoke \u201c${token.name}\u201d?`,
      message: `Whatever uses ${token.prefix}… (such as Okta) is refused at once and stops provisioning users until it is given a new token. This cannot be undone.`,
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
      await refreshTokens();
      generate.focus();
    } catch (error) {
      rowError.textContent = describeError(error);
      rowError.hidden = false;
      revokeButton.disabled = false;
    }
  }

  // --- generating a token: it is shown once, kept only in this panel --------------------------------

  function generateToken() {
    const name = field({
      label: "Token name",
      control: h("input", { type: "text", class: "input", name: "name", value: "Okta", maxlength: 200, required: true, autocomplete: "off" }),
      hint: "To recognise it later in the token list and the activity log, e.g. the identity provider that uses it.",
    });
    const problem = errorArea();
    openDialog({
      title: "Generate a SCIM token",
      description: "The new token is shown once, right after you generate it. Have Okta's Provisioning > Integration page ready.",
      body: [name.element, problem.element],
      submitLabel: "Generate token",
      async onSubmit() {
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
          const input = showOneTimeToken(result.ok.token, result.ok.scimToken);
          setTimeout(() => input.focus(), 0);
          toast(`Token \u201c${result.ok.scimToken.name}\u201d generated. Copy it now: it is shown only once.`);
          refreshTokens();
          return true;
        } catch (error) {
          problem.show(describeError(error));
          return false;
        }
      },
    });
  }

  function hideOneTimeToken() {
    const input = oneTimeSlot.querySelector("input");
    if (input) input.value = "";
    replaceChildren(oneTimeSlot);
  }

  function showOneTimeToken(secret, token) {
    hideOneTimeToken();
    const dismiss = button("I have copied it: hide the token", { class: "btn btn-secondary" });
    const panel = h(
      "div",
      { class: "onetime", role: "region", "aria-labelledby": "onetime-title" },
      h("h3", { id: "onetime-title" }, `Your new token \u201c${token.name}\u201d`),
      h(
        "p",
        { class: "onetime-warning" },
        h("strong", {}, "Copy it now: it will not be shown again. "),
        "Roster keeps only a fingerprint of it. Paste it into Okta's API Token field; if it is lost, generate a new token and revoke this one.",
      ),
      copyField({ label: "SCIM token (shown once)", value: secret, what: "SCIM token", id: "new-scim-token" }),
      h("div", { class: "actions" }, dismiss),
    );
    dismiss.addEventListener("click", () => {
      hideOneTimeToken();
      toast("The token is hidden. It cannot be shown again.", "info");
      generate.focus();
    });
    replaceChildren(oneTimeSlot, panel);
    return panel.querySelector("input");
  }

  // --- Okta's setup checklist -----------------------------------------------------------------

  function step(title, done, ...content) {
    const status = done === null ? null : done ? badge("Done", "success") : badge("To do", "neutral");
    return h(
      "li",
      { class: "step" },
      h("div", { class: "step-header" }, h("h3", {}, title), status),
      content,
    );
  }

  function valueRow(label, value, copy = true) {
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, label),
      h("td", {}, h("code", { class: "value" }, value)),
      h("td", { class: "col-actions" }, copy ? copyButton(value, `${label.toLowerCase()} \u201c${value}\u201d`, { small: true }) : null),
    );
  }

  function drawChecklist() {
    const setup = state.setup;
    if (!setup) {
      if (state.setupError) replaceChildren(checklistBody, failure(state.setupError, () => loadSetup().then(draw)));
      return;
    }
    const tracked = manage && state.tokens !== null;
    const activeTokens = tracked ? state.tokens.filter((t) => !t.revokedAt) : [];
    const hasToken = tracked ? activeTokens.length > 0 : null;
    const connected = tracked ? activeTokens.some((t) => t.lastUsedAt) : null;

    const attributeTable = h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table values-table" },
        h("caption", { class: "sr-only" }, "The permissionsRole attribute in Okta's Profile Editor"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Okta field"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Copy")))),
        h(
          "tbody",
          {},
          valueRow("Data type", setup.dataType, false),
          valueRow("Display name", setup.displayName),
          valueRow("Variable name", setup.variableName),
          valueRow("External name", setup.externalName),
          valueRow("External namespace", setup.externalNamespace),
          valueRow("Attribute type", setup.attributeType, false),
        ),
      ),
    );

    const roleRows = setup.roleStrings.map((role) =>
      h(
        "tr",
        {},
        h("td", { "data-label": "Role" }, role.name),
        h("td", { "data-label": "Type in Okta" }, h("code", { class: "value" }, role.value)),
        h("td", { class: "col-actions", "data-label": "Copy" }, copyButton(role.value, `role string \u201c${role.value}\u201d`, { small: true })),
      ),
    );
    const roleTable = h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table role-strings" },
        h("caption", { class: "sr-only" }, "Role strings to type into Okta's group assignments"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Role"), h("th", { scope: "col" }, "Type in Okta"), h("th", { scope: "col", class: "col-actions" }, h("span", { class: "sr-only" }, "Copy")))),
        h("tbody", {}, roleRows),
      ),
    );

    replaceChildren(
      checklistBody,
      h(
        "ol",
        { class: "steps" },
        step(
          "Generate a SCIM token",
          hasToken,
          h("p", {}, manage ? "Use \u201cGenerate new token\u201d above and keep the token at hand for the next step." : "A super admin generates it on this page and gives it to whoever configures Okta."),
        ),
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
          ),
        ),
        step(
          "In Okta: add the permissionsRole attribute",
          null,
          h("p", {}, "Open Directory > Profile Editor, choose the app's user profile, press Add Attribute and enter exactly:"),
          attributeTable,
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
            "Users assigned to the app individually, not through a group, get no role from Okta: they receive the organization's default role and show as \u201cNo role from Okta\u201d on the Users page.",
          ),
          roleTable,
        ),
      ),
    );
  }

  const ready = (async () => {
    await Promise.all([loadSetup(), loadTokens()]);
    draw();
  })();

  return {
    element,
    ready,
    cleanup() {
      hideOneTimeToken(); // never leave the secret behind in a detached page
    },
  };
}
