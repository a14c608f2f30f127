// The brand console: catalog with stock and commission editing, shows featuring the brand's
// products, pin/unpin during a live show, live sales charts, and orders with refund.
import { api } from "./api.js";
import { drawBars } from "./chart.js";
import { $, announce, el, setText, timeText } from "./dom.js";
import { LiveRoom, asList } from "./live.js";
import { formatMoney } from "./money.js";
import { hasService } from "./services.js";
import { forgetSessionToken, saveSessionToken, tokenFromFragment } from "./tokens.js";

const TOKEN_KEY = "livecart.brand.token";
const MAX_SHOWS = 30;
const STATS_REFRESH_MS = 10000;

const state = {
  token: tokenFromFragment(TOKEN_KEY),
  me: null,
  products: new Map(), // this brand's products by id
  shows: [], // {show, products} for shows featuring them
  selected: null, // {show, products}
  pinned: new Set(),
  tally: new Map(), // product_id → {units, gmv_cents, pins, cart_adds, conversion}
};
let room = null;
let statsTimer = 0;

const authed = (method, path, options = {}) => api(method, path, { token: state.token, ...options });

// ---- sign-in ------------------------------------------------------------------------------------
function askForToken(message) {
  $("#console").hidden = true;
  $("#token-form").hidden = false;
  setText("#token-input-error", message || "");
  $("#token-input").focus();
}

async function signIn() {
  try {
    state.me = await authed("GET", "/api/me");
  } catch (error) {
    forgetSessionToken(TOKEN_KEY);
    askForToken(error.status === 401 ? "That token is not valid. Paste the brand token again." : error.message);
    return false;
  }
  if (state.me.role !== "brand") {
    askForToken(`That is a ${state.me.role} token; the console needs a brand's token.`);
    return false;
  }
  return true;
}

// ---- catalog ------------------------------------------------------------------------------------
function catalogRow(product) {
  const stockId = `stock-${product.id}`;
  const commissionId = `commission-${product.id}`;
  const stock = el("input", { id: stockId, name: "stock", type: "number", min: 0, step: 1, inputmode: "numeric", value: product.stock });
  const commission = el("input", { id: commissionId, name: "commission", type: "number", min: 0, max: 100, step: 0.01, inputmode: "decimal", value: product.commission_bps / 100 });
  const save = el("button", { type: "button", class: "btn btn-small btn-primary", "aria-label": `Save ${product.title}` }, "Save");
  const row = el(
    "tr",
    { dataset: { productId: product.id } },
    el("th", { scope: "row" }, el("span", { class: "row" }, el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 32, height: 32 }), el("span", { class: "title", text: product.title }))),
    el("td", { text: formatMoney(product.price_cents, product.currency) }),
    el("td", {}, el("label", { for: stockId, class: "visually-hidden", text: `Stock of ${product.title}` }), stock),
    el("td", {}, el("label", { for: commissionId, class: "visually-hidden", text: `Commission % for ${product.title}` }), commission),
    el("td", {}, save),
  );
  save.addEventListener("click", () => saveRow(product.id, stock, commission));
  for (const input of [stock, commission]) {
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") saveRow(product.id, stock, commission); });
  }
  return row;
}

async function saveRow(productId, stockInput, commissionInput) {
  const product = state.products.get(productId);
  const problems = [];
  const changes = {};
  const stock = Number(stockInput.value);
  const percent = Number(commissionInput.value);
  stockInput.removeAttribute("aria-invalid");
  commissionInput.removeAttribute("aria-invalid");
  if (stockInput.value === "" || !Number.isInteger(stock) || stock < 0) {
    problems.push(`Stock of ${product.title} must be a whole number, 0 or more.`);
    stockInput.setAttribute("aria-invalid", "true");
  } else if (stock !== product.stock) changes.stock = stock;
  if (commissionInput.value === "" || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    problems.push(`Commission for ${product.title} must be between 0 and 100 %.`);
    commissionInput.setAttribute("aria-invalid", "true");
  } else if (Math.round(percent * 100) !== product.commission_bps) changes.commission_bps = Math.round(percent * 100);
  $("#catalog-ok").textContent = "";
  if (problems.length) {
    $("#catalog-error").textContent = problems.join(" ");
    $('#catalog [aria-invalid="true"]')?.focus();
    return;
  }
  if (!Object.keys(changes).length) {
    $("#catalog-error").textContent = "";
    announce($("#catalog-ok"), `Nothing changed for ${product.title}.`, 4000);
    return;
  }
  try {
    const updated = await authed("PATCH", `/api/products/${encodeURIComponent(productId)}`, { json: changes });
    state.products.set(updated.id, updated);
    stockInput.value = updated.stock;
    commissionInput.value = updated.commission_bps / 100;
    $("#catalog-error").textContent = "";
    announce($("#catalog-ok"), `Saved ${updated.title}: ${updated.stock} in stock, ${updated.commission_bps / 100} % commission.`, 6000);
  } catch (error) {
    const fields = error.details?.fields || {};
    if (fields.stock) stockInput.setAttribute("aria-invalid", "true");
    if (fields.commission_bps) commissionInput.setAttribute("aria-invalid", "true");
    const detail = Object.entries(fields).map(([name, message]) => `${name}: ${message}`).join("; ");
    $("#catalog-error").textContent = `Could not save ${product.title}: ${detail || error.message}`;
  }
}

