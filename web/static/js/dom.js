// Building the DOM without HTML strings: every piece of data goes in as text.

/**
 * h("button", { class: "btn", type: "button", onclick: fn }, "Save")
 * Attributes: `class`, `dataset`, `on<event>` (a listener), `value`/`checked` (set as
 * properties once the children are in, so a <select> picks its option), true -> present,
 * false/null/undefined -> absent, anything else -> its text.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  const properties = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "value" || name === "checked") properties[name] = value;
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  Object.assign(element, properties);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let counter = 0;
/** A unique id for label/for and aria-describedby pairs. */
export function uid(prefix = "id") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Text for screen readers only. */
export function srOnly(text) {
  return h("span", { class: "sr-only" }, text);
}

/**
 * A labelled control with its hint and its error message:
 *   const name = field({ label: "Name", control: h("input", {...}), hint: "..." });
 *   name.element (to insert), name.control, name.setError("..."), name.setError(null)
 */
export function field({ label, control, hint = null, inline = false }) {
  const id = control.id || uid("field");
  control.id = id;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const error = h("p", { class: "field-error", id: errorId, hidden: true });
  const describedBy = [hint ? hintId : null].filter(Boolean);
  if (describedBy.length) control.setAttribute("aria-describedby", describedBy.join(" "));
  const element = h(
    "div",
    { class: inline ? "field field-inline" : "field" },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    error,
  );
  return {
    element,
    control,
    setError(message) {
      error.textContent = message ?? "";
      error.hidden = !message;
      if (message) {
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", [...describedBy, errorId].join(" "));
      } else {
        control.removeAttribute("aria-invalid");
        if (describedBy.length) control.setAttribute("aria-describedby", describedBy.join(" "));
        else control.removeAttribute("aria-describedby");
      }
    },
  };
}

/** A message area for errors that belong to a whole form or row (role="alert"). */
export function errorArea() {
  const element = h("p", { class: "form-error", role: "alert", hidden: true });
  return {
    element,
    show(message) {
      element.textContent = message ?? "";
      element.hidden = !message;
    },
  };
}

export function button(label, attributes = {}) {
  return h("button", { type: "button", class: "btn", ...attributes }, label);
}

/** Disable a button while `work` runs, and say so. */
export async function busy(buttonElement, work, busyLabel = null) {
  const label = buttonElement.textContent;
  buttonElement.disabled = true;
  buttonElement.setAttribute("aria-busy", "true");
  if (busyLabel) buttonElement.textContent = busyLabel;
  try {
    return await work();
  } finally {
    buttonElement.disabled = false;
    buttonElement.removeAttribute("aria-busy");
    if (busyLabel) buttonElement.textContent = label;
  }
}
