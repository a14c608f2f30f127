// The brand console: catalog with stock and commission editing, shows featuring the brand's
// products, pin/unpin during a live show, live sales charts, orders with refund, and reviews (brand-reviews.js).
import { api } from "./api.js";
import { mountCampaigns } from "./campaigns.js";
import { mountBrandReviews } from "./brand-reviews.js";
import { drawBars } from "./chart.js";
import { $, announce, bidi, el, isolate, setText, timeText, userText } from "./dom.js";
import { locale, t, tn, translatePage } from "./i18n.js";
import { LiveRoom } from "./live.js";
import { formatMoney } from "./money.js";
import { Pins } from "./pins.js";
import { SellerControls } from "./selling.js";
import { hasService } from "./services.js";
import { SignIn } from "./signin.js";

/**
 * @typedef {import("./protocol.js").Account} Account
 * @typedef {import("./protocol.js").BrandOrder} BrandOrder
 * @typedef {import("./protocol.js").BrandOrderPage} BrandOrderPage
 * @typedef {import("./protocol.js").JoinAck} JoinAck
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").ProductList} ProductList
 * @typedef {import("./protocol.js").RefundReply} RefundReply
 * @typedef {import("./protocol.js").SaleEvent} SaleEvent
 * @typedef {import("./protocol.js").ShowDetail} ShowDetail
 * @typedef {import("./protocol.js").ShowEvent} ShowEvent
 * @typedef {import("./protocol.js").ShowList} ShowList
 * @typedef {import("./protocol.js").ShowStats} ShowStats
 * @typedef {import("./protocol.js").StockLevel} StockLevel
 * @typedef {{units: number, gross_cents: number, refunded_cents: number, net_cents: number, pins: number,
 *   cart_adds: number, conversion: number|null}} Tally
 */

const MAX_SHOWS = 30;
const STATS_REFRESH_MS = 10000;

const signIn = new SignIn({
  storageKey: "livecart.brand.token",
  panel: "#console",
  roles: ["brand"],
  invalid: t("brand.token_invalid"),
  missing: t("brand.token_missing"),
  wrongRole: (role) => t("brand.token_wrong_role", { role }),
});

const state = {
  /** @type {Account|null} */
  me: null,
  /** @type {Map<string, Product>} this brand's products by id */
  products: new Map(),
  /** @type {{show: ShowDetail, products: Product[]}[]} shows featuring them */
  shows: [],
  /** @type {{show: ShowDetail, products: Product[]}|null} */
  selected: null,
  /** @type {Map<string, Tally>} product_id → this show's figures */
  tally: new Map(),
};
const pins = new Pins({
  token: () => signIn.token,
  onChange: () => renderPins(),
  onError: (message) => setText("#pins-error", message),
});
// Auctions and deals of this brand's products in the selected show (selling.js); giveaways are the host's.
const selling = new SellerControls({
  token: () => signIn.token,
  onChange: () => renderPins(),
  onError: (message) => setText("#pins-error", message),
  giveaways: false,
});
let room = null;
let statsTimer = 0;

const authed = (method, path, options = {}) => api(method, path, { token: signIn.token, ...options });

