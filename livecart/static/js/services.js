// The server writes the services it offers into <meta name="livecart-services"> (livecart/web.py);
// pages only call services that exist, and say so when one is missing.
const meta = /** @type {HTMLMetaElement|null} */ (document.querySelector('meta[name="livecart-services"]'));
const offered = new Set((meta?.content || "").split(/\s+/).filter(Boolean));

export const hasService = (name) => offered.has(name);
