// The replay page: the recorded show with its products as chapters (tap one: the video jumps to where
// it was shown), the product card appearing when it was pinned, the chat replayed in time, and a cart
// whose orders go through the replay's purchase path (`source: "replay"`). `?t=SECONDS` opens there.
import { api } from "./api.js";
import { heldCode, keepAttribution } from "./attribution.js";
import { CartView } from "./cart.js";
import { ChatList } from "./chat.js";
import { $, bidi, el, isolate, showFieldErrors, userText } from "./dom.js";
import { formatMoney, stockText } from "./money.js";
import { hasService } from "./services.js";
import { saveViewer, savedViewer } from "./tokens.js";

/**
 * @typedef {import("./protocol.js").Chapter} Chapter
 * @typedef {import("./protocol.js").NewAccount} NewAccount
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").Replay} Replay
 * @typedef {import("./protocol.js").ReplayEvent} ReplayEvent
 * @typedef {import("./protocol.js").ShowDetail} ShowDetail
 */

const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const startAt = Number(new URLSearchParams(location.search).get("t"));
const TICKER_MS = 6000;

const state = {
  viewer: savedViewer(),
  /** @type {Replay|null} */
  replay: null,
  /** @type {Map<string, Product>} */
  products: new Map(),
  /** @type {Map<string, number>} */
  stock: new Map(),
  /** @type {string} the product ids on screen, as drawn */
  drawn: "",
  shown: -1, // how many events were at or before the playhead when last drawn
};

const video = /** @type {HTMLVideoElement} */ ($("#video"));
const chat = new ChatList($("#chat"), $("#new-messages"));
const cart = new CartView({
  showId,
  products: state.products,
  stock: state.stock,
  token: () => state.viewer?.token,
  onCount: (count) => {
    $("#cart-count").textContent = String(count);
  },
  onUnauthorized: () => {
    state.viewer = null;
    showViewer();
  },
  source: "replay",
});

function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** How many events are at or before `ms` (events are ordered by at_ms). */
function passed(ms) {
  const events = state.replay.events;
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (events[mid].at_ms <= ms) low = mid + 1;
    else high = mid;
  }
  return low;
}

// ---- products on screen at the playhead --------------------------------------------------------
/** @param {Product} product */
function productCard(product) {
  const stock = state.stock.get(product.id) ?? product.stock;
  const soldOut = stock <= 0;
  const button = el(
    "button",
    {
      type: "button",
      class: "btn btn-primary btn-small",
      disabled: soldOut || !hasService("commerce"),
      "aria-label": `Add ${product.title} to cart`,
      onclick: () => addToCart(product, button),
    },
    soldOut ? "Sold out" : "Add to cart",
  );
  return el(
    "article",
    { class: "product-card", dataset: { productId: product.id }, "aria-label": product.title },
    el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 64, height: 64 }),
    el(
      "div",
      {},
      userText("div", product.title, { class: "title" }),
      el("div", { class: "price", text: formatMoney(product.price_cents, product.currency) }),
      el("div", { class: `stock ${stock > 10 ? "plenty" : ""}`, text: stockText(stock) }),
    ),
    button,
  );
}

async function addToCart(product, button) {
  if (!state.viewer) {
    $("#viewer-name-error").textContent = "Pick a display name first, then add it to your cart.";
    $("#viewer-name").focus();
    return;
  }
  button.disabled = true;
  try {
    await cart.add(product.id, 1);
    button.textContent = "Added ✓";
    $("#action-error").textContent = "";
  } catch (error) {
    $("#action-error").textContent = error.message;
  } finally {
    setTimeout(() => {
      button.textContent = "Add to cart";
      button.disabled = false;
    }, 1500);
  }
}

/** Redraw what the playhead at `ms` shows: pinned products, chat so far, the current chapter. */
function showAt(ms) {
  if (!state.replay) return;
  const count = passed(ms);
  if (count === state.shown) return;
  const forward = count > state.shown && state.shown >= 0;
  const events = state.replay.events.slice(0, count);
  /** @type {Map<string, Product>} */
  const pinned = new Map();
  for (const event of events) {
    if (event.type === "pin") pinned.set(event.product.id, event.product);
    else if (event.type === "unpin") pinned.delete(event.product_id);
  }
  const ids = [...pinned.keys()].join(" ");
  if (ids !== state.drawn) {
    state.drawn = ids;
    $("#pins").replaceChildren(...[...pinned.values()].map(productCard));
  }
  const messages = (list) => list.filter((event) => event.type === "chat").map((event) => event.message);
  if (forward) {
    const happened = state.replay.events.slice(state.shown, count);
    chat.add(messages(happened));
    for (const event of happened) if (event.type === "sale") ticker(event);
  } else chat.replace(messages(events).slice(-50));
  for (const item of document.querySelectorAll("#chapters button")) {
    const chapter = state.replay.chapters[Number(item.getAttribute("data-index"))];
    const current = chapter.at_ms <= ms && (chapter.until_ms === null || ms < chapter.until_ms);
    item.setAttribute("aria-current", String(current));
  }
  state.shown = count;
}

