// The cart drawer and checkout form of the watch page. The server's cart is the truth: every change
// is sent, then the cart is read back and drawn.
import { api } from "./api.js";
import { $, bidi, el, showFieldErrors, userText } from "./dom.js";
import { formatMoney } from "./money.js";
import { hasService } from "./services.js";

const SHIPPING_FIELDS = ["name", "line1", "city", "postal_code", "country"];

/** Per-field checks before anything is sent; the server checks again. */
export function checkoutProblems(values) {
  const problems = {};
  const labels = { name: "your full name", line1: "the street address", city: "the city", postal_code: "the postal code", country: "the country" };
  for (const field of SHIPPING_FIELDS) if (!values[field]) problems[field] = `Enter ${labels[field]}.`;
  if (values.country && !/^[A-Za-z]{2}$/.test(values.country)) problems.country = "Use the 2-letter country code, e.g. FR or US.";
  const digits = values.card_number.replace(/[\s-]/g, "");
  if (!digits) problems.card_number = "Enter the card number.";
  else if (!/^\d{12,19}$/.test(digits)) problems.card_number = "A card number has 12 to 19 digits.";
  return problems;
}

/** Product names as isolated text separated by commas (a list of nodes for replaceChildren). */
function joined(parts) {
  return parts.flatMap((part, i) => (i ? [", ", part] : [part]));
}

