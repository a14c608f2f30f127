// Share-link attribution, first party: a page opened through /l/{code} (…?via={code}) keeps the code and
// when it was followed in localStorage (no cookie), and sends it to POST /api/attributions once a viewer
// token exists, which keeps it with the viewer's account for LIVECART_ATTRIBUTION_DAYS (docs/protocol.md).
import { api } from "./api.js";
import { savedViewer } from "./tokens.js";

const KEY = "livecart.attribution";

/** @typedef {import("./protocol.js").Attribution} Attribution */

/** The link code this page was opened through (?via=), kept; else the one kept before (or null). */
export function heldCode() {
  const via = new URLSearchParams(location.search).get("via");
  if (via && /^[23456789a-hjkmnp-z]{8}$/.test(via)) {
    localStorage.setItem(KEY, JSON.stringify({ code: via, at: new Date().toISOString(), sent: false }));
  }
  try {
    const held = JSON.parse(localStorage.getItem(KEY) || "null");
    return held && held.code ? held : null;
  } catch {
    return null;
  }
}

/**
 * Send the kept code with the viewer's token (once): the server keeps the attribution with the account and
 * answers the link's storefront, where the viewer buys outside a show. Resolves with what is kept
 * ({code, at, sent, storefront}) or null (no link followed, no viewer yet, or the code is unknown).
 */
export async function keepAttribution() {
  const held = heldCode();
  const viewer = savedViewer();
  if (!held || !viewer) return null;
  if (held.sent && held.storefront) return held;
  try {
    /** @type {Attribution} */
    const kept = await api("POST", "/api/attributions", { token: viewer.token, json: { code: held.code } });
    const saved = { ...held, sent: true, storefront: kept.storefront_show_id };
    localStorage.setItem(KEY, JSON.stringify(saved));
    return saved;
  } catch {
    return null; // an unknown or old code: nothing to keep
  }
}
