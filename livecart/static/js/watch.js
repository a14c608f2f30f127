// The watch page: WHEP video, live chat and questions, reactions, pinned products, cart and checkout.
import { api } from "./api.js";
import { heldCode, keepAttribution } from "./attribution.js";
import { ChatList, QuestionBoard } from "./chat.js";
import { CartView } from "./cart.js";
import { $, announce, bidi, el, isolate, showFieldErrors, timeText, userText } from "./dom.js";
import { FrameSync } from "./frame-sync.js";
import { t, tn, translatePage } from "./i18n.js";
import { LiveRoom } from "./live.js";
import { reviewBadge } from "./reviews.js";
import { formatMoney, stockText } from "./money.js";
import { SellingView } from "./selling.js";
import { hasService } from "./services.js";
import { forgetViewer, saveViewer, savedViewer } from "./tokens.js";
import { WhepPlayer } from "./video.js";

/**
 * @typedef {import("./protocol.js").Ack} Ack
 * @typedef {import("./protocol.js").ChatMessage} ChatMessage
 * @typedef {import("./protocol.js").JoinAck} JoinAck
 * @typedef {import("./protocol.js").NewAccount} NewAccount
 * @typedef {import("./protocol.js").Pin} Pin
 * @typedef {import("./protocol.js").PinEvent} PinEvent
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").Question} Question
 * @typedef {import("./protocol.js").RemovedEvent} RemovedEvent
 * @typedef {import("./protocol.js").SaleEvent} SaleEvent
 * @typedef {import("./protocol.js").Show} Show
 * @typedef {import("./protocol.js").ShowDetail} ShowDetail
 * @typedef {import("./protocol.js").ShowEvent} ShowEvent
 * @typedef {import("./protocol.js").StockLevel} StockLevel
 * @typedef {import("./protocol.js").UnpinEvent} UnpinEvent
 * @typedef {import("./protocol.js").ViewersEvent} ViewersEvent
 */

const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const REACTIONS = [
  { kind: "heart", emoji: "❤️" },
  { kind: "fire", emoji: "🔥" },
  { kind: "clap", emoji: "👏" },
  { kind: "laugh", emoji: "😂" },
];
const TICKER_MS = 6000;

const state = {
  /** @type {Show|null} */
  show: null,
  viewer: savedViewer(),
  /** @type {Map<string, Product>} product_id → product (lineup and pins) */
  products: new Map(),
  /** @type {Map<string, Product>} product_id → product on screen now */
  pins: new Map(),
  /** @type {Map<string, number>} product_id → units left (the room's stock levels) */
  stock: new Map(),
  voted: new Set(),
  notices: { live: "", video: "" },
};

const chat = new ChatList($("#chat"), $("#new-messages"));
const questions = new QuestionBoard();
const cart = new CartView({
  showId,
  products: state.products,
  stock: state.stock,
  token: () => state.viewer?.token,
  onCount: (count) => {
    $("#cart-count").textContent = String(count);
  },
  onUnauthorized: () => signOut(t("watch.expired")),
});
let room = null;
let player = null;
// Auctions, deals and giveaways (selling.js): cards in the page's format slot, over the video.
const selling = new SellingView({
  container:
    $("#formats") ||
    $(".stage").appendChild(
      el("section", { class: "format-slot", id: "formats", "aria-label": "Auctions, deals and giveaways" }),
    ),
  showId,
  request: (event, payload) =>
    room
      ? room.request(event, payload)
      : Promise.resolve({ ok: false, error: { code: "offline", message: "Not connected." } }),
  viewer: () => state.viewer,
  products: state.products,
  askForName: () => askForName("Pick a display name first."),
  onCart: (updated) => cart.take(updated),
  onDeals: () => renderPins(),
});
const frames = new FrameSync($("#video")); // pins appear with their frame (frame-sync.js)

// ---- notices and status -------------------------------------------------------------------------
function setNotice(kind, text) {
  state.notices[kind] = text;
  $("#notice").textContent = Object.values(state.notices).filter(Boolean).join(" ");
}

