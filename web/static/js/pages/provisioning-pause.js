// Pausing provisioning: the SCIM integration's emergency stop. While paused, the identity
// provider's writes are answered 503 with Retry-After and change nothing; Okta and Entra ID
// send them again later, so nothing is lost once provisioning resumes. Reads still answer.
//
// renderProvisioningPause() builds the section's state and loads it; the section is drawn
// again from the state after each change, and pausing and resuming share one flow, change().

import { gql, mutate, describeError, ERROR_FIELDS } from "../api.js";
import { h, errorArea, replaceChildren } from "../dom.js";
import { section, loading, failure, toast, openDialog, timeAgoElement } from "../ui.js";
import { formatDateTime } from "../format.js";

const PAUSE_FIELDS = `provisioningPausedAt provisioningPausedBy`;
const STATE = `query ProvisioningPause { organization { ${PAUSE_FIELDS} } }`;
const PAUSE = `mutation PauseProvisioning { pauseProvisioning { ${ERROR_FIELDS} ... on OrganizationPayload { organization { ${PAUSE_FIELDS} } } } }`;
const RESUME = `mutation ResumeProvisioning { resumeProvisioning { ${ERROR_FIELDS} ... on OrganizationPayload { organization { ${PAUSE_FIELDS} } } } }`;

export function renderProvisioningPause(context) {
  const manage = context.can("PROVISIONING_MANAGE");
  const panel = {
    context,
    manage,
    state: { pause: null, error: null },
    // one button, Pause or Resume as the state says: the dialog gives focus back to it
    action: manage ? h("button", { type: "button", class: "btn", hidden: true, onclick: () => ask(panel) }) : null,
    body: h("div", {}, loading("Loading provisioning status…")),
  };
  const element = section(
    {
      title: "Provisioning",
      id: "provisioning-pause",
      intro: "Stop your identity provider's changes at once, e.g. when a wrong group rule starts deactivating people. Nothing it sends meanwhile is lost: it sends it again once you resume.",
      actions: panel.action ? [panel.action] : [],
    },
    panel.body,
  );
  const ready = load(panel).then(() => draw(panel));
  return { element, ready };
}

async function load(panel) {
  try {
    const { organization } = await gql(STATE);
    panel.state.pause = pauseOf(organization);
    panel.state.error = null;
  } catch (error) {
    panel.state.error = error;
  }
}

/** { since, by } while paused, else null. */
function pauseOf(organization) {
  return organization.provisioningPausedAt ? { since: organization.provisioningPausedAt, by: organization.provisioningPausedBy } : null;
}

function draw(panel) {
  const { pause, error } = panel.state;
  if (error) {
    if (panel.action) panel.action.hidden = true;
    replaceChildren(panel.body, failure(error, () => load(panel).then(() => draw(panel))));
    return;
  }
  if (panel.action) {
    panel.action.hidden = false;
    panel.action.textContent = pause ? "Resume provisioning" : "Pause provisioning";
    panel.action.className = pause ? "btn btn-primary" : "btn btn-danger-outline";
  }
  replaceChildren(
    panel.body,
    h("div", { class: pause ? "connection is-paused" : "connection" }, statusView(pause)),
    pause ? pausedExplanation(panel) : null,
    panel.manage ? null : h("p", { class: "muted small" }, "Only super admins can pause and resume provisioning."),
  );
}

function statusView(pause) {
  if (!pause) {
    return [
      h("span", { class: "dot dot-ok", "aria-hidden": "true" }),
      h("p", { id: "provisioning-status" }, h("strong", {}, "Provisioning runs."), " Your identity provider's changes apply as they arrive."),
    ];
  }
  return [
    h("span", { class: "dot dot-warn", "aria-hidden": "true" }),
    h(
      "p",
      { id: "provisioning-status" },
      h("strong", {}, "Paused since ", h("time", { datetime: pause.since, title: formatDateTime(pause.since) }, formatDateTime(pause.since)), " by ", pause.by ?? "an admin", ":"),
      " your identity provider's writes wait and are retried; reads still answer. ",
      h("span", { class: "muted small nowrap" }, "(", timeAgoElement(pause.since), ")"),
    ),
  ];
}

function pausedExplanation(panel) {
  return h(
    "div",
    { class: "notice notice-warning" },
    h("p", {}, "Users and groups are not created, changed, deactivated or deleted until provisioning resumes. Okta and Microsoft Entra ID keep the changes they sent and send them again; once resumed, they go through."),
    panel.context.can("AUDIT_READ")
      ? h("p", { class: "small" }, "The requests refused meanwhile (status 503) are in the ", panel.context.link("/provisioning-log", { failed: "1" }, "provisioning log"), ".")
      : null,
  );
}

// --- pausing and resuming ----------------------------------------------------------------------

const EFFECTS = [
  "Every change your identity provider sends (creating, updating, deactivating or deleting users and groups) is answered 503 Service Unavailable with Retry-After: 120, and nothing changes.",
  "Okta and Microsoft Entra ID send a refused change again later, so nothing is lost: once you resume, their retries go through.",
  "Reads still answer, so Okta's Test API Credentials and imports keep working.",
];

function ask(panel) {
  const paused = Boolean(panel.state.pause);
  const problem = errorArea();
  openDialog({
    title: paused ? "Resume provisioning?" : "Pause provisioning?",
    description: paused
      ? "Your identity provider's retries go through as they arrive: the changes it sent while provisioning was paused apply then. If you paused because of a wrong rule in the identity provider, fix the rule first."
      : "Use it to stop a mistake in your identity provider (a wrong group rule, an emptied group) before it reaches more people.",
    body: [paused ? null : h("ul", { class: "dialog-list" }, EFFECTS.map((text) => h("li", {}, text))), problem.element],
    submitLabel: paused ? "Resume provisioning" : "Pause provisioning",
    danger: !paused,
    onSubmit: () => change(panel, paused ? "resume" : "pause", problem),
  });
}

/** Send the pause or the resume; true closes the dialog (focus goes back to the button). */
async function change(panel, what, problem) {
  problem.show(null);
  const [query, key] = what === "pause" ? [PAUSE, "pauseProvisioning"] : [RESUME, "resumeProvisioning"];
  try {
    const result = await mutate(query, {}, key);
    if (result.error) {
      problem.show(result.error.message);
      return false;
    }
    panel.state.pause = pauseOf(result.ok.organization);
    panel.state.error = null;
    draw(panel);
    toast(
      panel.state.pause
        ? "Provisioning paused: your identity provider's writes get 503 and are retried later."
        : "Provisioning resumed: your identity provider's retries go through.",
    );
    return true;
  } catch (error) {
    problem.show(describeError(error));
    return false;
  }
}