function asNames(ids, titleOf) {
  const names = (Array.isArray(ids) ? ids : []).map((id) => bidi(titleOf(id)));
  return names.length ? joined(names) : ["see your cart"];
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export class CartView {
  constructor({ showId, products, stock, token, onCount, onUnauthorized }) {
    this.stock = stock; // product_id → units left, kept up to date by the room's `stock` events
    this.base = `/api/shows/${encodeURIComponent(showId)}`;
    this.products = products;
    this.token = token;
    this.onCount = onCount;
    this.onUnauthorized = onUnauthorized;
    this.items = [];
    this.currency = null;
    this.total = null;
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

  async refresh() {
    if (!hasService("commerce") || !this.token()) {
      this.items = [];
      this.render();
      return;
    }
    try {
      this.take(await this.request("GET", "/cart"));
      $("#cart-error").textContent = "";
    } catch (error) {
      $("#cart-error").textContent = `Could not load your cart: ${error.message}`;
    }
  }

  take(body) {
    const cart = body?.cart || body || {};
    // Lines are {product, qty, line_total_cents}; a flat {product_id, ...} line is accepted too.
    this.items = (cart.items || cart.lines || []).map((item) => ({
      ...item,
      product_id: item.product_id || item.product?.id,
      product: item.product || this.products.get(item.product_id) || {},
    }));
    this.total = typeof cart.total_cents === "number" ? cart.total_cents : null;
    this.currency = cart.currency || null;
    this.render();
  }

  async add(productId, qty) {
    const body = await this.request("POST", "/cart/items", { json: { product_id: productId, qty } });
    if (body && (body.items || body.cart)) this.take(body);
    else await this.refresh();
  }

  /** Set a line's quantity: remove it, then add the new quantity (the same under add or set semantics). */
  async setQty(productId, qty) {
    try {
      await this.request("DELETE", `/cart/items/${encodeURIComponent(productId)}`);
      if (qty > 0) await this.request("POST", "/cart/items", { json: { product_id: productId, qty } });
      $("#cart-error").textContent = "";
    } catch (error) {
      $("#cart-error").textContent = error.message;
    }
    await this.refresh();
  }

  line(item) {
    const product = { ...this.products.get(item.product_id), ...item.product };
    const title = item.title || product.title || item.product_id;
    const price = item.unit_price_cents ?? item.price_cents ?? product.price_cents;
    const currency = item.currency || product.currency || this.currency;
    return el(
      "li",
      { class: "cart-line", dataset: { productId: item.product_id } },
      el("img", { src: item.image_url || product.image_url || "/static/img/product.svg", alt: "", width: 48, height: 48 }),
      el("div", {}, userText("div", title), el("div", { class: "hint", text: formatMoney(price, currency) }),
        this.stock.get(item.product_id) === 0 ? el("div", { class: "field-error", text: "Sold out" }) : null),
      el(
        "div",
        { class: "qty" },
        el("button", { type: "button", class: "btn btn-small", "aria-label": `One less ${title}`, onclick: () => this.setQty(item.product_id, item.qty - 1) }, "−"),
        el("span", { "aria-label": `Quantity of ${title}`, text: String(item.qty) }),
        el("button", { type: "button", class: "btn btn-small", "aria-label": `One more ${title}`, onclick: () => this.setQty(item.product_id, item.qty + 1) }, "+"),
      ),
    );
  }

  render() {
    $("#cart-lines").replaceChildren(...this.items.map((item) => this.line(item)));
    $("#cart-empty").hidden = this.items.length > 0;
    $("#checkout-form").hidden = this.items.length === 0;
    let total = this.total;
    let currency = this.currency;
    if (total === null) {
      total = 0;
      for (const item of this.items) {
        const product = { ...this.products.get(item.product_id), ...item.product };
        total += item.line_total_cents ?? (item.unit_price_cents ?? item.price_cents ?? product.price_cents ?? 0) * item.qty;
        currency = currency || item.currency || product.currency;
      }
    }
    $("#cart-total").textContent = currency ? formatMoney(total, currency) : "—";
    this.onCount(this.items.reduce((sum, item) => sum + (item.qty || 0), 0));
  }

  titleOf(productId) {
    const line = this.items.find((item) => item.product_id === productId);
    return line?.product?.title || this.products.get(productId)?.title || productId;
  }

  /** The out_of_stock error names the products: take the names from whatever detail the server gives. */
  outOfStockParts(error) {
    const d = error.details || {};
    const entries = d.product_ids || d.products || d.items || (d.product_id ? [d.product_id] : []);
    const available = d.available && typeof d.available === "object" ? d.available : {};
    const names = entries.map((entry) => {
      const id = typeof entry === "string" ? entry : entry.product_id || entry.id;
      const name = (typeof entry === "object" && entry.title) || this.titleOf(id);
      const left = Array.isArray(available) ? undefined : available[id] ?? (typeof entry === "object" ? entry.available ?? entry.stock : undefined);
      return typeof left === "number" ? [bidi(name), ` (${left === 0 ? "sold out" : `only ${left} left`})`] : [bidi(name)];
    });
    return names.length ? ["Sorry, not enough stock: ", ...joined(names).flat(), ". Lower the quantity or remove it."] : [error.message];
  }

  async checkout(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const values = Object.fromEntries(new FormData(form).entries());
    for (const key of Object.keys(values)) values[key] = String(values[key]).trim();
    $("#checkout-error").textContent = "";
    const problems = checkoutProblems(values);
    showFieldErrors(form, problems);
    if (Object.keys(problems).length) return;
    const body = {
      shipping: Object.fromEntries(SHIPPING_FIELDS.map((f) => [f, f === "country" ? values[f].toUpperCase() : values[f]])),
      payment: { method: "test", card_number: values.card_number.replace(/[\s-]/g, "") },
    };
    const key = this.retryKey && this.retryKey.body === JSON.stringify(body) ? this.retryKey.key : newKey();
    const pay = $("#pay-button");
    pay.disabled = true;
    pay.textContent = "Paying…";
    try {
      const order = await this.request("POST", "/checkout", { json: body, headers: { "Idempotency-Key": key } });
      this.retryKey = null;
      form.elements.card_number.value = "";
      const total = formatMoney(order.total_cents, order.currency);
      $("#checkout-ok").textContent = `Thank you! Order ${order.id} is ${order.status || "paid"}: ${total}.`;
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
      $("#checkout-error").replaceChildren(`${error.message} (`, ...asNames(error.details.product_ids, (id) => this.titleOf(id)), ")");
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
