// Mass-deactivation protection: the circuit breaker that holds the identity provider's
// deactivations and deletes once too many come within its window. While it is open, every
// further one is held too (answered 503 with Retry-After) until an admin confirms them (applied
// as sent, in order) or rejects them (none applied; the same change sent again is held again).
//
// renderDeprovisioningGuard() builds the section's state and loads it; the section is drawn
// again from the state after each change. Confirming and rejecting share one flow, decide();
// the threshold form has its own, save().

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren, uid } from "../dom.js";
import { section, loading, failure, toast, openDialog, timeAgoElement, table, row, badge } from "../ui.js";
import { formatDateTime, parseScimActor, plural } from "../format.js";

const GUARD_FIELDS = `deprovisioningGuard { enabled percent minimum windowMinutes trippedAt }`;
const HELD_FIELDS = `id userId userName kind tokenName heldAt status user { id userName active }`;
const STATE = `query DeprovisioningGuard { organization { ${GUARD_FIELDS} } heldChanges { ${HELD_FIELDS} } }`;
const CONFIRM = `mutation ConfirmHeldChanges { confirmHeldChanges { ${ERROR_FIELDS} ... on HeldChangesPayload { count } } }`;
const REJECT = `mutation RejectHeldChanges { rejectHeldChanges { ${ERROR_FIELDS} ... on HeldChangesPayload { count } } }`;
const SET_GUARD = `
  mutation SetDeprovisioningGuard($enabled: Boolean!, $percent: Int, $minimum: Int, $windowMinutes: Int) {
    setDeprovisioningGuard(enabled: $enabled, percent: $percent, minimum: $minimum, windowMinutes: $windowMinutes) {
      ${ERROR_FIELDS}
      ... on OrganizationPayload { organization { ${GUARD_FIELDS} } }
    }
  }
`;

const KINDS = {
  deactivate: "Deactivate",
  delete: "Delete",
  update: "Update that deactivates (PATCH)",
  replace: "Replace that deactivates (PUT)",
};

const COLUMNS = [{ label: "Person" }, { label: "Change" }, { label: "Sent by" }, { label: "Held" }, { label: "Status" }];

// The form's numbers: their bounds, as the server checks them, and the field names its errors use.
const LIMITS = {
  percent: { min: 1, max: 100, errors: ["percent"] },
  minimum: { min: 1, max: 1_000_000, errors: ["minimum"] },
  windowMinutes: { min: 1, max: 10_080, errors: ["minutes", "windowMinutes", "window_minutes"] },
};

export function renderDeprovisioningGuard(context) {
  const manage = context.can("PROVISIONING_MANAGE");
  const panel = {
    context,
    manage,
    state: { guard: null, held: [], error: null },
    status: h("div", { class: "connection", id: "guard-status", tabindex: "-1" }),
    body: h("div", {}, loading("Loading mass-deactivation protection…")),
    form: manage ? thresholdForm() : null,
  };
  if (panel.form) panel.form.element.addEventListener("submit", (event) => save(panel, event));
  const element = section(
    {
      title: "Mass-deactivation protection",
      id: "deprovisioning-guard",
      intro: "When your identity provider deactivates or deletes many people at once (a wrong group rule, an emptied group), Roster holds the changes for your review instead of applying them.",
    },
    panel.body,
  );
  const ready = load(panel).then(() => draw(panel));
  return { element, ready };
}

async function load(panel) {
  try {
    const data = await gql(STATE);
    panel.state.guard = data.organization.deprovisioningGuard;
    panel.state.held = data.heldChanges;
    panel.state.error = null;
  } catch (error) {
    panel.state.error = error;
  }
}

const reload = (panel) => load(panel).then(() => draw(panel));

