// The sign-in page: email and password, or the organization's identity provider (single
// sign-on: the browser goes to /sso/start, which sends it to the provider and back). Either way
// the session cookie is set by the server (HttpOnly).

import { gql, describeError, VIEWER_FIELDS } from "../api.js";
import { h, field, errorArea, replaceChildren } from "../dom.js";

const LOGIN = `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      __typename
      ... on LoginPayload { viewer { ${VIEWER_FIELDS} } }
      ... on AuthenticationError { message retryAfterSeconds }
    }
  }
`;

export function renderSignIn(root, { expired = false, returnTo = null, onSignedIn }) {
  const form = signInForm(expired);
  form.element.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(form, onSignedIn);
  });
  const sso = ssoForm();
  sso.element.addEventListener("submit", (event) => {
    event.preventDefault();
    startSso(sso, returnTo);
  });
  replaceChildren(
    root,
    h(
      "main",
      { class: "signin", id: "main" },
      h("div", { class: "signin-brand", "aria-hidden": "true" }, h("span", { class: "brand-mark" }, "R"), h("span", {}, "Roster")),
      form.element,
      sso.element,
      h("p", { class: "signin-footer muted" }, "Forgot your password? Ask another admin of your organization or your Roster operator."),
    ),
  );
  form.email.control.focus();
}

function signInForm(expired) {
  const email = field({
    label: "Email",
    control: h("input", { type: "email", name: "email", class: "input", autocomplete: "username", required: true, spellcheck: "false" }),
  });
  const password = field({
    label: "Password",
    control: h("input", { type: "password", name: "password", class: "input", autocomplete: "current-password", required: true }),
  });
  const problem = errorArea();
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
  const element = h(
    "form",
    { class: "signin-form", novalidate: true, "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in to Roster"),
    h("p", { class: "muted" }, "Manage your organization's users, roles and the connection to Okta."),
    expired ? h("p", { class: "notice notice-info", role: "status" }, "Your session ended. Sign in again to continue.") : null,
    email.element,
    password.element,
    problem.element,
    submit,
  );
  return { element, email, password, problem, submit, countdown: null };
}

function ssoForm() {
  const who = field({
    label: "Work email or organization ID",
    control: h("input", { type: "text", name: "sso", class: "input", autocomplete: "email", required: true, spellcheck: "false", autocapitalize: "none" }),
    hint: "Your identity provider (such as Okta) signs you in, then sends you back here.",
  });
  const submit = h("button", { type: "submit", class: "btn btn-secondary btn-block" }, "Sign in with SSO");
  const element = h(
    "form",
    { class: "signin-form signin-sso", novalidate: true, "aria-labelledby": "signin-sso-title" },
    h("h2", { id: "signin-sso-title" }, "Sign in with your identity provider"),
    who.element,
    submit,
  );
  return { element, who, submit };
}

/**
 * Go to /sso/start: by email when the value is one, else by organization ID; back to the page the
 * user was going to (a hash route such as "#/users") once signed in. A navigation, not a form
 * submission: the redirects lead to the identity provider, which the page's form-action forbids.
 */
function startSso({ who, submit }, returnTo) {
  who.setError(null);
  const value = who.control.value.trim();
  if (!value) {
    who.setError("Enter your work email, or your organization's ID.");
    who.control.focus();
    return;
  }
  const params = new URLSearchParams({ [value.includes("@") ? "email" : "organization"]: value });
  params.set("return_to", returnTo && returnTo.startsWith("#/") ? `/${returnTo}` : "/");
  submit.disabled = true;
  submit.textContent = "Going to your identity provider…";
  // back here with the Back button (from the browser's page cache): the form works again
  window.addEventListener("pageshow", () => {
    submit.disabled = false;
    submit.textContent = "Sign in with SSO";
  }, { once: true });
  window.location.assign(`/sso/start?${params}`);
}

/** The email and password, or null (with the field that is missing marked and focused). */
function credentials({ email, password }) {
  const emailValue = email.control.value.trim();
  const passwordValue = password.control.value;
  if (!emailValue) {
    email.setError("Enter your email address.");
    email.control.focus();
    return null;
  }
  if (!passwordValue) {
    password.setError("Enter your password.");
    password.control.focus();
    return null;
  }
  return { email: emailValue, password: passwordValue };
}

async function signIn(form, onSignedIn) {
  const { problem, email, password, submit } = form;
  problem.show(null);
  email.setError(null);
  password.setError(null);
  const values = credentials(form);
  if (!values) return;
  submit.disabled = true;
  submit.textContent = "Signing in…";
  try {
    const { login } = await gql(LOGIN, values);
    if (login.__typename === "LoginPayload") {
      clearInterval(form.countdown);
      onSignedIn(login.viewer);
      return;
    }
    password.control.value = "";
    if (login.retryAfterSeconds) {
      waitThenRetry(form, login.retryAfterSeconds);
      return;
    }
    problem.show(login.message);
    password.control.focus();
  } catch (error) {
    problem.show(describeError(error));
  }
  submit.disabled = false;
  submit.textContent = "Sign in";
}

// Throttled: say so once (role="alert"), then count down quietly on the button.
function waitThenRetry(form, seconds) {
  const { problem, submit } = form;
  clearInterval(form.countdown);
  let left = seconds;
  problem.show(`Too many failed sign-ins. Try again in ${left} second${left === 1 ? "" : "s"}.`);
  submit.disabled = true;
  submit.textContent = `Try again in ${left} s`;
  form.countdown = setInterval(() => {
    left -= 1;
    if (!submit.isConnected) {
      clearInterval(form.countdown);
      return;
    }
    if (left > 0) {
      submit.textContent = `Try again in ${left} s`;
      return;
    }
    clearInterval(form.countdown);
    submit.disabled = false;
    submit.textContent = "Sign in";
    problem.show("You can try again now.");
  }, 1000);
}