// ---- catalog ------------------------------------------------------------------------------------
function catalogRow(product) {
  const stockId = `stock-${product.id}`;
  const commissionId = `commission-${product.id}`;
  const stock = el("input", {
    id: stockId,
    name: "stock",
    type: "number",
    min: 0,
    step: 1,
    inputmode: "numeric",
    value: product.stock,
  });
  const commission = el("input", {
    id: commissionId,
    name: "commission",
    type: "number",
    min: 0,
    max: 100,
    step: 0.01,
    inputmode: "decimal",
    value: product.commission_bps / 100,
  });
  const save = el(
    "button",
    {
      type: "button",
      class: "btn btn-small btn-primary",
      "aria-label": t("brand.save_label", { title: product.title }),
    },
    t("brand.save"),
  );
  const row = el(
    "tr",
    { dataset: { productId: product.id } },
    el(
      "th",
      { scope: "row" },
      el(
        "span",
        { class: "row" },
        el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 32, height: 32 }),
        userText("span", product.title, { class: "title" }),
      ),
    ),
    el("td", { text: formatMoney(product.price_cents, product.currency), dataset: { label: t("brand.col_price") } }),
    el(
      "td",
      { dataset: { label: t("brand.col_stock") } },
      el("label", { for: stockId, class: "visually-hidden" }, tn("brand.stock_of", { title: bidi(product.title) })),
      stock,
    ),
    el(
      "td",
      { dataset: { label: t("brand.col_commission") } },
      el(
        "label",
        { for: commissionId, class: "visually-hidden" },
        tn("brand.commission_for", { title: bidi(product.title) }),
      ),
      commission,
    ),
    el("td", { class: "actions" }, save),
  );
  save.addEventListener("click", () => saveRow(product.id, stock, commission));
  for (const input of [stock, commission]) {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") saveRow(product.id, stock, commission);
    });
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
    problems.push(...tn("brand.stock_invalid", { title: bidi(product.title) }), " ");
    stockInput.setAttribute("aria-invalid", "true");
  } else if (stock !== product.stock) changes.stock = stock;
  if (commissionInput.value === "" || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    problems.push(...tn("brand.commission_invalid", { title: bidi(product.title) }));
    commissionInput.setAttribute("aria-invalid", "true");
  } else if (Math.round(percent * 100) !== product.commission_bps) changes.commission_bps = Math.round(percent * 100);
  $("#catalog-ok").textContent = "";
  if (problems.length) {
    $("#catalog-error").replaceChildren(...problems);
    $('#catalog [aria-invalid="true"]')?.focus();
    return;
  }
  if (!Object.keys(changes).length) {
    $("#catalog-error").textContent = "";
    announce($("#catalog-ok"), tn("brand.nothing_changed", { title: bidi(product.title) }), 4000);
    return;
  }
  try {
    /** @type {Product} */
    const updated = await authed("PATCH", `/api/products/${encodeURIComponent(productId)}`, { json: changes });
    state.products.set(updated.id, updated);
    stockInput.value = updated.stock;
    commissionInput.value = updated.commission_bps / 100;
    $("#catalog-error").textContent = "";
    announce(
      $("#catalog-ok"),
      tn("brand.saved", {
        title: bidi(updated.title),
        stock: updated.stock,
        commission: new Intl.NumberFormat(locale).format(updated.commission_bps / 100),
      }),
      6000,
    );
  } catch (error) {
    const fields = error.details.fields || {};
    if (fields.stock) stockInput.setAttribute("aria-invalid", "true");
    if (fields.commission_bps) commissionInput.setAttribute("aria-invalid", "true");
    const detail = Object.entries(fields)
      .map(([name, message]) => `${name}: ${message}`)
      .join("; ");
    $("#catalog-error").replaceChildren(
      ...tn("brand.save_failed", { title: bidi(product.title), reason: detail || error.message }),
    );
  }
}

async function loadCatalog() {
  /** @type {ProductList} */
  const { products } = await api("GET", `/api/products?brand_id=${encodeURIComponent(state.me.id)}`);
  state.products = new Map(products.map((p) => [p.id, p]));
  $("#catalog").replaceChildren(...products.map(catalogRow));
  if (!products.length) {
    $("#catalog").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "empty", text: t("brand.no_products") })));
  }
}

// ---- shows featuring the brand ------------------------------------------------------------------
async function loadShows() {
  /** @type {ShowList} */
  const { shows } = await api("GET", "/api/shows");
  /** @type {(ShowDetail|null)[]} */
  const details = await Promise.all(
    shows.slice(0, MAX_SHOWS).map((s) => api("GET", `/api/shows/${encodeURIComponent(s.id)}`).catch(() => null)),
  );
  state.shows = details
    .filter(Boolean)
    .map((show) => ({ show, products: show.lineup.filter((p) => p.brand_id === state.me.id) }))
    .filter((entry) => entry.products.length > 0);
  renderShows();
}

