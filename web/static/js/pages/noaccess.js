// For a signed-in user whose role gives no access to any settings.

import { h, replaceChildren } from "../dom.js";

export function renderNoAccess(main, { viewer, signOut }) {
  const signOutButton = h("button", { type: "button", class: "btn btn-primary", onclick: () => signOut(signOutButton) }, "Sign out");
  replaceChildren(
    main,
    h(
      "div",
      { class: "page" },
      h(
        "section",
        { class: "card card-narrow", "aria-labelledby": "no-access-title" },
        h("h1", { id: "no-access-title", tabindex: "-1" }, "Your role has no access to settings"),
        h(
          "p",
          {},
          "You are signed in as ",
          h("strong", {}, viewer.user.userName),
          " with the role ",
          h("strong", {}, viewer.user.role.name),
          ". The settings of ",
          h("strong", {}, viewer.organization.name),
          " are for super admins and admins only.",
        ),
        h("p", { class: "muted" }, "If you need access, ask an admin of your organization to give you a role that includes it, in Okta or in Roster."),
        h("div", { class: "actions" }, signOutButton),
      ),
    ),
  );
  signOutButton.focus();
}
