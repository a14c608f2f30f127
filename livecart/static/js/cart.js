// The cart drawer and checkout form of the watch page. The server's cart is the truth: every change
// is sent, then the cart is read back and drawn.
import { api } from "./api.js";
import { $, bidi, el, showFieldErrors, userText } from "./dom.js";
import { formatMoney } from "./money.js";
import { t } from "./i18n.js";
import { hasService } from "./services.js";

/**
 * @typedef {import("./protocol.js").Cart} Cart
 * @typedef {import("./protocol.js").CartLine} CartLine
 * @typedef {import("./protocol.js").Order} Order
 * @typedef {import("./protocol.js").Product} Product
 */

const SHIPPING_FIELDS = ["name", "line1", "city", "postal_code", "country"];

/** Per-field checks before anything is sent; the server checks again. */
export function checkoutProblems(values) {
  const problems = {};
  const labels = {
    name: "your full name",
    line1: "the street address",
    city: "the city",
    postal_code: "the postal code",
    country: "the country",
  };
  for (const field of SHIPPING_FIELDS) if (!values[field]) problems[field] = `Enter ${labels[field]}.`;
  if (values.country && !/^[A-Za-z]{2}$/.test(values.country)) {
    problems.country = "Use the 2-letter country code, e.g. FR or US.";
  }
  const digits = values.card_number.replace(/[\s-]/g, "");
  if (!digits) problems.card_number = "Enter the card number.";
  else if (!/^\d{12,19}$/.test(digits)) problems.card_number = "A card number has 12 to 19 digits.";
  return problems;
}

/** Product names as isolated text separated by commas (a list of nodes for replaceChildren). */
function joined(parts) {
  return parts.flatMap((part, i) => (i ? [", ", part] : [part]));
}

