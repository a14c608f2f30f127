// The cart and checkout sheet of the watch page: the lines, the shipping address (saved on the account and
// prefilled), the card (or the saved one: the payment provider's token), and Pay, always in view. The
// server's cart is the truth: every change is sent, then the cart is read back and drawn.
import { api } from "./api.js";
import { countries, homeCountry } from "./countries.js";
import { $, bidi, el, showFieldErrors, userText } from "./dom.js";
import { locale, t } from "./i18n.js";
import { formatMoney } from "./money.js";
import { hasService } from "./services.js";

/**
 * @typedef {import("./protocol.js").Cart} Cart
 * @typedef {import("./protocol.js").CartQtyChange} CartQtyChange
 * @typedef {import("./protocol.js").CartLine} CartLine
 * @typedef {import("./protocol.js").Order} Order
 * @typedef {import("./protocol.js").PaymentMethod} PaymentMethod
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").SavedAddress} SavedAddress
 * @typedef {import("./protocol.js").SavedPaymentMethod} SavedPaymentMethod
 * @typedef {import("./protocol.js").Shipping} Shipping
 */

const SHIPPING_FIELDS = ["name", "line1", "city", "postal_code", "country"];

/** Per-field checks before anything is sent; the server checks again.
 * @param {Object<string, string>} values the form's fields
 * @param {{address: boolean, card: boolean}} asked which parts the form asks for (not the saved ones) */
