// Signing in with a host's or brand's token (studio and brand console): the token from the URL fragment
// or the #token-form, checked with GET /api/me and the account's role; a refused token is forgotten.
import { api } from "./api.js";
import { $, setText } from "./dom.js";
import { saveSessionToken, forgetSessionToken, tokenFromFragment } from "./tokens.js";

/** @typedef {import("./protocol.js").Account} Account */

export class SignIn {
  /**
   * @param {object} options
   * @param {string} options.storageKey sessionStorage key of the token (this tab only)
   * @param {string} options.panel selector of what the page shows once signed in
   * @param {string[]} options.roles the roles this page accepts
   * @param {string} options.invalid what to say when the server refuses the token
   * @param {string} options.missing what to say when the form is sent empty
   * @param {(role: string) => string} options.wrongRole what to say for a token of another role
   */
  constructor({ storageKey, panel, roles, invalid, missing, wrongRole }) {
    this.storageKey = storageKey;
    this.panel = panel;
    this.roles = roles;
    this.texts = { invalid, missing, wrongRole };
    /** @type {string|null} */
    this.token = tokenFromFragment(storageKey);
    /** @type {Account|null} */
    this.me = null;
  }

  /** Hide the page, show the token form with `message`. */
  ask(message) {
    $(this.panel).hidden = true;
    $("#token-form").hidden = false;
    setText("#token-input-error", message || "");
    $("#token-input").focus();
  }

  /** Show the page, hide the token form. */
  done() {
    $("#token-form").hidden = true;
    $(this.panel).hidden = false;
  }

  /** GET /api/me with the token: the account when its role fits, else null (and the form asks again). */
  async check() {
    try {
      /** @type {Account} */
      const me = await api("GET", "/api/me", { token: this.token });
      this.me = me;
    } catch (error) {
      forgetSessionToken(this.storageKey);
      this.ask(error.status === 401 ? this.texts.invalid : error.message);
      return null;
    }
    if (!this.roles.includes(this.me.role)) {
      this.ask(this.texts.wrongRole(this.me.role));
      return null;
    }
    return this.me;
  }

  /** Call `open` now when a token is known, and again each time one is pasted into the form. */
  start(open) {
    $("#token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("#token-input").value.trim();
      if (!token) {
        this.ask(this.texts.missing);
        return;
      }
      this.token = token;
      saveSessionToken(this.storageKey, token);
      open();
    });
    if (this.token) open();
    else this.ask("");
  }
}
