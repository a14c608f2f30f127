// The pages' languages: English and French. Every string a page shows is in i18n/en.js and i18n/fr.js
// (one place per language); the language is the browser's, unless the reader picked one (kept in
// localStorage). Money and dates are formatted with Intl in the reader's locale (money.js, dom.js).
import en from "./i18n/en.js";
import fr from "./i18n/fr.js";

/** @typedef {string | ((params: Object<string, any>) => string)} Message */

/** @type {Object<string, Object<string, Message>>} */
export const LANGUAGES = { en, fr };
export const LANGUAGE_NAMES = { en: "English", fr: "Français" };
/** What the language switch shows (the full name is its accessible name). */
const LANGUAGE_CODES = { en: "EN", fr: "FR" };
const STORAGE_KEY = "livecart.lang";

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The reader's language: the one picked on a page, else the first of the browser's we have. */
function pick() {
  const chosen = stored();
  if (chosen && chosen in LANGUAGES) return chosen;
  for (const tag of navigator.languages || [navigator.language]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base in LANGUAGES) return base;
  }
  return "en";
}

export const lang = pick();

/** The locale for Intl: the browser's own tag when it is in the page's language (en-GB, fr-CA), else the
 * language itself. */
export const locale = (() => {
  for (const tag of navigator.languages || [navigator.language]) {
    if (String(tag).toLowerCase().split("-")[0] === lang) return String(tag);
  }
  return lang;
})();

/**
 * The text of `key` in the reader's language (English when French lacks it), with `{name}` filled in.
 * @param {string} key
 * @param {Object<string, any>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  const message = LANGUAGES[lang][key] ?? en[key];
  if (message === undefined) return key;
  if (typeof message === "function") return message(params);
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * Like t(), but a parameter may be a DOM node (user text in its <bdi>): the sentence comes back as a list of
 * strings and nodes, in the language's word order, for `replaceChildren` or `el`.
 * @param {string} key
 * @param {Object<string, any>} [params]
 * @returns {(string|Node)[]}
 */
export function tn(key, params = {}) {
  const nodes = [];
  const plain = {};
  for (const [name, value] of Object.entries(params)) {
    if (value instanceof Node) {
      plain[name] = `\uE000${nodes.length}\uE000`;
      nodes.push(value);
    } else plain[name] = value;
  }
  return t(key, plain)
    .split(/\uE000(\d+)\uE000/)
    .map((part, i) => (i % 2 ? nodes[Number(part)] : part))
    .filter((part) => part !== "");
}

/** Switch language: remembered for the next pages, and this one is drawn again. */
export function setLanguage(next) {
  if (!(next in LANGUAGES)) return;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    /* private mode: this page only */
  }
  location.reload();
}

/**
 * Put the reader's language into the page's static HTML: `data-i18n` (text), `data-i18n-placeholder`,
 * `data-i18n-label` (aria-label), `data-i18n-title` (document.title when on <title>), and fill the
 * language switch (`#lang-select`) if the page has one.
 * @param {ParentNode} [root]
 */
export function translatePage(root = document) {
  document.documentElement.lang = lang;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.getAttribute("data-i18n"));
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.setAttribute("placeholder", t(node.getAttribute("data-i18n-placeholder")));
  }
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.getAttribute("data-i18n-label")));
  }
  const select = /** @type {HTMLSelectElement|null} */ (document.getElementById("lang-select"));
  if (select) {
    select.replaceChildren(
      ...Object.entries(LANGUAGE_NAMES).map(([code, name]) => {
        const option = document.createElement("option");
        option.value = code;
        option.textContent = LANGUAGE_CODES[code];
        option.title = name;
        option.lang = code;
        return option;
      }),
    );
    select.value = lang;
    select.addEventListener("change", () => setLanguage(select.value));
  }
}
