// Selling formats on the pages (docs/selling.md): the watch page's auction card, deal badge and giveaway
// card (SellingView), and the host studio's and brand console's controls to start, cancel and follow them
// (SellerControls). State comes from the join snapshot's `selling` and the room's `auction`, `deal` and
// `giveaway` events; countdowns tick on the page from each format's `ends_at`.
import { api } from "./api.js";
import { bidi, el, showFieldErrors, userText } from "./dom.js";
import { t, tn } from "./i18n.js";
import { formatMoney } from "./money.js";

/**
 * @typedef {import("./protocol.js").Ack} Ack
 * @typedef {import("./protocol.js").Auction} Auction
 * @typedef {import("./protocol.js").Cart} Cart
 * @typedef {import("./protocol.js").Deal} Deal
 * @typedef {import("./protocol.js").Giveaway} Giveaway
 * @typedef {import("./protocol.js").Order} Order
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").SellingState} SellingState
 */

const SHIPPING_FIELDS = ["name", "line1", "city", "postal_code", "country"];

/** "0:07" from now until `iso` (never negative). */
export function countdown(iso) {
  const left = Math.max(0, Math.ceil((Date.parse(iso) - Date.now()) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

// One ticker for every countdown on the page: elements with data-ends-at show the time left.
setInterval(() => {
  for (const node of document.querySelectorAll("[data-ends-at]")) {
    const text = countdown(/** @type {HTMLElement} */ (node).dataset.endsAt);
    if (node.textContent !== text) node.textContent = text;
  }
}, 250);

const timer = (iso, label) =>
  el("span", { class: "timer", dataset: { endsAt: iso }, "aria-label": label }, countdown(iso));

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** Keeps the show's formats from the snapshot and the room events (the latest state of each, by id). */
class FormatState {
  constructor() {
    /** @type {Auction|null} */
    this.auction = null;
    /** @type {Map<string, Deal>} */
    this.deals = new Map();
    /** @type {Map<string, Giveaway>} */
    this.giveaways = new Map();
  }

  /** @param {SellingState|undefined} selling */
  reset(selling) {
    this.auction = selling?.auction ?? null;
    this.deals = new Map((selling?.deals ?? []).map((deal) => [deal.id, deal]));
    this.giveaways = new Map((selling?.giveaways ?? []).map((giveaway) => [giveaway.id, giveaway]));
  }

  /** @param {Auction} auction */
  setAuction(auction) {
    if (
      !this.auction ||
      this.auction.id === auction.id ||
      auction.status === "open" ||
      this.auction.status !== "open"
    ) {
      this.auction = auction;
    }
  }

  /** @param {Deal} deal */
  setDeal(deal) {
    this.deals.set(deal.id, deal);
  }

  /** @param {Giveaway} giveaway */
  setGiveaway(giveaway) {
    this.giveaways.set(giveaway.id, giveaway);
  }

  /** The open deal of a product, if any. */
  dealFor(productId) {
    return [...this.deals.values()].find(
      (deal) => deal.product_id === productId && deal.status === "open" && Date.parse(deal.ends_at) > Date.now(),
    );
  }
}

// ---- the watch page -------------------------------------------------------------------------------

export class SellingView {
  /**
   * @param {object} options
   * @param {HTMLElement} options.container where the auction and giveaway cards go (over the video)
   * @param {string} options.showId
   * @param {(event: string, payload: object) => Promise<Ack>} options.request the live room's request
   * @param {() => ({id: string, token: string}|null)} options.viewer the signed-in viewer, if any
   * @param {Map<string, Product>} options.products the show's products by id
   * @param {() => void} options.askForName no viewer yet: ask for a display name
   * @param {(cart: Cart) => void} options.onCart a deal unit was reserved: the new cart
   * @param {() => void} options.onDeals deals changed: redraw the pinned products (their badges)
   */
  constructor({ container, showId, request, viewer, products, askForName, onCart, onDeals }) {
    this.container = container;
    this.showId = showId;
    this.request = request;
    this.viewer = viewer;
    this.products = products;
    this.askForName = askForName;
    this.onCart = onCart;
    this.onDeals = onDeals;
    this.state = new FormatState();
    this.message = ""; // the latest outcome of this viewer's bid (outbid, too low…)
    /** @type {Map<string, number>} deal id → units this viewer holds (from the cart's deal lines) */
    this.held = new Map();
    /** @type {Set<string>} giveaways this viewer entered from this page (the card keeps saying so) */
    this.entered = new Set();
    this.wasLeader = false;
    this.dialog = null;
  }

  /** @param {SellingState|undefined} selling the join snapshot's */
  apply(selling) {
    this.state.reset(selling);
    this.wasLeader = this.isLeader(this.state.auction);
    this.render();
    this.onDeals();
  }

  handlers() {
    return {
      /** @param {Auction} auction */
      auction: (auction) => {
        this.state.setAuction(auction);
        const leading = this.isLeader(auction);
        if (this.wasLeader && !leading && auction.status === "open") this.message = t("selling.outbid");
        if (auction.status !== "open" && this.message === t("selling.outbid")) this.message = "";
        this.wasLeader = leading;
        this.render();
      },
      /** @param {Deal} deal */
      deal: (deal) => {
        this.state.setDeal(deal);
        this.onDeals();
      },
      /** @param {Giveaway} giveaway */
      giveaway: (giveaway) => {
        this.state.setGiveaway(giveaway);
        this.render();
      },
    };
  }

  isLeader(auction) {
    const me = this.viewer();
    return Boolean(me && auction?.leader && auction.leader.id === me.id);
  }

  titleOf(productId) {
    return this.products.get(productId)?.title || t("product.heading");
  }

  render() {
    const cards = [];
    if (this.state.auction) cards.push(this.auctionCard(this.state.auction));
    for (const giveaway of this.state.giveaways.values()) cards.push(this.giveawayCard(giveaway));
    this.container.replaceChildren(...cards);
  }

  // -- auction --
  /** @param {Auction} auction */
  auctionCard(auction) {
    const me = this.viewer();
    const money = (cents) => formatMoney(cents, auction.currency);
    const current =
      auction.high_bid_cents === null
        ? tn("selling.starting_at", { price: el("strong", { text: money(auction.start_cents) }) })
        : tn("selling.high_bid", {
            price: el("strong", { text: money(auction.high_bid_cents) }),
            name: bidi(auction.leader?.name ?? ""),
          });
    const parts = [
      el("div", { class: "format-kind", text: t("selling.auction") }),
      userText("div", this.titleOf(auction.product_id), { class: "title" }),
      el("div", { class: "format-line", "aria-live": "polite" }, ...current),
    ];
    if (auction.status === "open") {
      parts.push(
        el(
          "div",
          { class: "format-line" },
          timer(auction.ends_at, t("selling.time_left")),
          ` · ${t("selling.bids", { count: auction.bids })}`,
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-primary format-action",
            "data-action": "bid",
            onclick: () => this.bid(auction),
          },
          t(this.isLeader(auction) ? "selling.you_lead" : "selling.bid", { amount: money(auction.min_bid_cents) }),
        ),
      );
    } else if (auction.status === "sold" && me && auction.winner?.id === me.id && auction.order_id) {
      parts.push(
        el("div", {
          class: "format-line won",
          text: t("selling.you_won_pay", { amount: money(auction.price_cents) }),
        }),
        el("div", { class: "format-line" }, timer(auction.pay_by, t("selling.time_to_pay"))),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-primary format-action",
            "data-action": "pay",
            onclick: () => this.payDialog(auction),
          },
          t("selling.pay", { amount: money(auction.price_cents) }),
        ),
      );
    } else {
      const ended =
        auction.status === "sold" && auction.winner
          ? tn("selling.sold_to", { name: bidi(auction.winner.name) })
          : [
              { sold: t("selling.sold"), unsold: t("selling.unsold"), cancelled: t("selling.cancelled") }[
                auction.status
              ] || auction.status,
            ];
      parts.push(el("div", { class: "format-line" }, ...ended));
    }
    if (this.message) parts.push(el("div", { class: "format-message", role: "status", text: this.message }));
    return el("article", { class: "format-card auction-card", dataset: { auctionId: auction.id } }, ...parts);
  }

  /** @param {Auction} auction */
  async bid(auction) {
    if (!this.viewer()) {
      this.askForName();
      return;
    }
    const amount = auction.min_bid_cents;
    /** @type {any} */
    const ack = await this.request("bid", { auction_id: auction.id, amount_cents: amount });
    if (ack.ok) {
      this.message = "";
      this.wasLeader = true;
      this.state.setAuction(ack.auction);
    } else if (ack.error.code === "bid_too_low") {
      this.message = t("selling.bid_first", { amount: formatMoney(ack.error.min_cents, auction.currency) });
      this.state.setAuction({ ...auction, min_bid_cents: ack.error.min_cents });
    } else if (ack.error.code === "unauthorized") {
      this.askForName();
    } else {
      this.message = ack.error.message;
    }
    this.render();
  }

  /** A small dialog for the winner's address and card: POST /api/auctions/{id}/checkout. */
  payDialog(auction) {
    this.dialog?.remove();
    const field = (name, label, attrs = {}) =>
      el(
        "div",
        { class: "field" },
        el("label", { for: `auction-${name}`, text: label }),
        el("input", { id: `auction-${name}`, name, required: true, ...attrs }),
        el("span", { class: "field-error", id: `auction-${name}-error` }),
      );
    const error = el("p", { class: "error-box", role: "alert" });
    const form = el(
      "form",
      { novalidate: true },
      field("name", t("product.full_name"), { autocomplete: "name" }),
      field("line1", t("product.address"), { autocomplete: "address-line1" }),
      field("city", t("product.city"), { autocomplete: "address-level2" }),
      field("postal_code", t("product.postal_code"), { autocomplete: "postal-code" }),
      field("country", t("product.country"), { autocomplete: "country", maxlength: 2, placeholder: "FR" }),
      field("card_number", t("selling.card_test"), {
        inputmode: "numeric",
        autocomplete: "cc-number",
      }),
      error,
      el(
        "button",
        { type: "submit", class: "btn btn-primary", "data-action": "confirm-pay" },
        t("selling.pay", { amount: formatMoney(auction.price_cents, auction.currency) }),
      ),
    );
    const dialog = el(
      "dialog",
      { class: "drawer", "aria-label": t("selling.pay_win_label") },
      el(
        "div",
        { class: "dialog-body" },
        el(
          "div",
          { class: "row" },
          el("h2", { class: "grow", text: t("selling.pay_win") }),
          el("button", {
            type: "button",
            class: "btn btn-small",
            onclick: () => dialog.close(),
            text: t("cart.close"),
          }),
        ),
        form,
      ),
    );
    const key = newKey();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      /** @type {Object<string, string>} */
      const values = {};
      for (const [name, value] of new FormData(form).entries()) values[name] = String(value).trim();
      const missing = Object.fromEntries(
        Object.entries(values)
          .filter(([, v]) => !v)
          .map(([k]) => [k, t("selling.required")]),
      );
      showFieldErrors(form, missing);
      if (Object.keys(missing).length) return;
      const body = {
        shipping: Object.fromEntries(
          SHIPPING_FIELDS.map((f) => [f, f === "country" ? values[f].toUpperCase() : values[f]]),
        ),
        payment: { method: "test", card_number: values.card_number.replace(/[\s-]/g, "") },
      };
      try {
        /** @type {Order} */
        const order = await api("POST", `/api/auctions/${encodeURIComponent(auction.id)}/checkout`, {
          token: this.viewer()?.token,
          json: body,
          headers: { "Idempotency-Key": key },
        });
        dialog.close();
        this.message = t("selling.paid", { id: order.id, total: formatMoney(order.total_cents, order.currency) });
        this.state.setAuction({ ...auction, status: "sold", winner: null });
        this.render();
      } catch (failure) {
        error.textContent = failure.message;
      }
    });
    document.body.append(dialog);
    this.dialog = dialog;
    dialog.showModal();
  }

  // -- deals --
  /** The deal badge for a pinned product's card (null without an open deal). @param {Product} product */
  dealBadge(product) {
    const deal = this.state.dealFor(product.id);
    if (!deal) return null;
    const off = product.price_cents > 0 ? Math.round((1 - deal.price_cents / product.price_cents) * 100) : 0;
    return el(
      "div",
      { class: "deal-badge", dataset: { dealId: deal.id } },
      el("strong", { text: `${off > 0 ? `−${off}% ` : ""}${formatMoney(deal.price_cents, deal.currency)}` }),
      el("span", {
        class: "deal-left",
        text: ` · ${deal.remaining > 0 ? t("selling.deal_left", { left: deal.remaining }) : t("stock.sold_out_lower")} · `,
      }),
      timer(deal.ends_at, t("selling.deal_ends")),
      this.held.get(deal.id)
        ? el("span", { class: "deal-held", text: ` ${t("selling.deal_held", { count: this.held.get(deal.id) })}` })
        : null,
      el(
        "button",
        {
          type: "button",
          class: "btn btn-small btn-primary",
          "data-action": "grab-deal",
          disabled: deal.remaining <= 0,
          onclick: (event) => this.grab(deal, event.currentTarget),
        },
        this.held.get(deal.id) ? t("selling.grab_another") : t("selling.grab"),
      ),
    );
  }

  /** @param {Deal} deal */
  async grab(deal, button) {
    const me = this.viewer();
    if (!me) {
      this.askForName();
      return;
    }
    button.disabled = true;
    try {
      /** @type {Cart} */
      const cart = await api("POST", `/api/shows/${encodeURIComponent(this.showId)}/cart/items`, {
        token: me.token,
        json: { deal_id: deal.id },
      });
      this.held = new Map((cart.deals ?? []).map((line) => [line.deal_id, line.qty]));
      this.onCart(cart);
      this.onDeals();
    } catch (error) {
      button.disabled = false;
      button.textContent =
        error.code === "deal_sold_out"
          ? t("stock.sold_out")
          : error.code === "deal_ended"
            ? t("status.ended")
            : t("selling.grab");
      button.title = error.message;
    }
  }

  // -- giveaways --
  /** @param {Giveaway} giveaway */
  giveawayCard(giveaway) {
    const me = this.viewer();
    const parts = [
      el("div", { class: "format-kind", text: t("selling.giveaway") }),
      userText("div", this.titleOf(giveaway.product_id), { class: "title" }),
    ];
    if (giveaway.status === "open") {
      parts.push(
        el(
          "div",
          { class: "format-line" },
          `${t("selling.entered", { count: giveaway.entrants })} · `,
          timer(giveaway.ends_at, t("selling.entries_close")),
          giveaway.keyword
            ? [" · ", ...tn("selling.keyword", { keyword: el("strong", { text: giveaway.keyword }) })]
            : "",
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-primary format-action",
            "data-action": "enter",
            disabled: this.entered.has(giveaway.id),
            onclick: () => this.enter(giveaway),
          },
          this.entered.has(giveaway.id) ? t("selling.entered_you") : t("selling.enter"),
        ),
      );
    } else {
      const winners = giveaway.winners ?? [];
      const mine = me && winners.includes(me.id);
      parts.push(
        el("div", {
          class: mine ? "format-line won" : "format-line",
          text: mine
            ? t("selling.giveaway_won")
            : t("selling.drawn", {
                entrants: giveaway.entrants,
                winners: t("selling.winners", { count: winners.length }),
              }),
        }),
        el("a", {
          href: `/api/giveaways/${encodeURIComponent(giveaway.id)}`,
          target: "_blank",
          rel: "noopener",
          text: t("selling.verify"),
        }),
      );
    }
    return el("article", { class: "format-card giveaway-card", dataset: { giveawayId: giveaway.id } }, ...parts);
  }

  /** @param {Giveaway} giveaway */
  async enter(giveaway) {
    if (!this.viewer()) {
      this.askForName();
      return;
    }
    /** @type {any} */
    const ack = await this.request("enter", { giveaway_id: giveaway.id });
    if (ack.ok) {
      this.entered.add(giveaway.id); // kept through the redraws the room's giveaway events cause
      this.state.setGiveaway(ack.giveaway);
      this.render();
    } else if (ack.error.code === "unauthorized") this.askForName();
  }
}

