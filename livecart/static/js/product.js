// The product page a share link leads to when its host has no live show or replay (/p/{id}?c=&via=):
// the product, and for a viewer who came through the link, buying it in the link's storefront (the
// attribution is kept first: attribution.js), which credits the link's host.
import { api } from "./api.js";
import { $, setText } from "./dom.js";
import { translatePage } from "./i18n.js";
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

async function showProduct() {
  try {
    /** @type {Product} */
    const product = await api("GET", `/api/products/${encodeURIComponent(productId)}`);
    document.title = `${product.title} · livecart`;
    setText("#product-title", product.title);
    setText("#product-price", formatMoney(product.price_cents, product.currency));
    setText("#product-description", product.description || "");
    if (product.image_url) {
      $("#product-image").src = product.image_url;
      $("#product-image").hidden = false;
    }
  } catch (error) {
    setText("#product-error", error.status === 404 ? "This product does not exist." : error.message);
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

async function buy(event) {
  event.preventDefault();
  const token = savedViewer()?.token;
  const base = `/api/shows/${encodeURIComponent(storefront)}`;
  setText("#buy-error", "");
  try {
    await api("POST", `${base}/cart/items`, {
      token,
      json: { product_id: productId, qty: Number($("#buy-qty").value) },
    });
    /** @type {Order} */
    const order = await api("POST", `${base}/checkout`, {
      token,
      headers: { "Idempotency-Key": crypto.randomUUID() },
      json: {
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
    setText("#buy-ok", `Thank you! Order ${order.id} is paid: ${formatMoney(order.total_cents, order.currency)}.`);
  } catch (error) {
    setText("#buy-error", error.message);
  }
}

async function main() {
  translatePage(); // the page's static text; what product.js writes is English for now
  const held = heldCode();
  $("#name-form").addEventListener("submit", join);
  $("#buy-form").addEventListener("submit", buy);
  await showProduct();
  if (!held) return;
  if (savedViewer()) await openStorefront();
  else $("#name-form").hidden = false;
}

main();