function draw(panel) {
  const { guard, held, error } = panel.state;
  if (error) {
    replaceChildren(panel.body, failure(error, () => reload(panel)));
    return;
  }
  const holding = held.filter((change) => change.status === "held");
  const open = Boolean(guard.trippedAt);
  panel.status.className = open ? "connection is-tripped" : "connection";
  replaceChildren(panel.status, statusView(guard, holding));
  if (panel.form) panel.form.fill(guard);
  replaceChildren(
    panel.body,
    panel.status,
    open ? trippedExplanation(panel, holding) : null,
    held.length ? heldList(panel, held) : null,
    panel.manage && (open || holding.length) ? decisionButtons(panel, holding) : null,
    panel.manage ? h("div", { class: "subsection" }, h("h3", {}, "Threshold"), panel.form.element) : h("p", { class: "muted small" }, "Only super admins can confirm or reject held changes and change the threshold."),
  );
}

function statusView(guard, holding) {
  if (guard.trippedAt) {
    return [
      h("span", { class: "dot dot-danger", "aria-hidden": "true" }),
      h(
        "p",
        { id: "guard-state" },
        h("strong", {}, `Holding ${plural(holding.length, "deactivation")} since `, h("time", { datetime: guard.trippedAt, title: formatDateTime(guard.trippedAt) }, formatDateTime(guard.trippedAt)), "."),
        " Every deactivation and delete your identity provider sends waits for your decision. ",
        h("span", { class: "muted small nowrap" }, "(", timeAgoElement(guard.trippedAt), ")"),
      ),
    ];
  }
  if (!guard.enabled) {
    return [
      h("span", { class: "dot dot-idle", "aria-hidden": "true" }),
      h("p", { id: "guard-state" }, h("strong", {}, "Protection is off."), " Every deactivation and delete your identity provider sends applies at once."),
    ];
  }
  return [
    h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
    h(
      "p",
      { id: "guard-state" },
      h("strong", {}, "Deactivations run;"),
      ` held once more than ${guard.percent}% of active people and at least ${guard.minimum} are deactivated within ${plural(guard.windowMinutes, "minute")}.`,
    ),
  ];
}

function trippedExplanation(panel, holding) {
  return h(
    "div",
    { class: "notice notice-warning", role: "alert" },
    h(
      "p",
      {},
      h("strong", {}, "Your identity provider tried to deactivate or delete more people than the threshold allows."),
      " Nobody below has been deactivated yet. Check the group rule or attribute mapping in Okta or Microsoft Entra ID, then confirm the changes if they are right, or reject them.",
    ),
    panel.manage ? null : h("p", { class: "small" }, `Ask a super admin to review the ${plural(holding.length, "held change")}.`),
  );
}

function heldList(panel, held) {
  return h(
    "div",
    { class: "held-changes" },
    h("h3", { class: "sr-only" }, "Held changes"),
    table({
      caption: "Changes held for review, oldest first",
      columns: COLUMNS,
      className: "held-table",
      rows: held.map((change) =>
        row(
          COLUMNS,
          [
            personView(panel, change),
            KINDS[change.kind] ?? change.kind,
            h("span", { class: "token-name", title: change.tokenName }, parseScimActor(change.tokenName)?.name ?? change.tokenName),
            h("time", { datetime: change.heldAt, title: formatDateTime(change.heldAt) }, formatDateTime(change.heldAt)),
            change.status === "rejected"
              ? badge("Rejected", "danger", "Sent again, it is held again")
              : badge("Held", "warning", "Waiting for your decision"),
          ],
          { class: change.status === "rejected" ? "is-rejected" : null, dataset: { userName: change.userName, status: change.status } },
        ),
      ),
    }),
    held.some((change) => change.status === "rejected")
      ? h("p", { class: "muted small" }, "Rejected: not applied. The same change sent again for the same person is held again, until it is fixed in your identity provider or the person is changed there.")
      : null,
  );
}