async function loadCatalog() {
  const { products } = await api("GET", `/api/products?brand_id=${encodeURIComponent(state.me.id)}`);
  state.products = new Map(products.map((p) => [p.id, p]));
  $("#catalog").replaceChildren(...products.map(catalogRow));
  if (!products.length) $("#catalog").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "empty", text: "No products yet." })));
}

// ---- shows featuring the brand ------------------------------------------------------------------
async function loadShows() {
  const { shows } = await api("GET", "/api/shows");
  const details = await Promise.all(shows.slice(0, MAX_SHOWS).map((s) => api("GET", `/api/shows/${encodeURIComponent(s.id)}`).catch(() => null)));
  state.shows = details
    .filter(Boolean)
    .map((show) => ({ show, products: (show.lineup || []).filter((p) => p.brand_id === state.me.id) }))
    .filter((entry) => entry.products.length > 0);
  renderShows();
}

function renderShows() {
  $("#shows").replaceChildren(...state.shows.map(({ show, products }) => el(
    "li",
    { dataset: { showId: show.id } },
    el("span", { class: `badge ${show.status === "live" ? "badge-live" : show.status === "ended" ? "badge-ended" : ""}`, text: show.status }),
    el("span", { class: "grow" }, el("strong", { text: show.title }), " ", el("span", { class: "hint", text: `${products.length} of your products${show.scheduled_at && show.status === "scheduled" ? ` · ${timeText(show.scheduled_at)}` : ""}` })),
    el("button", { type: "button", class: "btn btn-small btn-primary", "aria-label": `Open ${show.title}`, onclick: () => selectShow(show.id) }, "Open"),
  )));
  $("#shows-empty").hidden = state.shows.length > 0;
}

// ---- one show: pins, charts, orders -------------------------------------------------------------
function renderPins() {
  const { show, products } = state.selected;
  const live = show.status === "live";
  $("#pins").replaceChildren(...products.map((product) => {
    const pinned = state.pinned.has(product.id);
    return el(
      "li",
      { dataset: { productId: product.id } },
      el("span", { class: "grow", text: product.title }),
      pinned ? el("span", { class: "badge badge-live", text: "On screen" }) : null,
      el("button", {
        type: "button", class: `btn btn-small ${pinned ? "" : "btn-primary"}`, disabled: !live || !hasService("commerce"),
        "aria-label": `${pinned ? "Unpin" : "Pin"} ${product.title}`, onclick: () => togglePin(product),
      }, pinned ? "Unpin" : "Pin"),
    );
  }));
  setText("#pins-hint", live ? "" : show.status === "ended" ? "The show has ended." : "Pinning opens when the show is live.");
}

async function togglePin(product) {
  const base = `/api/shows/${encodeURIComponent(state.selected.show.id)}/pins`;
  try {
    if (state.pinned.has(product.id)) {
      await authed("DELETE", `${base}/${encodeURIComponent(product.id)}`);
      state.pinned.delete(product.id);
    } else {
      await authed("POST", base, { json: { product_id: product.id } });
      state.pinned.add(product.id);
    }
    setText("#pins-error", "");
  } catch (error) {
    setText("#pins-error", error.message);
  }
  renderPins();
}