function renderShows() {
  $("#shows").replaceChildren(
    ...state.shows.map(({ show, products }) =>
      el(
        "li",
        { dataset: { showId: show.id } },
        el("span", {
          class: `badge ${show.status === "live" ? "badge-live" : show.status === "ended" ? "badge-ended" : ""}`,
          text: t(`status.${show.status}`),
        }),
        el(
          "span",
          { class: "grow" },
          userText("strong", show.title),
          " ",
          el("span", {
            class: "hint",
            text: `${t("brand.your_products", { count: products.length })}${show.scheduled_at && show.status === "scheduled" ? ` · ${timeText(show.scheduled_at)}` : ""}`,
          }),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-primary",
            "aria-label": t("brand.open_label", { title: show.title }),
            onclick: () => selectShow(show.id),
          },
          t("brand.open"),
        ),
      ),
    ),
  );
  $("#shows-empty").hidden = state.shows.length > 0;
}

// ---- one show: pins, charts, orders -------------------------------------------------------------
function renderPins() {
  const { show, products } = state.selected;
  const live = show.status === "live";
  $("#pins").replaceChildren(
    ...products.map((product) =>
      el(
        "li",
        { dataset: { productId: product.id } },
        userText("span", product.title, { class: "grow" }),
        ...pins.controls(show.id, product, { disabled: !live || !hasService("commerce") }),
        el(
          "div",
          { class: "format-controls" },
          ...selling.controls(show.id, product, { disabled: !live || !hasService("commerce") }),
        ),
      ),
    ),
  );
  setText("#pins-hint", live ? "" : show.status === "ended" ? t("brand.show_ended") : t("brand.pinning_opens"));
}

/** @returns {Tally} */
function tallyFor(productId) {
  if (!state.tally.has(productId)) {
    state.tally.set(productId, {
      units: 0,
      gross_cents: 0,
      refunded_cents: 0,
      net_cents: 0,
      pins: 0,
      cart_adds: 0,
      conversion: null,
    });
  }
  return state.tally.get(productId);
}

/** @param {number|null} conversion buyers / cart viewers, 0–1 */
function conversionText(conversion) {
  if (conversion === null) return "—";
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(conversion);
}

function renderCharts() {
  const products = state.selected.products;
  const currency = products[0]?.currency || "EUR";
  const rows = products.map((p) => ({ product: p, figures: tallyFor(p.id) }));
  drawBars(
    $("#units-chart"),
    rows.map(({ product, figures }) => ({ label: product.title, value: figures.units })),
    (v) => String(v),
  );
  drawBars(
    $("#gmv-chart"),
    rows.map(({ product, figures }) => ({ label: product.title, value: figures.net_cents })),
    (v) => formatMoney(v, currency),
  );
  $("#sales-table").replaceChildren(
    ...rows.map(({ product, figures }) =>
      el(
        "tr",
        { dataset: { productId: product.id } },
        el("th", { scope: "row" }, bidi(product.title)),
        el("td", { class: "units", text: String(figures.units), dataset: { label: t("brand.col_units") } }),
        el("td", {
          class: "net",
          text: formatMoney(figures.net_cents, product.currency),
          dataset: { label: t("brand.col_net") },
        }),
        el("td", {
          class: "gmv",
          text: formatMoney(figures.gross_cents, product.currency),
          dataset: { label: t("brand.col_gross") },
        }),
        el("td", {
          class: "refunded",
          text: formatMoney(figures.refunded_cents, product.currency),
          dataset: { label: t("brand.col_refunded") },
        }),
        el("td", { text: String(figures.pins), dataset: { label: t("brand.col_pins") } }),
        el("td", { text: String(figures.cart_adds), dataset: { label: t("brand.col_cart_adds") } }),
        el("td", { text: conversionText(figures.conversion), dataset: { label: t("brand.col_conversion") } }),
      ),
    ),
  );
}

async function refreshStats() {
  if (!hasService("stats") || !state.selected) return;
  try {
    /** @type {ShowStats} */
    const stats = await authed("GET", `/api/shows/${encodeURIComponent(state.selected.show.id)}/stats`);
    for (const s of stats.products) {
      if (!state.products.has(s.product_id)) continue;
      Object.assign(tallyFor(s.product_id), {
        units: s.units,
        gross_cents: s.gross_cents,
        refunded_cents: s.refunded_cents,
        net_cents: s.net_cents,
        pins: s.pins,
        cart_adds: s.cart_adds,
        conversion: s.conversion,
      });
    }
    renderCharts();
  } catch {
    /* the charts keep the tallies from sale events */
  }
}