/** The person's name, linking to them on the Users page, and to their provisioning log. */
function personView(panel, change) {
  const name = change.user?.userName ?? change.userName;
  const { link, can } = panel.context;
  return h(
    "div",
    { class: "held-person" },
    change.user ? link("/users", { search: name }, breakable(name), { class: "user-name" }) : h("span", { class: "user-name" }, breakable(name)),
    can("AUDIT_READ")
      ? h("span", { class: "small" }, " ", link("/provisioning-log", { user: change.userId, label: name }, "log", { "aria-label": `Provisioning log of ${name}` }))
      : null,
  );
}

/** A userName that may wrap after its "@" (jane.doe@ / acme.example) rather than anywhere. */
function breakable(userName) {
  const at = userName.indexOf("@");
  return at < 0 ? userName : [userName.slice(0, at + 1), h("wbr"), userName.slice(at + 1)];
}

// --- confirming and rejecting ----------------------------------------------------------------

function decisionButtons(panel, holding) {
  const none = holding.length === 0;
  const confirm = h("button", { type: "button", class: "btn btn-danger", disabled: none, onclick: () => ask(panel, "confirm") }, "Confirm held changes");
  const reject = h("button", { type: "button", class: "btn btn-secondary", disabled: none, onclick: () => ask(panel, "reject") }, "Reject held changes");
  return h("div", { class: "held-actions" }, confirm, reject);
}

function ask(panel, what) {
  const holding = panel.state.held.filter((change) => change.status === "held");
  const count = plural(holding.length, "held change");
  const names = holding.slice(0, 5).map((change) => change.userName);
  const more = holding.length > names.length ? ` and ${holding.length - names.length} more` : "";
  const problem = errorArea();
  const confirm = what === "confirm";
  let decided = false;
  openDialog({
    title: confirm ? `Apply ${count}?` : `Reject ${count}?`,
    description: confirm
      ? `Every held change is applied exactly as your identity provider sent it, in the order it came: ${names.join(", ")}${more} are deactivated or deleted, and their sessions and API tokens are revoked.`
      : `None of the held changes is applied: ${names.join(", ")}${more} stay active as they are.`,
    body: [
      h(
        "ul",
        { class: "dialog-list" },
        confirm
          ? [
              h("li", {}, "The protection closes and its window starts again: the next deactivations are counted from now."),
              h("li", {}, "Okta's failed tasks and Entra ID's retries for these changes then find nothing left to do."),
            ]
          : [
              h("li", {}, h("strong", {}, "Fix the group rule or attribute mapping in Okta or Microsoft Entra ID first."), " The same change sent again for the same person is held again, so they stay active until you fix it there."),
              h("li", {}, "Okta shows the held changes as failed tasks in its Dashboard > Tasks (dismiss them there); Entra ID retries them in its later cycles."),
              h("li", {}, "The protection closes; a later change to a person from your identity provider (e.g. a reactivation) replaces what was rejected for them."),
            ],
      ),
      problem.element,
    ],
    submitLabel: confirm ? "Confirm and apply" : "Reject changes",
    danger: confirm,
    onSubmit: async () => (decided = await decide(panel, what, problem)),
    onClose: () => {
      if (decided) panel.status.focus(); // its buttons are gone: focus goes to the new status
    },
  });
}

/** Send the confirmation or the rejection; true closes the dialog. */
async function decide(panel, what, problem) {
  problem.show(null);
  const [query, key] = what === "confirm" ? [CONFIRM, "confirmHeldChanges"] : [REJECT, "rejectHeldChanges"];
  try {
    const result = await mutate(query, {}, key);
    if (result.error) {
      problem.show(result.error.message);
      return false;
    }
    await reload(panel);
    const count = plural(result.ok.count, "held change");
    toast(
      what === "confirm"
        ? `${count} applied; the protection is closed again.`
        : `${count} rejected: nobody was deactivated. Fix the rule in your identity provider, or the same changes are held again.`,
    );
    return true;
  } catch (error) {
    problem.show(describeError(error));
    return false;
  }
}

// --- the threshold ------------------------------------------------------------------------------