function setStatus(status) {
  const badge = $("#status");
  badge.textContent = t(`status.${status}`);
  badge.className = `badge ${status === "live" ? "badge-live" : status === "ended" ? "badge-ended" : ""}`;
  if (state.show) state.show.status = status;
  const message = $("#stage-message");
  if (status === "paused") {
    // The host's stream stopped; the video connection stays and picks up when they are back.
    message.hidden = false;
    $("#stage-text").textContent = t("watch.paused");
  } else if (status === "live") {
    if (!hasService("video")) {
      message.hidden = false;
      $("#stage-text").textContent = t("watch.no_video");
    } else {
      startVideo();
    }
  } else {
    if (status === "ended" && state.pins.size) {
      state.pins.clear(); // nothing is for sale once the show has ended
      renderPins();
    }
    player?.stop({ notify: status !== "ended" }); // an ended show's sessions are gone on the server
    message.hidden = false;
    const replay = status === "ended" && state.show?.started_at && hasService("replay");
    $("#stage-text").replaceChildren(
      status === "ended"
        ? t("watch.ended")
        : state.show?.scheduled_at
          ? t("watch.starts_at", { when: timeText(state.show.scheduled_at) })
          : t("watch.not_started"),
      ...(replay
        ? [" ", el("a", { href: `/replay/${encodeURIComponent(showId)}`, id: "replay-link", text: t("watch.replay") })]
        : []),
    );
  }
}

function startVideo() {
  if (!player) {
    player = new WhepPlayer(showId, $("#video"), {
      token: state.viewer?.token,
      onState: (videoState, text) => {
        setNotice("video", videoState === "reconnecting" ? text : "");
        if (videoState === "playing") {
          $("#stage-message").hidden = true;
          $("#unmute").hidden = !$("#video").muted;
        } else if (videoState === "connecting") {
          $("#stage-text").textContent = t("watch.connecting_video");
        } else if (videoState === "not_live") {
          $("#stage-message").hidden = false;
          $("#stage-text").textContent = t("watch.waiting_host");
        }
      },
    });
  }
  player.start();
}

// ---- products on screen -------------------------------------------------------------------------
/** @param {Product} product */
function remember(product) {
  state.products.set(product.id, product);
  if (!state.stock.has(product.id)) state.stock.set(product.id, product.stock);
}

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
      "aria-label": t("watch.add_label", { title: product.title }),
      onclick: () => addToCart(product, button),
    },
    soldOut ? t("stock.sold_out") : t("watch.add_to_cart"),
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
      reviewBadge(product, () => state.viewer?.token),
      selling.dealBadge(product),
    ),
    button,
  );
}

function renderPins() {
  $("#pins").replaceChildren(...[...state.pins.values()].map(productCard));
}

async function addToCart(product, button) {
  if (!state.viewer) {
    askForName(t("watch.name_first_cart"));
    return;
  }
  button.disabled = true;
  try {
    await cart.add(product.id, 1);
    const label = button.getAttribute("aria-label");
    button.textContent = t("watch.added");
    button.setAttribute("aria-label", t("watch.added_label", { title: product.title }));
    setTimeout(() => {
      button.textContent = t("watch.add_to_cart");
      button.setAttribute("aria-label", label);
      button.disabled = false;
    }, 1500);
    $("#action-error").textContent = "";
  } catch (error) {
    button.disabled = false;
    const reason = error.code === "limit_exceeded" ? t("cart.limit", { limit: error.details.limit }) : error.message;
    announce($("#action-error"), [reason, " (", bidi(product.title), ")"], 6000);
  }
}

// ---- live room events ---------------------------------------------------------------------------
function renderQuestions() {
  const list = questions.sorted();
  $("#questions").replaceChildren(
    ...list.map((q) => {
      const voted = state.voted.has(q.id);
      return el(
        "li",
        { class: "question", dataset: { questionId: q.id } },
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small vote",
            "aria-pressed": voted ? "true" : "false",
            "aria-label": t("watch.upvote_label", { text: q.text, votes: q.votes }),
            disabled: q.status === "answered",
            onclick: () => upvote(q),
          },
          `▲ ${q.votes}`,
        ),
        el(
          "div",
          { class: "text" },
          userText("div", q.text),
          el(
            "div",
            { class: "by" },
            bidi(q.name),
            q.status !== "open" ? ` · ${t(`watch.question_status_${q.status}`)}` : "",
          ),
        ),
      );
    }),
  );
  $("#questions-empty").hidden = list.length > 0;
  $("#question-count").textContent = list.length ? `(${list.length})` : "";
  const featured = questions.featured();
  const box = $("#featured");
  box.hidden = !featured;
  box.replaceChildren(...(featured ? [el("strong", { text: t("watch.q") }), userText("span", featured.text)] : []));
}

async function upvote(question) {
  if (!requireViewer()) return;
  if (state.voted.has(question.id)) return;
  /** @type {Ack} */
  const ack = await room.request("upvote", { question_id: question.id });
  if (ack.ok) {
    state.voted.add(question.id);
    renderQuestions();
  } else showActionError(ack);
}