/** @param {SaleEvent} sale */
function onSale(sale) {
  if (!state.products.has(sale.product_id)) return;
  const product = state.products.get(sale.product_id);
  const figures = tallyFor(sale.product_id);
  figures.units += sale.qty;
  figures.gross_cents += sale.qty * product.price_cents;
  figures.net_cents += sale.qty * product.price_cents;
  renderCharts();
  announce($("#recent-sales"), tn("watch.bought", { buyer: bidi(sale.buyer), qty: sale.qty, title: bidi(sale.title) }));
  clearTimeout(statsTimer);
  statsTimer = setTimeout(refreshStats, 800);
  refreshOrdersSoon();
}

// ---- orders: GET /api/shows/{id}/orders (only this brand's lines), refund after a confirm step --------
const ORDERS_PAGE = 20;
const ORDERS_REFRESH_DELAY_MS = 600;
const orders = {
  /** @type {Map<string, BrandOrder>} order id → the brand's view of the order */
  byId: new Map(),
  more: false, // older orders exist beyond the oldest one held
  confirming: null, // id of the order whose refund waits for "Yes, refund"
  busy: null, // id of the order being refunded
  errors: new Map(), // order id → why its refund was refused
  loadFailed: false, // #orders-error holds a loading error (cleared by the next good load)
  timer: 0,
};

const newestFirst = (a, b) =>
  a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1;

function resetOrders() {
  orders.byId.clear();
  orders.errors.clear();
  orders.more = false;
  orders.confirming = null;
  renderOrders();
}

/** Load the newest page (merged into what is shown), or with `older` the page after the oldest order held. */
async function loadOrders({ older = false } = {}) {
  if (!state.selected) return;
  if (!hasService("orders")) {
    setText("#orders-empty", t("brand.no_orders_service"));
    return;
  }
  const showId = state.selected.show.id;
  const query = new URLSearchParams({ limit: String(ORDERS_PAGE) });
  const held = [...orders.byId.values()].sort(newestFirst);
  if (older && held.length) query.set("before", held[held.length - 1].id);
  try {
    /** @type {BrandOrderPage} */
    const body = await authed("GET", `/api/shows/${encodeURIComponent(showId)}/orders?${query}`);
    if (state.selected?.show.id !== showId) return; // another show was opened meanwhile
    const page = body.orders;
    const gap = !older && body.next_before && page.length && !orders.byId.has(page[page.length - 1].id);
    if (gap) orders.byId.clear(); // more new orders than a page since the last look: start again from here
    for (const order of page) orders.byId.set(order.id, order);
    if (older || gap || held.length === 0) orders.more = Boolean(body.next_before);
    if (orders.loadFailed) setText("#orders-error", "");
    orders.loadFailed = false;
  } catch (error) {
    orders.loadFailed = true;
    setText("#orders-error", t("brand.orders_failed", { reason: error.message }));
  }
  renderOrders();
}

function refreshOrdersSoon() {
  clearTimeout(orders.timer);
  orders.timer = setTimeout(() => loadOrders(), ORDERS_REFRESH_DELAY_MS);
}

function orderStatus(order) {
  if (order.status === "paid" && order.refund_status === "full") {
    return { text: t("order.refunded"), class: "badge-ended" };
  }
  if (order.status === "paid" && order.refund_status === "partial") {
    return { text: t("order.partly_refunded"), class: "badge-warn" };
  }
  return { text: t(`order.${order.status}`), class: order.status === "paid" ? "badge-ok" : "" };
}

/** @param {BrandOrder} order */
const refundableCents = (order) =>
  order.items.reduce((sum, line) => sum + (line.qty - line.refunded_qty) * line.unit_price_cents, 0);