// ---- host studio and brand console --------------------------------------------------------------

export class SellerControls {
  /**
   * @param {object} options
   * @param {() => string|null} options.token the host's or brand's token
   * @param {() => void} options.onChange redraw the lineup
   * @param {(message: string) => void} options.onError a refused request ("" clears it)
   * @param {boolean} [options.giveaways] may start giveaways (the host; not a brand)
   */
  constructor({ token, onChange, onError, giveaways = true }) {
    this.token = token;
    this.onChange = onChange;
    this.onError = onError;
    this.giveaways = giveaways;
    this.state = new FormatState();
    /** @type {Set<string>} products whose start forms the seller opened */
    this.opened = new Set();
  }

  /** @param {SellingState|undefined} selling */
  reset(selling) {
    this.state.reset(selling);
    this.onChange();
  }

  handlers() {
    return {
      /** @param {Auction} auction */
      auction: (auction) => {
        this.state.setAuction(auction);
        this.onChange();
      },
      /** @param {Deal} deal */
      deal: (deal) => {
        this.state.setDeal(deal);
        this.onChange();
      },
      /** @param {Giveaway} giveaway */
      giveaway: (giveaway) => {
        this.state.setGiveaway(giveaway);
        this.onChange();
      },
    };
  }

  async call(method, path, json) {
    try {
      const answer = await api(method, path, { token: this.token(), json });
      this.onError("");
      return answer;
    } catch (error) {
      const fields = error.details?.fields
        ? ` (${Object.entries(error.details.fields)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")})`
        : "";
      this.onError(`${error.message}${fields}`);
      return null;
    }
  }

