// Shared pieces of the page: toasts, dialogs, copy buttons, times, sections, tables.

import { h, append, uid, button } from "./dom.js";
import { formatDateTime, timeAgo, plural } from "./format.js";
import { describeError } from "./api.js";

// --- toasts: every action says how it went, in the role="status" region --------------------

export function toast(message, kind = "success") {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h(
    "div",
    { class: `toast toast-${kind}` },
    h("span", { class: "toast-text" }, message),
    h("button", {
      type: "button",
      class: "toast-close",
      "aria-label": "Dismiss message",
      onclick: () => item.remove(),
    }, "×"),
  );
  region.append(item);
  while (region.children.length > 4) region.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === "error" ? 12000 : 6000);
}

// --- dialogs: native <dialog> (focus stays inside, Escape closes) -------------------------

/**
 * openDialog({ title, description, body: [nodes], onSubmit, submitLabel, danger })
 * The body sits in a <form>; onSubmit(form) returns true to close the dialog, false to keep
 * it open (e.g. to show an error). Returns { dialog, close }.
 */
export function openDialog({ title, description = null, body = [], onSubmit, submitLabel = "Save", danger = false, cancelLabel = "Cancel", onClose = null }) {
  const opener = document.activeElement;
  const titleId = uid("dialog-title");
  const submit = h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary" }, submitLabel);
  const cancel = button(cancelLabel, { class: "btn btn-secondary" });
  const form = h(
    "form",
    { class: "dialog-form", novalidate: true },
    h("h2", { id: titleId, class: "dialog-title" }, title),
    description ? h("p", { class: "dialog-description" }, description) : null,
    body,
    h("div", { class: "dialog-actions" }, cancel, submit),
  );
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    if (onClose) onClose();
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
  };
  cancel.addEventListener("click", close);
  dialog.addEventListener("close", close);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      if (await onSubmit(form)) close();
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = form.querySelector("input:not([type=hidden]), select, textarea");
  (first ?? submit).focus();
  return { dialog, form, close };
}

/** A yes/no question; resolves to true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = "Confirm", danger = true }) {
  return new Promise((resolve) => {
    let answered = false;
    openDialog({
      title,
      body: [h("p", { class: "dialog-description" }, message)],
      submitLabel: confirmLabel,
      danger,
      onSubmit: () => {
        answered = true;
        resolve(true);
        return true;
      },
      onClose: () => {
        if (!answered) resolve(false);
      },
    });
  });
}

// --- copying --------------------------------------------------------------------------------

async function writeClipboard(text, fallbackInput) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to copying a selection
  }
  // Without the Clipboard API (plain http other than localhost): copy a selection, from the
  // field that shows the text or from a hidden helper.
  const active = document.activeElement;
  const helper = fallbackInput ? null : h("textarea", { class: "clipboard-helper", readonly: true, "aria-hidden": "true", tabindex: "-1" });
  const source = fallbackInput ?? helper;
  if (helper) {
    helper.value = text;
    document.body.append(helper);
  }
  source.focus();
  source.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  if (helper) {
    helper.remove();
    if (active && typeof active.focus === "function") active.focus();
  }
  return copied;
}

/** A "Copy" button; `what` names the thing for screen readers and the toast. */
export function copyButton(getText, what, { input = null, small = false } = {}) {
  const copy = button("Copy", {
    class: small ? "btn btn-secondary btn-small btn-copy" : "btn btn-secondary btn-copy",
    "aria-label": `Copy ${what}`,
  });
  copy.addEventListener("click", async () => {
    const text = typeof getText === "function" ? getText() : getText;
    if (await writeClipboard(text, input)) {
      copy.textContent = "Copied";
      copy.classList.add("is-copied");
      toast(`Copied ${what} to the clipboard.`);
      setTimeout(() => {
        copy.textContent = "Copy";
        copy.classList.remove("is-copied");
      }, 2000);
    } else {
      if (input) {
        input.focus();
        input.select();
      }
      toast(`Could not copy automatically: select the ${what} and press Ctrl+C (⌘C on a Mac).`, "error");
    }
  });
  return copy;
}