function orderActions(order) {
  const refundable = order.status === "paid" && refundableCents(order) > 0;
  if (!refundable) return null;
  if (orders.confirming === order.id) {
    const busy = orders.busy === order.id;
    return el(
      "div",
      {
        class: "order-confirm row",
        role: "group",
        "aria-label": t("brand.confirm_refund_label", { id: order.id }),
        onkeydown: (event) => {
          if (event.key === "Escape") cancelRefund(order.id);
        },
      },
      el(
        "span",
        {},
        tn("brand.refund_question", {
          amount: formatMoney(refundableCents(order), order.currency),
          buyer: bidi(order.buyer_name),
        }),
      ),
      el(
        "button",
        {
          type: "button",
          class: "btn btn-small btn-danger",
          dataset: { action: "confirm" },
          disabled: busy,
          onclick: () => refund(order),
        },
        busy ? t("brand.refunding") : t("brand.yes_refund"),
      ),
      el(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          dataset: { action: "cancel" },
          disabled: busy,
          onclick: () => cancelRefund(order.id),
        },
        t("brand.cancel"),
      ),
    );
  }
  return el(
    "button",
    {
      type: "button",
      class: "btn btn-small",
      dataset: { action: "refund" },
      "aria-label": t("brand.refund_label", { id: order.id }),
      onclick: () => askRefund(order.id),
    },
    t("brand.refund"),
  );
}

/** @param {BrandOrder} order */
function orderItem(order) {
  const status = orderStatus(order);
  const refunded = order.refunded_cents
    ? ` · ${t("brand.amount_refunded", { amount: formatMoney(order.refunded_cents, order.currency) })}`
    : "";
  return el(
    "li",
    { class: "order", dataset: { orderId: order.id }, tabindex: -1 },
    el(
      "div",
      { class: "order-head row" },
      el("strong", { class: "order-id", text: order.id }),
      el("time", { datetime: order.created_at, text: timeText(order.created_at) }),
      el("span", { class: `badge order-status ${status.class}`, text: status.text }),
    ),
    el("div", { class: "order-buyer" }, tn("brand.buyer", { buyer: bidi(order.buyer_name) })),
    el(
      "ul",
      { class: "order-items" },
      ...order.items.map((line) =>
        el(
          "li",
          { dataset: { productId: line.product_id } },
          `${line.qty} × `,
          bidi(line.title),
          line.refunded_qty ? ` (${t("brand.units_refunded", { qty: line.refunded_qty })})` : "",
        ),
      ),
    ),
    el(
      "div",
      { class: "order-amount" },
      el("strong", { text: formatMoney(order.total_cents, order.currency) }),
      refunded,
    ),
    orderActions(order),
    orders.errors.has(order.id) ? el("p", { class: "field-error", text: orders.errors.get(order.id) }) : null,
  );
}

function renderOrders() {
  const list = $("#orders");
  const active = list.contains(document.activeElement) ? /** @type {HTMLElement} */ (document.activeElement) : null;
  const row = /** @type {HTMLElement|null} */ (active?.closest("[data-order-id]"));
  const keep = active && { id: row?.dataset.orderId, action: active.dataset.action };
  const held = [...orders.byId.values()].sort(newestFirst);
  // Declined attempts are not orders: they are listed apart, folded away unless asked for.
  const shown = held.filter((order) => order.status !== "failed");
  const declined = held.filter((order) => order.status === "failed");
  list.replaceChildren(...shown.map(orderItem));
  $("#declined").replaceChildren(...declined.map(orderItem));
  $("#declined-panel").hidden = declined.length === 0;
  setText("#declined-summary", t("brand.declined_summary", { count: declined.length }));
  $("#orders-empty").hidden = shown.length > 0;
  $("#orders-more").hidden = !orders.more;
  if (keep?.id) focusOrder(keep.id, keep.action);
}

/** Focus a button of an order's row (`action`: refund, confirm, cancel), else the row itself. */
function focusOrder(orderId, action) {
  const row = [...$("#orders").children].find((item) => item.dataset.orderId === orderId);
  if (!row) return;
  ((action && row.querySelector(`[data-action="${action}"]`)) || row).focus();
}

function askRefund(orderId) {
  orders.confirming = orderId;
  orders.errors.delete(orderId);
  renderOrders();
  focusOrder(orderId, "confirm");
}

