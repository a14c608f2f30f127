// The product page a share link leads to when its host has no live show or replay (/p/{id}?c=&via=):
// the product, the campaign, and the link's attribution kept (attribution.js).
import { api } from "./api.js";
import { $, setText } from "./dom.js";
import { formatMoney } from "./money.js";
import { heldCode, keepAttribution } from "./attribution.js";

/**
 * @typedef {import("./protocol.js").Product} Product
 */

async function main() {
  heldCode();
  keepAttribution();
  const productId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
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

main();
