// The steps Okta's two single sign-on checklists (OpenID Connect and SAML 2.0) share.

import { h } from "../dom.js";
import { step } from "../checklist.js";

/** Give the new app the people and groups Roster is provisioned with. */
export function assignStep() {
  return step(
    "In Okta: assign the same people and groups as for provisioning",
    null,
    h(
      "p",
      {},
      "On the new app's ",
      h("strong", {}, "Assignments"),
      " tab, assign the same people and groups as to the app that provisions Roster (above). Only users provisioned by SCIM can sign in: anyone else Okta signs in is refused, with a page saying their administrator has not assigned them Roster.",
    ),
  );
}

/** Test sign-in, done once a sign-in went through; `email` names what Okta sends the email in. */
export function testStep(connection, email) {
  return step(
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
      "Roster matches ",
      email,
      " Okta sends to the provisioned user's userName (or, failing that, their email), so only users provisioned by SCIM can sign in, with the role they have in Roster.",
    ),
  );
}
