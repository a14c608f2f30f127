// Small DOM helpers. All text goes in with textContent: user text is never parsed as HTML.
// User text is also isolated for bidirectional display: it goes in its own <bdi> (`bidi`) or as the whole
// content of an element with dir="auto" (`userText`), so a right-to-left name or an override character
// (U+202E) inside it cannot reorder the text around it.
import { locale } from "./i18n.js";

/**
 * The first element matching `selector` (typed loosely: pages know which element each id names).
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
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
    node.append(
      typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child,
    );
  }
  return node;
}

/** A piece of user text (a name, a title, a message) inside other text: <bdi>text</bdi>. */
export const bidi = (text) => el("bdi", { text: String(text ?? "") });

/** An element whose whole content is one piece of user text, isolated with dir="auto". */
export const userText = (tag, text, attrs = {}) => el(tag, { ...attrs, dir: "auto", text: String(text ?? "") });

/** User text inside a plain string that cannot hold elements (document.title): FSI … PDI isolates it. */
export const isolate = (text) => `\u2068${text}\u2069`;

export function setText(selectorOrNode, text) {
  const node = typeof selectorOrNode === "string" ? $(selectorOrNode) : selectorOrNode;
  if (node) node.textContent = text;
}

/** Announce a short message in a live region (role=status) and clear it after `ms` (0 keeps it).
 * `message` is a string or a list of strings and nodes (user text in `bidi(...)`). */
export function announce(node, message, ms = 0) {
  if (Array.isArray(message)) node.replaceChildren(...message);
  else node.textContent = message;
  if (ms > 0) {
    const shown = node.textContent;
    setTimeout(() => {
      if (node.textContent === shown) node.textContent = "";
    }, ms);
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
  return date.toLocaleString(locale, {
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    day: "numeric",
    month: "short",
  });
}

export function elapsedText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