function tallyFor(productId) {
  if (!state.tally.has(productId)) state.tally.set(productId, { units: 0, gmv_cents: 0, pins: 0, cart_adds: 0, conversion: null });
  return state.tally.get(productId);
}

function conversionText(value) {
  if (typeof value !== "number") return "—";
  return `${(value <= 1 ? value * 100 : value).toFixed(1)} %`;
}

function renderCharts() {
  const products = state.selected.products;
  const currency = products[0]?.currency || "EUR";
  const rows = products.map((p) => ({ product: p, t: tallyFor(p.id) }));
  drawBars($("#units-chart"), rows.map(({ product, t }) => ({ label: product.title, value: t.units })), (v) => String(v));
  drawBars($("#gmv-chart"), rows.map(({ product, t }) => ({ label: product.title, value: t.gmv_cents })), (v) => formatMoney(v, currency));
  $("#sales-table").replaceChildren(...rows.map(({ product, t }) => el(
    "tr",
    { dataset: { productId: product.id } },
    el("th", { scope: "row", text: product.title }),
    el("td", { class: "units", text: String(t.units) }),
    el("td", { class: "gmv", text: formatMoney(t.gmv_cents, product.currency) }),
    el("td", { text: String(t.pins ?? 0) }),
    el("td", { text: String(t.cart_adds ?? 0) }),
    el("td", { text: conversionText(t.conversion) }),
  )));
}

async function refreshStats() {
  if (!hasService("stats") || !state.selected) return;
  try {
    const stats = await authed("GET", `/api/shows/${encodeURIComponent(state.selected.show.id)}/stats`);
    const entries = Array.isArray(stats.products) ? stats.products : Object.entries(stats.products || {}).map(([id, s]) => ({ product_id: id, ...s }));
    for (const s of entries) {
      const id = s.product_id || s.id;
      if (!state.products.has(id)) continue;
      const t = tallyFor(id);
      t.units = s.units ?? t.units;
      t.gmv_cents = s.gross_cents ?? s.gmv_cents ?? t.gmv_cents;
      t.pins = s.pins ?? t.pins;
      t.cart_adds = s.cart_adds ?? t.cart_adds;
      t.conversion = s.conversion ?? t.conversion;
    }
    renderCharts();
  } catch { /* the charts keep the tallies from sale events */ }
}

function onSale(sale) {
  if (!state.products.has(sale.product_id)) return;
  const product = state.products.get(sale.product_id);
  const t = tallyFor(sale.product_id);
  t.units += sale.qty;
  t.gmv_cents += sale.qty * product.price_cents;
  renderCharts();
  announce($("#recent-sales"), `${sale.buyer || "Someone"} bought ${sale.qty} × ${sale.title || product.title}`);
  clearTimeout(statsTimer);
  statsTimer = setTimeout(() => { refreshStats(); refreshOrders(); }, 800);
}

// Orders: the list when the server offers one per show, and any order found by its number.
const orders = new Map(); // order id → order

async function refreshOrders() {
  if (!state.selected) return;
  if (hasService("orders")) {
    try {
      const body = await authed("GET", `/api/shows/${encodeURIComponent(state.selected.show.id)}/orders`);
      for (const order of asList(body.orders || body)) orders.set(order.id, order);
      setText("#orders-error", "");
    } catch (error) {
      setText("#orders-error", `Could not load the orders: ${error.message}`);
    }
  }
  renderOrders();
}

function renderOrders() {
  const shown = [...orders.values()].filter((order) => !state.selected || order.show_id === state.selected.show.id);
  $("#orders").replaceChildren(...shown.map(orderItem));
  $("#orders-empty").hidden = shown.length > 0;
}

async function findOrder(event) {
  event.preventDefault();
  const id = $("#order-id").value.trim();
  if (!id) {
    setText("#orders-error", "Type the order number, e.g. ord_….");
    return;
  }
  try {
    const order = await authed("GET", `/api/orders/${encodeURIComponent(id)}`);
    orders.set(order.id, order);
    $("#order-id").value = "";
    setText("#orders-error", "");
    if (state.selected && order.show_id !== state.selected.show.id) await selectShow(order.show_id);
    renderOrders();
  } catch (error) {
    setText("#orders-error", error.status === 404 || error.status === 403 ? `No order ${id} with your products.` : error.message);
  }
}

function myLines(order) {
  return asList(order.items || order.lines).filter((line) => !line.brand_id || line.brand_id === state.me.id);
}