/** A read-only text box with its Copy button (the value can also be selected by hand). */
export function copyField({ label, value, what = label, monospace = true, hint = null, id = null }) {
  const inputId = id ?? uid("copy");
  const input = h("input", {
    id: inputId,
    type: "text",
    readonly: true,
    class: monospace ? "input mono" : "input",
    value,
    spellcheck: "false",
    autocomplete: "off",
  });
  input.addEventListener("focus", () => input.select());
  const hintId = hint ? `${inputId}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: inputId }, label),
    h("div", { class: "copy-row" }, input, copyButton(() => input.value, what, { input })),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
  );
}

// --- times --------------------------------------------------------------------------------

/** <time> showing "3 minutes ago" (kept current), with the exact time as its title. */
export function timeAgoElement(value, { prefix = "" } = {}) {
  if (!value) return h("span", { class: "muted" }, "never");
  return h(
    "time",
    { datetime: value, title: formatDateTime(value), class: "reltime", dataset: { prefix } },
    prefix + timeAgo(value),
  );
}

export function refreshRelativeTimes() {
  for (const element of document.querySelectorAll("time.reltime")) {
    element.textContent = (element.dataset.prefix ?? "") + timeAgo(element.getAttribute("datetime"));
  }
}

// --- page structure ---------------------------------------------------------------------------

export function pageHeader(title, intro = null, actions = []) {
  return h(
    "div",
    { class: "page-header" },
    h("div", {}, h("h1", { tabindex: "-1", class: "page-title" }, title), intro ? h("p", { class: "lead" }, intro) : null),
    actions.length ? h("div", { class: "page-actions" }, actions) : null,
  );
}

export function section({ title, id = null, intro = null, actions = [] }, ...children) {
  const headingId = uid("section");
  return h(
    "section",
    { class: "card", id, "aria-labelledby": headingId },
    h(
      "div",
      { class: "card-header" },
      h("div", {}, h("h2", { id: headingId }, title), intro ? h("p", { class: "muted" }, intro) : null),
      actions.length ? h("div", { class: "card-actions" }, actions) : null,
    ),
    children,
  );
}

export function notice(message, kind = "info", extra = []) {
  return h("div", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : null }, h("p", {}, message), extra);
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

/** What to show in a section whose query failed. */
export function failure(error, retry = null) {
  if (error?.kind === "UNAUTHENTICATED") return loading("Your session ended; signing you out…");
  if (error?.kind === "FORBIDDEN") {
    return notice("Your role may not see this section. Ask a super admin if you need it.", "info");
  }
  return notice(describeError(error), "error", retry ? [button("Try again", { class: "btn btn-secondary btn-small", onclick: retry })] : []);
}

export function badge(text, kind = "neutral", title = null) {
  return h("span", { class: `badge badge-${kind}`, title }, text);
}

/**
 * A table that stacks into cards on narrow screens: every cell carries its column name
 * (`data-label`, shown by CSS when stacked).
 */
export function table({ caption, columns, rows, className = "", emptyText = "Nothing here yet." }) {
  if (!rows.length) return h("p", { class: "empty" }, emptyText);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: `table stack ${className}` },
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.className }, c.label)))),
      h("tbody", {}, rows),
    ),
  );
}

/**
 * Previous / Next over a GraphQL connection, `pageSize` items a page: it remembers the `after`
 * of each page seen, so Previous goes back one. `onMove` loads the page `after()` names.
 */
export function cursorPager({ id, noun, pageSize, onMove }) {
  const summary = h("p", { class: "muted", "aria-live": "polite", id });
  const previous = h("button", { type: "button", class: "btn btn-secondary", disabled: true }, "Previous");
  const next = h("button", { type: "button", class: "btn btn-secondary", disabled: true }, "Next");
  const element = h("nav", { class: "pager", "aria-label": `Pages of ${noun}s` }, summary, h("div", { class: "pager-buttons" }, previous, next));
  let cursors = [null];
  let index = 0;
  previous.addEventListener("click", () => {
    if (index === 0) return;
    index -= 1;
    onMove();
  });
  next.addEventListener("click", () => {
    if (cursors[index + 1] === undefined) return;
    index += 1;
    onMove();
  });
  return {
    element,
    /** The `after` of the page to load. */
    after: () => cursors[index],
    /** Back to the first page (the filters changed). */
    reset() {
      cursors = [null];
      index = 0;
    },
    /** The page `connection` holds, `shown` of its items on screen. */
    show(connection, shown) {
      cursors[index + 1] = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : undefined;
      cursors.length = index + 2;
      const start = index * pageSize;
      summary.textContent = shown
        ? `${start + 1}\u2013${start + shown} of ${plural(connection.totalCount, noun)}`
        : plural(connection.totalCount, noun);
      previous.disabled = index === 0;
      next.disabled = !connection.pageInfo.hasNextPage;
    },
    /** A page that failed to load: nothing to count, nowhere to go. */
    fail() {
      summary.textContent = "";
      previous.disabled = next.disabled = true;
    },
  };
}

export function row(columns, cells, attributes = {}) {
  return h(
    "tr",
    attributes,
    cells.map((cell, index) => h("td", { "data-label": columns[index].label, class: columns[index].className }, cell)),
  );
}

export { append };

/**
 * A search box that applies what is typed once typing pauses, and at once on Enter (the form's
 * submit). Returns what cancels a search still waiting (for when the page is left).
 */
export function searchAsYouType(form, input, apply, pauseMs = 350) {
  let timer = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    apply();
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(apply, pauseMs);
  });
  return () => clearTimeout(timer);
}

/**
 * The ARIA tabs pattern's keys on the `index`th of `count` tabs: the arrow keys, Home and End
 * choose another tab (`choose(itsIndex)`, which shows it and moves the focus to it).
 */
export function onTabKeys(tab, index, count, choose) {
  tab.addEventListener("keydown", (event) => {
    const last = count - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    choose(target);
  });
}