function thresholdForm() {
  const enabledId = uid("guard-enabled");
  const enabled = h("input", { type: "checkbox", id: enabledId, name: "enabled", "aria-describedby": `${enabledId}-hint` });
  const number = (name, label, hint, suffix) =>
    field({
      label,
      control: h("input", { type: "number", class: "input", name, min: String(LIMITS[name].min), max: String(LIMITS[name].max), step: "1", inputmode: "numeric", required: true }),
      hint: `${hint} ${suffix}`,
    });
  const fields = {
    percent: number("percent", "Share of active people (%)", "Held once more than this share of the active people…", "(1 to 100)"),
    minimum: number("minimum", "At least this many people", "…and at least this many people…", "(1 or more)"),
    windowMinutes: number("windowMinutes", "Within (minutes)", "…are deactivated or deleted within this many minutes.", "(1 to 10,080, a week)"),
  };
  const problem = errorArea();
  const saveButton = h("button", { type: "submit", class: "btn btn-primary" }, "Set threshold");
  const element = h(
    "form",
    { class: "guard-form", novalidate: true, "aria-label": "Mass-deactivation protection threshold" },
    h(
      "div",
      { class: "field" },
      h("div", { class: "check" }, enabled, h("label", { for: enabledId }, "Hold mass deactivations for review")),
      h("p", { class: "hint", id: `${enabledId}-hint` }, "Off: every deactivation and delete from your identity provider applies at once."),
    ),
    h("div", { class: "form-grid guard-grid" }, Object.values(fields).map((f) => f.element)),
    problem.element,
    h("div", { class: "actions" }, saveButton),
  );
  return {
    element,
    enabled,
    fields,
    problem,
    saveButton,
    fill(guard) {
      enabled.checked = guard.enabled;
      fields.percent.control.value = String(guard.percent);
      fields.minimum.control.value = String(guard.minimum);
      fields.windowMinutes.control.value = String(guard.windowMinutes);
      for (const f of Object.values(fields)) f.setError(null);
      problem.show(null);
    },
  };
}

/** The form's numbers, or null (with the fields' errors shown and the first one focused). */
function readThreshold(form) {
  const values = {};
  let first = null;
  for (const [name, f] of Object.entries(form.fields)) {
    f.setError(null);
    const text = f.control.value.trim();
    const { min, max } = LIMITS[name];
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      f.setError(`Enter a whole number from ${min} to ${max.toLocaleString("en")}.`);
      first ??= f.control;
    } else {
      values[name] = value;
    }
  }
  if (first) {
    first.focus();
    return null;
  }
  return values;
}

async function save(panel, event) {
  event.preventDefault();
  const { form } = panel;
  form.problem.show(null);
  const values = readThreshold(form);
  if (!values) return;
  form.saveButton.disabled = true;
  form.saveButton.setAttribute("aria-busy", "true");
  try {
    const result = await mutate(SET_GUARD, { enabled: form.enabled.checked, ...values }, "setDeprovisioningGuard");
    if (result.error) {
      const name = Object.keys(LIMITS).find((key) => LIMITS[key].errors.includes(result.error.field));
      if (name) {
        form.fields[name].setError(result.error.message);
        form.fields[name].control.focus();
      } else {
        form.problem.show(result.error.message);
      }
      return;
    }
    const guard = result.ok.organization.deprovisioningGuard;
    panel.state.guard = guard;
    draw(panel);
    toast(
      guard.enabled
        ? `Protection saved: deactivations are held once more than ${guard.percent}% of active people and at least ${guard.minimum} are deactivated within ${plural(guard.windowMinutes, "minute")}.`
        : "Protection turned off: every deactivation from your identity provider applies at once.",
    );
  } catch (error) {
    form.problem.show(describeError(error));
  } finally {
    form.saveButton.disabled = false;
    form.saveButton.removeAttribute("aria-busy");
  }
}