function floatReaction(kind, count) {
  const reaction = REACTIONS.find((r) => r.kind === kind);
  if (!reaction) return;
  const floats = $("#floats");
  for (let i = 0; i < Math.min(count, 5); i += 1) {
    const bubble = el("span", { class: "float", text: reaction.emoji });
    bubble.style.right = `${(i * 9) % 30}px`;
    bubble.style.animationDelay = `${i * 120}ms`;
    floats.append(bubble);
    setTimeout(() => bubble.remove(), 2600 + i * 120);
  }
  const counter = document.querySelector(`[data-kind="${kind}"] .count`);
  if (counter) counter.textContent = String(Number(counter.textContent || 0) + count);
}

/** @param {Object<string, number>} counts reactions by kind since the last frame */
function onReactions(counts) {
  for (const [kind, count] of Object.entries(counts)) floatReaction(kind, count);
}

/** @param {SaleEvent} sale */
function onSale(sale) {
  const item = el(
    "div",
    { class: "ticker-item" },
    tn("watch.bought", { buyer: bidi(sale.buyer), qty: sale.qty, title: bidi(sale.title) }),
  );
  const ticker = $("#ticker");
  ticker.append(item);
  while (ticker.children.length > 3) ticker.firstElementChild.remove();
  setTimeout(() => item.remove(), TICKER_MS);
}

/** @param {StockLevel} level */
function onStock({ product_id: productId, stock }) {
  state.stock.set(productId, stock);
  if (state.pins.has(productId)) renderPins();
  cart.render();
}

/** @param {Pin} pin */
function onPin({ product }) {
  remember(product);
  state.pins.set(product.id, product);
  renderPins();
}

/** @param {UnpinEvent} unpin */
function onUnpin({ product_id: productId }) {
  state.pins.delete(productId);
  renderPins();
}

/** @param {JoinAck} snapshot */
function applySnapshot(snapshot) {
  state.show = snapshot.show;
  $("#show-title").textContent = snapshot.show.title;
  for (const level of snapshot.stock) state.stock.set(level.product_id, level.stock);
  state.pins.clear();
  frames.clear();
  for (const { product } of snapshot.pins) {
    remember(product);
    state.pins.set(product.id, product);
  }
  renderPins();
  chat.replace(snapshot.chat);
  questions.replace(snapshot.questions);
  renderQuestions();
  onViewers({ count: snapshot.viewers });
  setStatus(snapshot.show.status);
  selling.apply(snapshot.selling);
  if (state.viewer && hasService("commerce")) cart.refresh();
}

/** @param {ViewersEvent} viewers */
function onViewers({ count }) {
  $("#viewers").textContent = t("watch.watching", { count });
}

function connectLive() {
  if (!hasService("live")) {
    setNotice("live", t("watch.no_chat"));
    for (const form of document.querySelectorAll("#chat-form, #ask-form")) form.querySelector("button").disabled = true;
    return;
  }
  room = new LiveRoom(showId, {
    token: state.viewer?.token,
    onSnapshot: applySnapshot,
    onState: (liveState, text) => setNotice("live", liveState === "connected" ? "" : text),
    onJoinError: (error) => {
      // A saved viewer token the server no longer knows: forget it and watch anonymously.
      if (error.code === "unauthorized" && state.viewer) {
        signOut(t("watch.expired"));
        room.rejoin(undefined);
      }
    },
    handlers: {
      /** @param {ChatMessage[]} messages */
      chat: (messages) => chat.add(messages),
      /** @param {RemovedEvent} removed */
      removed: ({ message_id: id }) => chat.remove(id),
      /** @param {Question[]} changed */
      questions: (changed) => {
        questions.update(changed);
        renderQuestions();
      },
      reactions: onReactions,
      /** @param {PinEvent} pin */
      pin: (pin) => frames.hold(pin.media_time, () => onPin(pin)),
      /** @param {UnpinEvent} unpin */
      unpin: (unpin) => frames.hold(unpin.media_time, () => onUnpin(unpin)),
      stock: onStock,
      sale: onSale,
      viewers: onViewers,
      /** @param {ShowEvent} event */
      show: ({ status }) => setStatus(status),
      ...selling.handlers(),
    },
  });
  room.connect();
}

// ---- the viewer: name once, token kept in localStorage -----------------------------------------
function showViewer() {
  const signedIn = Boolean(state.viewer);
  $("#name-form").hidden = signedIn;
  /** @type {NodeListOf<HTMLElement>} */
  const needsViewer = document.querySelectorAll("[data-needs-viewer]");
  for (const form of needsViewer) form.hidden = !signedIn;
  $("#signed-in").hidden = !signedIn;
  if (signedIn) $("#signed-in").replaceChildren(...tn("watch.chatting_as", { name: bidi(state.viewer.name) }));
}