  /** A start form: one small row of numbers and a submit button. */
  startForm(label, inputs, submit) {
    const form = el(
      "form",
      { class: "format-start row", "aria-label": label },
      ...inputs.map(([name, text, value, attrs]) =>
        el(
          "label",
          { class: "mini-field" },
          text,
          el("input", { name, value, size: 6, ...(attrs || { type: "number", min: 0 }) }),
        ),
      ),
      el("button", { type: "submit", class: "btn btn-small btn-primary" }, label),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form).entries());
      await submit(values);
    });
    return form;
  }

  /**
   * The state of each format running on this product, with its Cancel/End button, and the start forms.
   * @param {string} showId
   * @param {Product} product
   * @param {{disabled: boolean}} options
   */
  controls(showId, product, { disabled }) {
    const base = `/api/shows/${encodeURIComponent(showId)}`;
    const money = (cents) => formatMoney(cents, product.currency);
    const cents = (text) => Math.round(Number(text) * 100);
    const parts = [];
    const auction = this.state.auction;
    if (auction && auction.product_id === product.id) {
      const leader = auction.leader ? [" by ", bidi(auction.leader.name)] : "";
      const line = [
        el("strong", { text: `Auction ${auction.status}` }),
        ": ",
        auction.high_bid_cents === null ? "no bid yet" : money(auction.high_bid_cents),
        leader,
        ` · ${auction.bids} bids`,
      ];
      if (auction.status === "open") {
        line.push(" · ", timer(auction.ends_at, "Time left"));
        line.push(
          el(
            "button",
            {
              type: "button",
              class: "btn btn-small btn-danger",
              disabled,
              onclick: async () => {
                const cancelled = await this.call("DELETE", `/api/auctions/${encodeURIComponent(auction.id)}`);
                if (cancelled) this.handlers().auction(cancelled);
              },
            },
            "Cancel auction",
          ),
        );
      }
      parts.push(el("div", { class: "format-state", dataset: { auctionId: auction.id } }, ...line));
    }
    const deal = this.state.dealFor(product.id);
    if (deal) {
      parts.push(
        el(
          "div",
          { class: "format-state", dataset: { dealId: deal.id } },
          el("strong", { text: `Deal ${money(deal.price_cents)}` }),
          ` · ${deal.remaining} of ${deal.quantity} left · `,
          timer(deal.ends_at, "Deal ends in"),
          el(
            "button",
            {
              type: "button",
              class: "btn btn-small btn-danger",
              disabled,
              onclick: async () => {
                const ended = await this.call("DELETE", `/api/deals/${encodeURIComponent(deal.id)}`);
                if (ended) this.handlers().deal(ended);
              },
            },
            "End deal",
          ),
        ),
      );
    }
    for (const giveaway of this.state.giveaways.values()) {
      if (giveaway.product_id !== product.id) continue;
      parts.push(
        el(
          "div",
          { class: "format-state", dataset: { giveawayId: giveaway.id } },
          el("strong", { text: `Giveaway ${giveaway.status}` }),
          ` · ${giveaway.entrants} entered`,
          giveaway.status === "open"
            ? [" · ", timer(giveaway.ends_at, "Entries close in")]
            : ` · ${(giveaway.winners ?? []).length} winners`,
        ),
      );
    }
    if (disabled) return parts;
    const running = auction && auction.status === "open";
    const starts = el(
      "details",
      {
        class: "format-starts",
        open: this.opened.has(product.id), // a redraw (a bid, a pin) keeps the seller's form open
        ontoggle: (event) => {
          if (event.currentTarget.open) this.opened.add(product.id);
          else this.opened.delete(product.id);
        },
      },
      el("summary", { text: "Sell as an auction, a deal or a giveaway" }),
      running
        ? el("p", { class: "hint", text: "An auction is running in this show." })
        : this.startForm(
            "Start auction",
            [
              ["start", "Start €", String(Math.max(1, Math.round(product.price_cents / 200)))],
              ["step", "Step €", "1"],
              ["seconds", "Seconds", "30"],
            ],
            async (v) => {
              const opened = await this.call("POST", `${base}/auctions`, {
                product_id: product.id,
                start_cents: cents(v.start),
                increment_cents: cents(v.step),
                duration_s: Number(v.seconds),
              });
              if (opened) this.handlers().auction(opened);
            },
          ),
      this.startForm(
        "Start deal",
        [
          ["price", "Price €", String((Math.round(product.price_cents * 0.7) / 100).toFixed(2))],
          ["quantity", "Units", "10"],
          ["seconds", "Seconds", "60"],
        ],
        async (v) => {
          const started = await this.call("POST", `${base}/deals`, {
            product_id: product.id,
            price_cents: cents(v.price),
            quantity: Number(v.quantity),
            duration_s: Number(v.seconds),
          });
          if (started) this.handlers().deal(started);
        },
      ),
      this.giveaways
        ? this.startForm(
            "Start giveaway",
            [
              ["winners", "Winners", "1"],
              ["seconds", "Seconds", "60"],
              ["keyword", "Keyword", "", { type: "text", maxlength: 40 }],
            ],
            async (v) => {
              const started = await this.call("POST", `${base}/giveaways`, {
                product_id: product.id,
                winners: Number(v.winners),
                duration_s: Number(v.seconds),
                ...(String(v.keyword).trim() ? { keyword: String(v.keyword).trim() } : {}),
              });
              if (started) this.handlers().giveaway(started);
            },
          )
        : null,
    );
    return [...parts, starts];
  }
}