function cancelRefund(orderId) {
  orders.confirming = null;
  renderOrders();
  focusOrder(orderId, "refund");
}

async function refund(order) {
  orders.busy = order.id;
  renderOrders();
  try {
    /** @type {RefundReply} */
    const body = await authed("POST", `/api/orders/${encodeURIComponent(order.id)}/refund`, { json: {} });
    orders.byId.set(order.id, body.order);
    orders.errors.delete(order.id);
    announce(
      $("#orders-ok"),
      t("brand.refunded_ok", { amount: formatMoney(body.refund.amount_cents, order.currency), id: order.id }),
      8000,
    );
    setText("#orders-error", "");
  } catch (error) {
    const reason = error.status === 401 ? t("brand.token_expired") : error.message;
    const why = t("brand.refund_failed", { id: order.id, reason });
    orders.errors.set(order.id, why);
    setText("#orders-error", why);
    if (error.status === 409) loadOrders(); // show the order as it is now (another refund may have won)
  }
  orders.busy = null;
  orders.confirming = null;
  renderOrders();
  focusOrder(order.id, orders.errors.has(order.id) ? "refund" : null);
  refreshStats();
}

function joinRoom(showId) {
  room?.close();
  room = null;
  if (!hasService("live")) return;
  room = new LiveRoom(showId, {
    token: signIn.token,
    /** @param {JoinAck} snapshot */
    onSnapshot: (snapshot) => {
      state.selected.show.status = snapshot.show.status;
      pins.reset(snapshot.pins);
      selling.reset(snapshot.selling);
    },
    onState: (liveState, text) => {
      $("#notice").textContent = liveState === "connected" ? "" : text;
    },
    handlers: {
      ...pins.handlers(),
      ...selling.handlers(),
      sale: onSale,
      /** @param {StockLevel} level */
      stock: ({ product_id: id, stock }) => {
        const product = state.products.get(id);
        if (!product) return;
        refreshOrdersSoon(); // a refund (by admin too) gives stock back: the orders show it
        state.products.set(id, { ...product, stock });
        const input = /** @type {HTMLInputElement|null} */ (document.getElementById(`stock-${id}`));
        if (input && document.activeElement !== input) input.value = String(stock);
      },
      /** @param {ShowEvent} event */
      show: ({ status }) => {
        state.selected.show.status = status;
        if (status === "ended") pins.pinned.clear(); // nothing stays on screen in an ended show
        setText("#live-status", t(`status.${status}`));
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
  pins.pinned = new Set();
  state.tally = new Map();
  $("#live-panel").hidden = false;
  setText("#live-title", entry.show.title);
  setText("#live-status", t(`status.${entry.show.status}`));
  $("#live-status").className = `badge ${entry.show.status === "live" ? "badge-live" : ""}`;
  setText("#pins-error", "");
  renderPins();
  renderCharts();
  joinRoom(showId);
  resetOrders();
  await Promise.all([refreshStats(), loadOrders()]);
  $("#live-heading").scrollIntoView({ block: "start" });
}

// ---- start --------------------------------------------------------------------------------------
async function openConsole() {
  state.me = await signIn.check();
  if (!state.me) return;
  signIn.done();
  $("#brand-name").replaceChildren(...tn("brand.heading", { name: bidi(state.me.name) }));
  document.title = `${isolate(state.me.name)} · livecart`;
  try {
    await loadCatalog();
    mountBrandReviews($("#console"), [...state.products.values()], () => signIn.token);
    await loadShows();
    if (hasService("connect")) await mountCampaigns({ token: signIn.token, me: state.me, products: state.products });
  } catch (error) {
    setText("#catalog-error", t("brand.load_failed", { reason: error.message }));
  }
  const live = state.shows.find((s) => s.show.status === "live");
  if (live) await selectShow(live.show.id);
  setInterval(refreshStats, STATS_REFRESH_MS);
}

function main() {
  translatePage();
  let resizeFrame = 0;
  addEventListener("resize", () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => {
      if (state.selected) renderCharts();
    });
  });
  $("#orders-more").addEventListener("click", () => loadOrders({ older: true }));
  signIn.start(openConsole);
}

main();