function askForName(message) {
  $("#tab-chat").click();
  $("#viewer-name-error").textContent = message || "";
  $("#viewer-name").focus();
}

function requireViewer() {
  if (state.viewer) return true;
  askForName(t("watch.name_first"));
  return false;
}

function signOut(message) {
  forgetViewer();
  state.viewer = null;
  showViewer();
  askForName(message);
}

async function onNameSubmit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.name.value.trim();
  if (!name) {
    showFieldErrors(form, { name: t("watch.type_name") });
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
    if (player) player.token = viewer.token;
    if (room) {
      await room.rejoin(viewer.token);
    } // the new snapshot reads the cart
    else cart.refresh();
    $("#chat-input").focus();
  } catch (error) {
    showFieldErrors(form, { name: error.details.fields?.name || error.message });
  }
}

/** @param {Ack} ack a refused one */
function showActionError({ error }) {
  if (error.code === "unauthorized") {
    signOut(t("watch.expired"));
    return;
  }
  announce($("#action-error"), error.message, 6000);
}

async function sendFrom(form, event) {
  const input = form.elements.text;
  const text = input.value.trim();
  if (!text || !requireViewer()) return;
  if (!room) return;
  /** @type {Ack} */
  const ack = await room.request(event, { text });
  if (ack.ok) {
    if (input.value.trim() === text) input.value = ""; // not a message typed while this one was on its way
    $("#action-error").textContent = "";
  } else showActionError(ack);
}

// ---- wiring -------------------------------------------------------------------------------------
function setUpTabs() {
  const tabs = [$("#tab-chat"), $("#tab-questions")];
  const select = (tab) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute("aria-selected", String(selected));
      other.tabIndex = selected ? 0 : -1;
      $(`#${other.getAttribute("aria-controls")}`).hidden = !selected;
    }
  };
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
      select(next);
      next.focus();
    });
  }
}

function setUpReactions() {
  const bar = $("#reaction-bar");
  for (const reaction of REACTIONS) {
    bar.append(
      el(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          dataset: { kind: reaction.kind },
          "aria-label": t(`reaction.${reaction.kind}`),
          disabled: !hasService("live"),
          onclick: async () => {
            if (!room) return;
            /** @type {Ack} */
            const ack = await room.request("react", { kind: reaction.kind });
            if (!ack.ok) showActionError(ack);
          },
        },
        reaction.emoji,
        el("span", { class: "count", "aria-hidden": "true" }),
      ),
    );
  }
}

async function loadShow() {
  try {
    /** @type {ShowDetail} */
    const show = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
    state.show = show;
    document.title = t("watch.title", { title: isolate(show.title) });
    $("#show-title").textContent = show.title;
    for (const product of show.lineup) remember(product);
    setStatus(show.status);
    return true;
  } catch (error) {
    $("#show-title").textContent = t("watch.not_found_title");
    $("#stage-text").textContent =
      error.status === 404 ? t("watch.not_found") : t("watch.load_failed", { reason: error.message });
    $("#status").textContent = "—";
    return false;
  }
}

/** The page is exactly as tall as the visual viewport (--app-height): when the on-screen keyboard opens,
 * the page shrinks with it, so the message box stays above the keyboard and the video stays in view. */
function followViewport() {
  const viewport = window.visualViewport;
  const apply = () => {
    const height = viewport ? viewport.height : innerHeight;
    document.documentElement.style.setProperty("--app-height", `${Math.round(height)}px`);
    document.body.style.transform = viewport?.offsetTop ? `translateY(${Math.round(viewport.offsetTop)}px)` : "";
  };
  apply();
  (viewport || window).addEventListener("resize", apply);
  viewport?.addEventListener("scroll", apply);
}

async function main() {
  translatePage();
  followViewport();
  heldCode(); // ?via= from a share link, kept in localStorage
  keepAttribution();
  setUpTabs();
  setUpReactions();
  showViewer();
  $("#name-form").addEventListener("submit", onNameSubmit);
  $("#chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sendFrom(e.currentTarget, "chat");
  });
  $("#ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sendFrom(e.currentTarget, "ask");
  });
  $("#unmute").addEventListener("click", () => {
    $("#video").muted = false;
    $("#unmute").hidden = true;
  });
  cart.wire();
  if (!(await loadShow())) return;
  connectLive();
  // With a live room the cart is read after each join, once the room has accepted the viewer's token.
  if (hasService("commerce") && state.viewer && !hasService("live")) cart.refresh();
  addEventListener("pagehide", () => player?.stop());
}

main();