function orderItem(order) {
  const lines = myLines(order);
  const what = lines.map((line) => `${line.qty} × ${line.title || state.products.get(line.product_id)?.title || line.product_id}`).join(", ");
  const refundable = order.status === "paid" && lines.some((line) => (line.refunded_qty || 0) < line.qty);
  const refunded = order.refunded_cents ? ` · refunded ${formatMoney(order.refunded_cents, order.currency)}` : "";
  return el(
    "li",
    { dataset: { orderId: order.id } },
    el("span", { class: "grow" }, el("strong", { text: order.shipping?.name || order.buyer_name || "buyer" }), " ", el("span", { text: what }), " ",
      el("span", { class: "hint", text: `${order.id} · ${formatMoney(order.total_cents, order.currency)} · ${order.status}${refunded}` })),
    el("button", { type: "button", class: "btn btn-small", disabled: !refundable, "aria-label": `Refund order ${order.id}`, onclick: () => refund(order) }, "Refund"),
  );
}

async function refund(order) {
  try {
    const body = await authed("POST", `/api/orders/${encodeURIComponent(order.id)}/refund`, { json: {} });
    orders.set(order.id, body.order || (await authed("GET", `/api/orders/${encodeURIComponent(order.id)}`)));
    setText("#orders-error", "");
    renderOrders();
    await refreshStats();
  } catch (error) {
    setText("#orders-error", `Could not refund: ${error.message}`);
  }
}

function joinRoom(showId) {
  room?.close();
  room = null;
  if (!hasService("live")) return;
  room = new LiveRoom(showId, {
    token: state.token,
    onSnapshot: (ack) => {
      const snap = ack.snapshot || ack;
      state.pinned = new Set(asList(snap.pins).map((pin) => (pin.product || pin).id));
      if (snap.show?.status) state.selected.show.status = snap.show.status;
      renderPins();
    },
    onState: (liveState, text) => { $("#notice").textContent = liveState === "connected" ? "" : text; },
    handlers: {
      pin: ({ product }) => { state.pinned.add(product.id); renderPins(); },
      unpin: ({ product_id: id }) => { state.pinned.delete(id); renderPins(); },
      sale: onSale,
      stock: ({ product_id: id, stock }) => {
        const product = state.products.get(id);
        if (!product) return;
        state.products.set(id, { ...product, stock });
        const input = document.getElementById(`stock-${id}`);
        if (input && document.activeElement !== input) input.value = stock;
      },
      show: ({ status }) => {
        state.selected.show.status = status;
        setText("#live-status", status);
        renderPins();
      },
    },
  });
  room.connect();
}

async function selectShow(showId) {
  const entry = state.shows.find((s) => s.show.id === showId);
  if (!entry) return;
  state.selected = entry;
  state.pinned = new Set();
  state.tally = new Map();
  $("#live-panel").hidden = false;
  setText("#live-title", entry.show.title);
  setText("#live-status", entry.show.status);
  $("#live-status").className = `badge ${entry.show.status === "live" ? "badge-live" : ""}`;
  setText("#pins-error", "");
  renderPins();
  renderCharts();
  joinRoom(showId);
  await Promise.all([refreshStats(), refreshOrders()]);
  $("#live-heading").scrollIntoView({ block: "start" });
}

// ---- start --------------------------------------------------------------------------------------
async function openConsole() {
  if (!(await signIn())) return;
  $("#token-form").hidden = true;
  $("#console").hidden = false;
  setText("#brand-name", `${state.me.name} · brand console`);
  document.title = `${state.me.name} · livecart`;
  try {
    await loadCatalog();
    await loadShows();
  } catch (error) {
    setText("#catalog-error", `Could not load: ${error.message}`);
  }
  const live = state.shows.find((s) => s.show.status === "live");
  if (live) await selectShow(live.show.id);
  setInterval(refreshStats, STATS_REFRESH_MS);
}

function main() {
  let resizeFrame = 0;
  addEventListener("resize", () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => { if (state.selected) renderCharts(); });
  });
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("#token-input").value.trim();
    if (!token) return askForToken("Paste the brand token (it was printed with the console link).");
    state.token = token;
    saveSessionToken(TOKEN_KEY, token);
    openConsole();
  });
  $("#order-form").addEventListener("submit", findOrder);
  if (state.token) openConsole();
  else askForToken("");
}

main();