export function checkoutProblems(values, asked = { address: true, card: true }) {
  const problems = {};
  if (asked.address) {
    for (const field of SHIPPING_FIELDS) if (!values[field]) problems[field] = t(`checkout.missing_${field}`);
  }
  if (asked.card) {
    const digits = (values.card_number || "").replace(/[\s-]/g, "");
    if (!digits) problems.card_number = t("checkout.missing_card");
    else if (!/^\d{12,19}$/.test(digits)) problems.card_number = t("checkout.card_digits");
  }
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

/** @param {Shipping} address */
function addressText(address) {
  const country = new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "region" }).of(
    address.country,
  );
  return [address.name, address.line1, address.line2, `${address.postal_code} ${address.city}`, country]
    .filter(Boolean)
    .join(", ");
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
   * @param {"live"|"replay"} [options.source] where the viewer buys: "replay" on the replay page
   */
  constructor({ showId, products, stock, token, onCount, onUnauthorized, source = "live" }) {
    this.source = source;
    this.stock = stock;
    this.base = `/api/shows/${encodeURIComponent(showId)}`;
    this.products = products;
    this.token = token;
    this.onCount = onCount;
    this.onUnauthorized = onUnauthorized;
    /** @type {Cart|null} the server's cart, as last read */
    this.cart = null;
    /** @type {Shipping|null} the address saved on the account */
    this.address = null;
    /** @type {PaymentMethod|null} the card saved on the account (its token stays on the server) */
    this.card = null;
    this.editAddress = true;
    this.editCard = true;
    this.savedLoaded = false;
    this.retryKey = null; // kept only when the last attempt got no answer (network), so a retry is safe
    this.dialog = $("#cart-dialog");
  }

  wire() {
    $("#cart-button").addEventListener("click", () => this.open());
    $("#cart-close").addEventListener("click", () => this.dialog.close());
    $("#keep-watching").addEventListener("click", () => this.dialog.close());
    $("#checkout-form").addEventListener("submit", (event) => this.checkout(event));
    $("#change-address").addEventListener("click", () => {
      this.editAddress = true;
      this.showSaved();
      $("#ship-name").focus();
    });
    $("#change-card").addEventListener("click", () => {
      this.editCard = true;
      this.showSaved();
      $("#card-number").focus();
    });
    this.dialog.addEventListener("close", () => {
      $("#checkout-done").hidden = true;
      $("#cart-button").focus();
    });
    this.render();
  }

  /** The country list, named and sorted in the reader's language: built when the sheet first opens
   * (naming 249 regions is work the page does not need while the video starts). */
  fillCountries() {
    const select = $("#ship-country");
    if (select.options.length > 1) return;
    const chosen = select.value;
    select.replaceChildren(
      el("option", { value: "", text: t("checkout.choose_country") }),
      ...countries().map(({ code, name }) => el("option", { value: code, text: name })),
    );
    select.value = chosen || this.address?.country || homeCountry();
  }

  open() {
    this.fillCountries();
    $("#checkout-ok").textContent = "";
    $("#checkout-done").hidden = true;
    this.dialog.showModal();
    this.refresh();
    if (!this.savedLoaded) this.loadSaved();
  }

  async request(method, path, options = {}) {
    try {
      return await api(method, path.startsWith("/api/") ? path : `${this.base}${path}`, {
        token: this.token(),
        ...options,
      });
    } catch (error) {
      if (error.status === 401) this.onUnauthorized();
      throw error;
    }
  }

  /** The address and card saved on the account, when this server keeps them: the form is prefilled. */
  async loadSaved() {
    if (!this.token()) return;
    try {
      if (hasService("address")) {
        /** @type {SavedAddress} */
        const saved = await this.request("GET", "/api/me/address");
        this.address = saved.address;
        if (this.address) this.fillAddress(this.address);
        this.editAddress = !this.address;
      }
      if (hasService("wallet")) {
        /** @type {SavedPaymentMethod} */
        const saved = await this.request("GET", "/api/me/payment-method");
        this.card = saved.payment_method;
        this.editCard = !this.card;
      }
      this.savedLoaded = true;
    } catch (error) {
      $("#cart-error").textContent = t("checkout.saved_failed", { reason: error.message });
    }
    this.showSaved();
  }

  /** @param {Shipping} address */
  fillAddress(address) {
    this.fillCountries();
    const form = $("#checkout-form");
    for (const field of [...SHIPPING_FIELDS, "line2"]) {
      const input = form.elements[field];
      if (input && address[field]) input.value = address[field];
    }
  }

  /** Saved parts as one line each with a Change button; the others as fields. */
  showSaved() {
    const useAddress = Boolean(this.address) && !this.editAddress;
    $("#saved-address").hidden = !useAddress;
    $("#address-fields").hidden = useAddress;
    if (this.address) $("#saved-address-text").textContent = addressText(this.address);
    const useCard = Boolean(this.card) && !this.editCard;
    $("#saved-card").hidden = !useCard;
    $("#card-fields").hidden = useCard;
    $("#save-card-label").hidden = !hasService("wallet");
    if (this.card) {
      $("#saved-card-text").textContent = t("checkout.saved_card", {
        brand: this.card.brand.toUpperCase(),
        last4: this.card.last4,
      });
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
      $("#cart-error").textContent = t("cart.load_failed", { reason: error.message });
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

  /** A request body with the purchase path's `source` (left out for "live", the default). */
  sourced(body) {
    return this.source === "live" ? body : { ...body, source: this.source };
  }

  /** POST …/cart/items adds `qty` units and answers with the whole cart. */
  async add(productId, qty) {
    this.take(await this.request("POST", "/cart/items", { json: this.sourced({ product_id: productId, qty }) }));
  }

  /** Set a line's quantity with one `PATCH …/cart/items/{product_id}` `{qty}` (0 removes the line), which
   * answers with the whole cart. Fewer units are never refused; more are checked as an add, and a refusal
   * (the per-buyer limit, the line no longer on sale) leaves the line as it was. */
  async setQty(productId, qty) {
    try {
      /** @type {CartQtyChange} */
      const change = this.sourced({ qty });
      /** @type {Cart} */
      const cart = await this.request("PATCH", `/cart/items/${encodeURIComponent(productId)}`, { json: change });
      $("#cart-error").textContent = "";
      this.take(cart);
    } catch (error) {
      this.showLineError(productId, error);
      await this.refresh({ keepError: true });
    }
  }

  /** A refused change of a line, said with the product's name (limit_exceeded gives the limit). */
  showLineError(productId, error) {
    const name = bidi(this.titleOf(productId));
    const reason = error.code === "limit_exceeded" ? t("cart.limit", { limit: error.details.limit }) : error.message;
    $("#cart-error").replaceChildren(reason, " (", name, ")");
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
        this.stock.get(product.id) === 0 ? el("div", { class: "field-error", text: t("stock.sold_out") }) : null,
      ),
      el(
        "div",
        { class: "qty" },
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            "aria-label": t("cart.one_less", { title }),
            onclick: () => this.setQty(product.id, qty - 1),
          },
          "−",
        ),
        el("span", { "aria-label": t("cart.quantity_of", { title }), text: String(qty) }),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            "aria-label": t("cart.one_more", { title }),
            onclick: () => this.setQty(product.id, qty + 1),
          },
          "+",
        ),
      ),
    );
  }

  render() {
    const items = this.items;
    const deals = this.cart?.deals ?? []; // flash-deal units held at the deal price; checkout buys these first
    const count = items.length + deals.length;
    const done = !$("#checkout-done").hidden;
    $("#cart-lines").replaceChildren(
      ...items.map((item) => this.line(item)),
      ...deals.map((line) => this.dealLine(line)),
    );
    $("#cart-lines").hidden = done;
    $("#cart-empty").hidden = count > 0 || done;
    $("#checkout-form").hidden = count === 0 || done;
    $("#total-row").hidden = count === 0 || done;
    $("#pay-button").hidden = count === 0 || done;
    $("#keep-watching").hidden = !done;
    const currency = this.cart?.currency;
    const total = currency && count ? formatMoney(this.cart.total_cents, currency) : "";
    $("#cart-total").textContent = total;
    if (!$("#pay-button").disabled) {
      $("#pay-button").textContent = total ? t("checkout.pay_amount", { total }) : t("checkout.pay");
    }
    this.onCount([...items, ...deals].reduce((sum, item) => sum + item.qty, 0));
  }

  /** @param {import("./protocol.js").DealLine} line */
  dealLine({ product, qty, price_cents: price, expires_at: expires }) {
    return el(
      "li",
      { class: "cart-line deal-line", dataset: { productId: product.id } },
      el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 48, height: 48 }),
      el(
        "div",
        {},
        userText("div", product.title),
        el("div", {
          class: "hint",
          text: t("cart.deal_line", {
            price: formatMoney(price, product.currency),
            qty,
            until: new Date(expires).toLocaleTimeString(locale),
          }),
        }),
      ),
    );
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
      return [bidi(this.titleOf(id)), ` (${left === 0 ? t("stock.sold_out_lower") : t("stock.only_left", { left })})`];
    });
    return [t("checkout.out_of_stock"), " ", ...joined(names).flat(), ". ", t("checkout.out_of_stock_hint")];
  }

  /** What the form asks for now: the address and the card unless saved ones are used. */
  asked() {
    return { address: !this.address || this.editAddress, card: !this.card || this.editCard };
  }

  async checkout(event) {
    event.preventDefault();
    const form = event.currentTarget;
    /** @type {Object<string, string>} */
    const values = {};
    for (const [key, value] of new FormData(form).entries()) values[key] = String(value).trim();
    $("#checkout-error").textContent = "";
    $("#checkout-ok").textContent = "";
    const asked = this.asked();
    const problems = checkoutProblems(values, asked);
    showFieldErrors(form, problems);
    if (Object.keys(problems).length) return;
    /** @type {Shipping} */
    const shipping = asked.address
      ? /** @type {Shipping} */ (
          Object.fromEntries(SHIPPING_FIELDS.map((f) => [f, f === "country" ? values[f].toUpperCase() : values[f]]))
        )
      : this.address;
    const saveCard = hasService("wallet") && asked.card && $("#save-card").checked;
    const payment = asked.card
      ? { method: "test", card_number: values.card_number.replace(/[\s-]/g, ""), ...(saveCard ? { save: true } : {}) }
      : { method: "saved" };
    const body = {
      shipping,
      payment,
      expected_total_cents: this.cart?.total_cents ?? 0, // the total shown: a different one is 409 price_changed
      ...(this.source !== "live" ? { source: this.source } : {}),
    };
    const key = this.retryKey && this.retryKey.body === JSON.stringify(body) ? this.retryKey.key : newKey();
    const pay = $("#pay-button");
    pay.disabled = true;
    pay.textContent = t("checkout.paying");
    try {
      if (asked.address && hasService("address")) await this.saveAddress(shipping);
      /** @type {Order} */
      const order = await this.request("POST", "/checkout", { json: body, headers: { "Idempotency-Key": key } });
      this.retryKey = null;
      form.elements.card_number.value = "";
      this.showDone(order);
      if (saveCard) this.savedLoaded = false; // the card saved with the order is read next time
      await this.refresh();
    } catch (error) {
      // One key per purchase attempt: kept while the outcome is unknown (no answer, 5xx, or the first try
      // still running), so the retry can never pay twice; a new attempt gets a new key.
      const unknown = error.status === 0 || error.status >= 500 || error.code === "idempotency_in_progress";
      this.retryKey = unknown ? { key, body: JSON.stringify(body) } : null;
      this.explain(form, error);
    } finally {
      pay.disabled = false;
      this.render();
    }
  }

  /** @param {Shipping} shipping */
  async saveAddress(shipping) {
    /** @type {SavedAddress} */
    const saved = await this.request("PUT", "/api/me/address", { json: shipping });
    this.address = saved.address;
    this.editAddress = false;
    this.showSaved();
  }

  /** Success: what was bought, the total, and "Keep watching".
   * @param {Order} order */
  showDone(order) {
    $("#done-items").replaceChildren(
      ...order.items.map((item) =>
        el("li", {}, `${item.qty} × `, bidi(item.title), ` — ${formatMoney(item.line_total_cents, order.currency)}`),
      ),
    );
    $("#done-total").textContent = formatMoney(order.total_cents, order.currency);
    $("#done-order").textContent = t("checkout.order_number", { id: order.id });
    $("#checkout-done").hidden = false;
    $("#checkout-ok").textContent = t("checkout.ok", { total: formatMoney(order.total_cents, order.currency) });
    $("#checkout-done").focus();
  }

  explain(form, error) {
    const box = $("#checkout-error");
    if (error.code === "out_of_stock") {
      box.replaceChildren(...this.outOfStockParts(error));
      this.refresh({ keepError: true });
    } else if (error.code === "not_pinned" || error.code === "limit_exceeded" || error.code === "price_changed") {
      const reason = error.code === "limit_exceeded" ? t("cart.limit", { limit: error.details.limit }) : error.message;
      box.replaceChildren(`${reason} (`, ...asNames(error.details.product_ids, (id) => this.titleOf(id)), ")");
      this.refresh({ keepError: true });
    } else if (error.code === "cart_empty") {
      box.textContent = t("checkout.cart_empty");
      this.refresh({ keepError: true });
    } else if (error.code === "idempotency_in_progress") {
      box.textContent = t("checkout.in_progress");
    } else if (error.code === "payment_declined") {
      if (this.asked().card) {
        showFieldErrors(form, { card_number: t("checkout.declined_field") });
      } else {
        this.editCard = true; // the saved card was refused: ask for another one
        this.showSaved();
      }
      box.textContent = t("checkout.declined");
    } else if (error.code === "bad_request" && error.details.fields) {
      const fields = {};
      for (const [path, message] of Object.entries(error.details.fields)) fields[path.split(".").pop()] = message;
      if (!this.asked().address) {
        this.editAddress = true;
        this.showSaved();
      }
      showFieldErrors(form, fields);
      box.textContent = t("checkout.fix_fields");
    } else {
      box.textContent = error.message;
    }
  }
}
