// Pinning products on screen (studio and brand console): which products are pinned, kept from the
// room's snapshot and `pin`/`unpin` events, the Pin/Unpin button, and the request it makes.
import { api } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";

/**
 * @typedef {import("./protocol.js").Pin} Pin
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").UnpinEvent} UnpinEvent
 */

export class Pins {
  /**
   * @param {object} options
   * @param {() => string|null} options.token the host's or brand's token
   * @param {() => void} options.onChange called when the pinned set changed (redraw)
   * @param {(message: string) => void} options.onError a refused pin or unpin ("" clears it)
   */
  constructor({ token, onChange, onError }) {
    this.token = token;
    this.onChange = onChange;
    this.onError = onError;
    /** @type {Set<string>} product ids on screen now */
    this.pinned = new Set();
  }

  /** @param {Pin[]} pins the join snapshot's pins */
  reset(pins) {
    this.pinned = new Set(pins.map((pin) => pin.product.id));
    this.onChange();
  }

  /** The room's `pin` and `unpin` handlers. */
  handlers() {
    return {
      /** @param {Pin} pin */
      pin: (pin) => {
        this.pinned.add(pin.product.id);
        this.onChange();
      },
      /** @param {UnpinEvent} unpin */
      unpin: (unpin) => {
        this.pinned.delete(unpin.product_id);
        this.onChange();
      },
    };
  }

  has(productId) {
    return this.pinned.has(productId);
  }

  /** POST …/pins or DELETE …/pins/{product_id}, then redraw. */
  async toggle(showId, productId) {
    const base = `/api/shows/${encodeURIComponent(showId)}/pins`;
    try {
      if (this.pinned.has(productId)) {
        await api("DELETE", `${base}/${encodeURIComponent(productId)}`, { token: this.token() });
        this.pinned.delete(productId);
      } else {
        await api("POST", base, { token: this.token(), json: { product_id: productId } });
        this.pinned.add(productId);
      }
      this.onError("");
    } catch (error) {
      this.onError(error.message);
    }
    this.onChange();
  }

  /** Take every product off screen (before the show ends: an ended show's pins cannot be changed). */
  async clear(showId) {
    const base = `/api/shows/${encodeURIComponent(showId)}/pins`;
    const pinned = [...this.pinned];
    await Promise.all(
      pinned.map((productId) =>
        api("DELETE", `${base}/${encodeURIComponent(productId)}`, { token: this.token() }).then(
          () => this.pinned.delete(productId),
          (error) => this.onError(error.message),
        ),
      ),
    );
    this.onChange();
  }

  /**
   * The "On screen" badge (when pinned) and the Pin/Unpin button of one product.
   * @param {string} showId
   * @param {Product} product
   * @param {{disabled: boolean}} options
   */
  controls(showId, product, { disabled }) {
    const pinned = this.pinned.has(product.id);
    return [
      pinned ? el("span", { class: "badge badge-live", text: t("pins.on_screen") }) : null,
      el(
        "button",
        {
          type: "button",
          class: `btn btn-small ${pinned ? "" : "btn-primary"}`,
          disabled,
          "aria-label": t(pinned ? "pins.unpin_label" : "pins.pin_label", { title: product.title }),
          onclick: () => this.toggle(showId, product.id),
        },
        pinned ? t("pins.unpin") : t("pins.pin"),
      ),
    ];
  }
}
