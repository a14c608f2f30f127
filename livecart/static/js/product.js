// The product page a share link leads to when its host has no live show or replay (/p/{id}?c=&via=):
// the product, and for a viewer who came through the link, buying it in the link's storefront (the
// attribution is kept first: attribution.js), which credits the link's host. The checkout sends the total
// the buyer was shown (`expected_total_cents`); a price changed meanwhile (409 price_changed) shows the new
// total and buying goes on only when the buyer presses Pay again, at that total.
import { api } from "./api.js";
import { $, el, setText } from "./dom.js";
import { t, tn, translatePage } from "./i18n.js";
import { formatMoney } from "./money.js";
import { heldCode, keepAttribution } from "./attribution.js";
import { saveViewer, savedViewer } from "./tokens.js";

/**
 * @typedef {import("./protocol.js").NewAccount} NewAccount
 * @typedef {import("./protocol.js").Order} Order
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").ShowDetail} ShowDetail
 */

const productId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
/** @type {string|null} the link's storefront */
let storefront = null;
/** @type {Product|null} the product as shown (its price is what the buyer sees) */
let shown = null;
/** @type {{qty: number, total_cents: number}|null} a new total the server gave (price_changed), shown to the buyer */
let changed = null;

/** The total the buyer sees for the quantity chosen: the product's price, or the new total once told. */
function shownTotal() {
  const qty = Number($("#buy-qty").value) || 0;
  if (changed && changed.qty === qty) return changed.total_cents;
  return shown ? shown.price_cents * qty : 0;
}

function showTotal() {
  if (!shown) return;
  const total = formatMoney(shownTotal(), shown.currency);
  setText("#buy-total", t("product.total", { total }));
}

async function showProduct() {
  try {
    /** @type {Product} */
    const product = await api("GET", `/api/products/${encodeURIComponent(productId)}`);
    shown = product;
    showTotal();
    document.title = `${product.title} · livecart`;
    setText("#product-title", product.title);
    setText("#product-price", formatMoney(product.price_cents, product.currency));
    setText("#product-description", product.description || "");
    if (product.image_url) {
      $("#product-image").src = product.image_url;
      $("#product-image").hidden = false;
    }
  } catch (error) {
    setText("#product-error", error.status === 404 ? t("product.not_found") : error.message);
  }
}

/** Through a link: the storefront, once the viewer exists and the attribution is kept. */
async function openStorefront() {
  const kept = await keepAttribution();
  if (!kept || !kept.storefront) return;
  /** @type {ShowDetail} */
  const shop = await api("GET", `/api/shows/${encodeURIComponent(kept.storefront)}`);
  if (!shop.lineup.some((product) => product.id === productId)) return;
  storefront = kept.storefront;
  $("#name-form").hidden = true;
  $("#buy-form").hidden = false;
}

async function join(event) {
  event.preventDefault();
  try {
    /** @type {NewAccount} */
    const viewer = await api("POST", "/api/viewers", { json: { name: $("#viewer-name").value.trim() } });
    saveViewer(viewer);
    await openStorefront();
  } catch (error) {
    setText("#viewer-name-error", error.message);
  }
}

/**
 * The storefront's cart holds `qty` units of this product (PATCH sets the line, adding it when absent):
 * an earlier attempt's line (a declined card) is replaced, not added to.
 * @param {string} base
 * @param {string|undefined} token
 * @param {number} qty
 */
async function putInCart(base, token, qty) {
  /** @type {import("./protocol.js").CartQtyChange} */
  const change = { qty };
  await api("PATCH", `${base}/cart/items/${encodeURIComponent(productId)}`, { token, json: change });
}

async function buy(event) {
  event.preventDefault();
  const token = savedViewer()?.token;
  const base = `/api/shows/${encodeURIComponent(storefront)}`;
  const qty = Number($("#buy-qty").value);
  const expected = shownTotal(); // the total on the page when Pay was pressed
  setText("#buy-error", "");
  try {
    if (!changed || changed.qty !== qty) await putInCart(base, token, qty);
    /** @type {Order} */
    const order = await api("POST", `${base}/checkout`, {
      token,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      json: {
        expected_total_cents: expected, // any other total is 409 price_changed: never a charge the buyer did not see
        shipping: {
          name: $("#ship-name").value.trim(),
          line1: $("#ship-line1").value.trim(),
          city: $("#ship-city").value.trim(),
          postal_code: $("#ship-postal").value.trim(),
          country: $("#ship-country").value.trim().toUpperCase(),
        },
        payment: { method: "test", card_number: $("#card-number").value.replace(/\s+/g, "") },
      },
    });
    changed = null;
    setText("#buy-ok", t("product.paid", { id: order.id, total: formatMoney(order.total_cents, order.currency) }));
  } catch (error) {
    if (error.code === "price_changed" && typeof error.details.total_cents === "number") {
      changed = { qty, total_cents: error.details.total_cents };
      await showProduct(); // the new price
      const currency = shown ? shown.currency : "EUR";
      const now = formatMoney(error.details.total_cents, currency);
      const before = formatMoney(expected, currency);
      setText("#buy-error", t("product.price_changed", { now, before }));
      $("#buy-pay").focus();
    } else {
      setText("#buy-error", error.message);
    }
  }
}

async function main() {
  translatePage(); // the page's static text; what product.js writes comes from i18n too
  $("#product-hint").replaceChildren(...tn("product.hint", { link: el("a", { href: "/", text: "livecart" }) }));
  const held = heldCode();
  $("#name-form").addEventListener("submit", join);
  $("#buy-form").addEventListener("submit", buy);
  $("#buy-qty").addEventListener("input", showTotal);
  await showProduct();
  if (!held) return;
  if (savedViewer()) await openStorefront();
  else $("#name-form").hidden = false;
}

main();