/** @param {string[]} ids */
function asNames(ids, titleOf) {
  return joined(ids.map((id) => bidi(titleOf(id))));
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export class CartView {
  /**
   * @param {object} options
   * @param {string} options.showId
   * @param {Map<string, Product>} options.products the show's products (lineup and pins), by id
   * @param {Map<string, number>} options.stock product_id → units left, kept up to date by the room's `stock` events
   * @param {() => string|undefined} options.token the viewer's token
   * @param {(count: number) => void} options.onCount units in the cart
   * @param {() => void} options.onUnauthorized the server refused the viewer's token
   */
  constructor({ showId, products, stock, token, onCount, onUnauthorized }) {
    this.stock = stock;
    this.base = `/api/shows/${encodeURIComponent(showId)}`;
    this.products = products;
    this.token = token;
    this.onCount = onCount;
    this.onUnauthorized = onUnauthorized;
    /** @type {Cart|null} the server's cart, as last read */
    this.cart = null;
    this.retryKey = null; // kept only when the last attempt got no answer (network), so a retry is safe
    this.dialog = $("#cart-dialog");
  }

  wire() {
    $("#cart-button").addEventListener("click", () => this.open());
    $("#cart-close").addEventListener("click", () => this.dialog.close());
    $("#checkout-form").addEventListener("submit", (event) => this.checkout(event));
    this.dialog.addEventListener("close", () => $("#cart-button").focus());
    this.render();
  }

  open() {
    $("#checkout-ok").textContent = "";
    this.dialog.showModal();
    this.refresh();
  }

  async request(method, path, options = {}) {
    try {
      return await api(method, `${this.base}${path}`, { token: this.token(), ...options });
    } catch (error) {
      if (error.status === 401) this.onUnauthorized();
      throw error;
    }
  }

  /** Read the server's cart and draw it. A problem shown by the change that led here stays on screen
   * (`keepError`): the refresh after a refused "one more" must not hide why it was refused. */
  async refresh({ keepError = false } = {}) {
    if (!hasService("commerce") || !this.token()) {
      this.cart = null;
      this.render();
      return;
    }
    try {
      this.take(await this.request("GET", "/cart"));
      if (!keepError) $("#cart-error").textContent = "";
    } catch (error) {
      $("#cart-error").textContent = `Could not load your cart: ${error.message}`;
    }
  }

  /** @param {Cart} cart */
  take(cart) {
    this.cart = cart;
    this.render();
  }

  get items() {
    return this.cart ? this.cart.items : [];
  }

  /** POST …/cart/items adds `qty` units and answers with the whole cart. */
  async add(productId, qty) {
    this.take(await this.request("POST", "/cart/items", { json: { product_id: productId, qty } }));
  }

  /** Set a line's quantity. More units are added (`POST …/cart/items` adds, and the server refuses the
   * whole request, leaving the line as it was, when it would pass the per-buyer limit or the line is no
   * longer on sale); fewer are the line removed and the new quantity added back. */
  async setQty(productId, qty) {
    const current = this.items.find((item) => item.product.id === productId)?.qty ?? 0;
    let failed = false;
    try {
      if (qty > current) {
        await this.request("POST", "/cart/items", { json: { product_id: productId, qty: qty - current } });
      } else {
        await this.request("DELETE", `/cart/items/${encodeURIComponent(productId)}`);
        if (qty > 0) await this.request("POST", "/cart/items", { json: { product_id: productId, qty } });
      }
      $("#cart-error").textContent = "";
    } catch (error) {
      failed = true;
      this.showLineError(productId, error);
    }
    await this.refresh({ keepError: failed });
  }

  /** A refused change of a line, said with the product's name (limit_exceeded gives the limit). */
  showLineError(productId, error) {
    const name = bidi(this.titleOf(productId));
    if (error.code === "limit_exceeded") {
      const limit = error.details.limit;
      $("#cart-error").replaceChildren(t("cart.limit", { limit }), " (", name, ")");
    } else {
      $("#cart-error").replaceChildren(error.message, " (", name, ")");
    }
  }

  /** @param {CartLine} line */
  line({ product, qty }) {
    const title = product.title;
    return el(
      "li",
      { class: "cart-line", dataset: { productId: product.id } },
      el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 48, height: 48 }),
      el(
        "div",
        {},
        userText("div", title),
        el("div", { class: "hint", text: formatMoney(product.price_cents, product.currency) }),
        this.stock.get(product.id) === 0 ? el("div", { class: "field-error", text: "Sold out" }) : null,
      ),
      el(
        "div",
        { class: "qty" },
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            "aria-label": `One less ${title}`,
            onclick: () => this.setQty(product.id, qty - 1),
          },
          "−",
        ),
        el("span", { "aria-label": `Quantity of ${title}`, text: String(qty) }),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            "aria-label": `One more ${title}`,
            onclick: () => this.setQty(product.id, qty + 1),
          },
          "+",
        ),
      ),
    );
  }

  render() {
    const items = this.items;
    $("#cart-lines").replaceChildren(...items.map((item) => this.line(item)));
    $("#cart-empty").hidden = items.length > 0;
    $("#checkout-form").hidden = items.length === 0;
    const currency = this.cart?.currency;
    $("#cart-total").textContent = currency ? formatMoney(this.cart.total_cents, currency) : "—";
    this.onCount(items.reduce((sum, item) => sum + item.qty, 0));
  }

  titleOf(productId) {
    const line = this.items.find((item) => item.product.id === productId);
    return line?.product.title || this.products.get(productId)?.title || productId;
  }

  /** out_of_stock names every short product (`product_ids`) with the units left (`available`). */
  outOfStockParts(error) {
    const { product_ids: ids, available } = error.details;
    const names = ids.map((id) => {
      const left = available[id];
      return [bidi(this.titleOf(id)), ` (${left === 0 ? "sold out" : `only ${left} left`})`];
    });
    return ["Sorry, not enough stock: ", ...joined(names).flat(), ". Lower the quantity or remove it."];
  }

  async checkout(event) {
    event.preventDefault();
    const form = event.currentTarget;
    /** @type {Object<string, string>} */
    const values = {};
    for (const [key, value] of new FormData(form).entries()) values[key] = String(value).trim();
    $("#checkout-error").textContent = "";
    const problems = checkoutProblems(values);
    showFieldErrors(form, problems);
    if (Object.keys(problems).length) return;
    const body = {
      shipping: Object.fromEntries(
        SHIPPING_FIELDS.map((f) => [f, f === "country" ? values[f].toUpperCase() : values[f]]),
      ),
      payment: { method: "test", card_number: values.card_number.replace(/[\s-]/g, "") },
    };
    const key = this.retryKey && this.retryKey.body === JSON.stringify(body) ? this.retryKey.key : newKey();
    const pay = $("#pay-button");
    pay.disabled = true;
    pay.textContent = "Paying…";
    try {
      /** @type {Order} */
      const order = await this.request("POST", "/checkout", { json: body, headers: { "Idempotency-Key": key } });
      this.retryKey = null;
      form.elements.card_number.value = "";
      const total = formatMoney(order.total_cents, order.currency);
      $("#checkout-ok").textContent = `Thank you! Order ${order.id} is ${order.status}: ${total}.`;
      await this.refresh();
    } catch (error) {
      this.retryKey = error.status === 0 || error.status >= 500 ? { key, body: JSON.stringify(body) } : null;
      this.showCheckoutError(form, error);
    } finally {
      pay.disabled = false;
      pay.textContent = "Pay";
    }
  }

  showCheckoutError(form, error) {
    this.explain(form, error);
    $("#checkout-error").scrollIntoView({ block: "nearest" });
  }

  explain(form, error) {
    if (error.code === "out_of_stock") {
      $("#checkout-error").replaceChildren(...this.outOfStockParts(error));
      this.refresh();
    } else if (error.code === "not_pinned" || error.code === "limit_exceeded" || error.code === "price_changed") {
      $("#checkout-error").replaceChildren(
        `${error.message} (`,
        ...asNames(error.details.product_ids, (id) => this.titleOf(id)),
        ")",
      );
      this.refresh();
    } else if (error.code === "payment_declined") {
      showFieldErrors(form, { card_number: "This card was declined. Try another card." });
      $("#checkout-error").textContent = "Your card was declined; nothing was charged.";
    } else if (error.code === "bad_request" && error.details.fields) {
      const fields = {};
      for (const [path, message] of Object.entries(error.details.fields)) fields[path.split(".").pop()] = message;
      showFieldErrors(form, fields);
      $("#checkout-error").textContent = "Please fix the highlighted fields.";
    } else {
      $("#checkout-error").textContent = error.message;
    }
  }
}