/** @param {ReplayEvent} sale */
function ticker(sale) {
  const item = el("div", { class: "ticker-item" }, bidi(sale.buyer), ` bought ${sale.qty} × `, bidi(sale.title));
  const box = $("#ticker");
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => item.remove(), TICKER_MS);
}

function follow() {
  const tick = () => showAt(video.currentTime * 1000);
  video.addEventListener("timeupdate", tick);
  video.addEventListener("seeked", tick);
  if (typeof video.requestVideoFrameCallback === "function") {
    // Each presented frame: the card appears with the frame it was pinned on, not at the next timeupdate.
    const onFrame = (_now, metadata) => {
      showAt(metadata.mediaTime * 1000);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
}

// ---- chapters -----------------------------------------------------------------------------------
function renderChapters() {
  const chapters = state.replay.chapters;
  $("#chapters").replaceChildren(
    ...chapters.map((chapter, index) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: "btn",
            dataset: { index: String(index), productId: chapter.product.id },
            "aria-label": `${chapter.product.title}, shown at ${clock(chapter.at_ms)}`,
            onclick: () => seek(chapter.at_ms),
          },
          userText("span", chapter.product.title),
          el("span", { class: "at", text: clock(chapter.at_ms) }),
        ),
      ),
    ),
  );
  $("#chapters-empty").hidden = chapters.length > 0;
}

function seek(ms) {
  video.currentTime = ms / 1000;
  showAt(ms);
  video.play().catch(() => {}); // autoplay with sound may be refused; the controls are there
}

// ---- the viewer ---------------------------------------------------------------------------------
function showViewer() {
  $("#name-form").hidden = Boolean(state.viewer);
  $("#signed-in").hidden = !state.viewer;
  if (state.viewer) $("#signed-in").replaceChildren("Shopping as ", bidi(state.viewer.name), ".");
}

async function onNameSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.name.value.trim();
  if (!name) {
    showFieldErrors(form, { name: "Type a name." });
    return;
  }
  try {
    /** @type {NewAccount} */
    const viewer = await api("POST", "/api/viewers", { json: { name } });
    saveViewer(viewer);
    state.viewer = { id: viewer.id, name: viewer.name, token: viewer.token };
    keepAttribution(); // arrived through a share link: the viewer is attributed to its host
    showFieldErrors(form, {});
    showViewer();
    cart.refresh();
  } catch (error) {
    showFieldErrors(form, { name: error.details.fields?.name || error.message });
  }
}

async function share() {
  const url = `${location.origin}${location.pathname}?t=${Math.floor(video.currentTime)}`;
  try {
    await navigator.clipboard.writeText(url);
    $("#share-done").textContent = "Link copied.";
  } catch {
    $("#share-done").textContent = url;
  }
}

// ---- loading ------------------------------------------------------------------------------------
function stageMessage(text) {
  $("#stage-message").hidden = false;
  $("#stage-text").textContent = text;
}

async function load() {
  try {
    /** @type {ShowDetail} */
    const show = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
    document.title = `${isolate(show.title)} · replay · livecart`;
    $("#show-title").textContent = show.title;
    for (const product of show.lineup) {
      state.products.set(product.id, product);
      state.stock.set(product.id, product.stock);
    }
  } catch (error) {
    $("#show-title").textContent = "Show not found";
    stageMessage(error.status === 404 ? "This show does not exist. Check the link." : error.message);
    return;
  }
  if (!hasService("replay")) {
    stageMessage("This server does not keep replays.");
    return;
  }
  try {
    state.replay = await api("GET", `/api/shows/${encodeURIComponent(showId)}/replay`);
  } catch (error) {
    stageMessage(error.status === 404 ? "There is no replay of this show yet." : error.message);
    return;
  }
  for (const chapter of state.replay.chapters) state.products.set(chapter.product.id, chapter.product);
  renderChapters();
  follow();
  video.addEventListener(
    "loadedmetadata",
    () => {
      if (startAt > 0) video.currentTime = startAt;
      showAt(video.currentTime * 1000);
    },
    { once: true },
  );
  video.src = state.replay.media_url;
}

function main() {
  heldCode(); // ?via= from a share link, kept in localStorage
  keepAttribution();
  showViewer();
  $("#name-form").addEventListener("submit", onNameSubmit);
  $("#share").addEventListener("click", share);
  cart.wire();
  if (state.viewer && hasService("commerce")) cart.refresh();
  load();
}

main();
