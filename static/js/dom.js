// Small DOM helpers. All text goes in with textContent: user text is never parsed as HTML.

export const $ = (selector, root = document) => root.querySelector(selector);

/** el("li", {class: "x", dataset: {id}}, "text", childNode) → element; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

export function setText(selectorOrNode, text) {
  const node = typeof selectorOrNode === "string" ? $(selectorOrNode) : selectorOrNode;
  if (node) node.textContent = text;
}

/** Announce a short message in a live region (role=status) and clear it after `ms` (0 keeps it). */
export function announce(node, text, ms = 0) {
  node.textContent = text;
  if (ms > 0) {
    const shown = text;
    setTimeout(() => { if (node.textContent === shown) node.textContent = ""; }, ms);
  }
}

/** Show per-field errors: fields maps an input's name to a message; other fields are cleared. */
export function showFieldErrors(form, fields = {}) {
  for (const input of form.querySelectorAll("input, select, textarea")) {
    const message = fields[input.name] || "";
    const errorNode = form.querySelector(`#${input.id}-error`);
    if (errorNode) errorNode.textContent = message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

export function timeText(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit", day: "numeric", month: "short" });
}

export function elapsedText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
