// Reviews on the watch page: the "4.6 ★ · 128 verified buyers" badge of a product card, and a sheet (a
// dialog over the page, the video keeps playing) with the summary, the reviews, and the form a verified
// buyer writes one with. Self-contained: the page calls reviewBadge(product, token) for each card.
import { api } from "./api.js";
import { el, showFieldErrors, timeText, userText } from "./dom.js";
import { locale, t, tn } from "./i18n.js";
import { hasService } from "./services.js";

/**
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").ProductDetail} ProductDetail
 * @typedef {import("./protocol.js").Review} Review
 * @typedef {import("./protocol.js").ReviewPage} ReviewPage
 * @typedef {import("./protocol.js").ReviewSummary} ReviewSummary
 * @typedef {import("./protocol.js").Reviewable} Reviewable
 */

const SUMMARY_MAX_AGE_MS = 60_000; // a card re-renders on every stock change: the summary is read at most once a minute
const PAGE_SIZE = 20;

/** @type {Map<string, {at: number, summary: Promise<ReviewSummary|null>}>} product id → summary being read or read */
const summaries = new Map();

/** "4.6 ★ · 128 verified buyers", "No reviews yet". @param {ReviewSummary} summary */
export function summaryText(summary) {
  if (!summary.count || summary.average === null) return t("reviews.none");
  const average = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return t("reviews.summary", {
    average: average.format(summary.average),
    buyers: t("reviews.buyers", { count: summary.count }),
  });
}

/** The product's summary (GET /api/products/{id}), shared by every card of the product for a minute. */
function summaryOf(productId, fresh = false) {
  const cached = summaries.get(productId);
  if (cached && !fresh && Date.now() - cached.at < SUMMARY_MAX_AGE_MS) return cached.summary;
  const summary = api("GET", `/api/products/${encodeURIComponent(productId)}`).then(
    /** @param {ProductDetail} detail */ (detail) => detail.reviews,
    () => null, // no summary is no badge text, not a broken card
  );
  summaries.set(productId, { at: Date.now(), summary });
  return summary;
}

/**
 * The badge of a product card: a button showing the summary that opens the reviews sheet (null, so
 * nothing is shown, on a server without reviews).
 * @param {Product} product
 * @param {() => string|null|undefined} token the viewer's token (to write a review), if signed in
 */
export function reviewBadge(product, token) {
  if (!hasService("reviews")) return null;
  const badge = el("button", {
    type: "button",
    class: "review-badge",
    "aria-haspopup": "dialog",
    "aria-label": t("reviews.of", { title: product.title }),
    onclick: () => openReviews(product, token, badge),
  });
  // The button's name starts with what it shows (its visible text is part of its accessible name).
  const show = (text) => {
    badge.textContent = text;
    badge.setAttribute("aria-label", `${text} · ${t("reviews.of", { title: product.title })}`);
  };
  show(t("reviews.button"));
  summaryOf(product.id).then((summary) => {
    if (summary) show(summaryText(summary));
  });
  return badge;
}

/** @param {Review} review */
function reviewItem(review) {
  const stars = review.rating === null ? "" : "★".repeat(review.rating) + "☆".repeat(5 - review.rating);
  return el(
    "li",
    { class: "review", dataset: { reviewId: review.id } },
    el(
      "div",
      { class: "row" },
      el("span", {
        class: "stars",
        "aria-label": review.rating === null ? "" : t("reviews.stars_of", { rating: review.rating }),
        text: stars,
      }),
      userText("span", review.buyer_name, { class: "name grow" }),
      el("span", { class: "badge", text: t("reviews.verified") }),
      el("time", { datetime: review.created_at, text: timeText(review.created_at) }),
    ),
    review.hidden
      ? el("p", { class: "hidden-review", text: `${review.hidden.label}: ${review.hidden.reason}` })
      : review.text
        ? userText("p", review.text, { class: "text" })
        : null,
    review.reply
      ? el("p", { class: "reply" }, ...tn("reviews.brand_reply", { text: userText("span", review.reply.text) }))
      : null,
  );
}

/** @param {ReviewSummary} summary */
function histogram(summary) {
  return el(
    "ul",
    { class: "histogram", "aria-label": t("reviews.ratings") },
    [5, 4, 3, 2, 1].map((stars) => {
      const count = summary.histogram[String(stars)] ?? 0;
      const share = summary.count ? Math.round((100 * count) / summary.count) : 0;
      return el(
        "li",
        {},
        `${stars} ★ `,
        el("meter", {
          min: 0,
          max: 100,
          value: share,
          "aria-label": t("reviews.stars_count", { stars, number: count }),
        }),
        ` ${count}`,
      );
    }),
  );
}

/**
 * The form of a verified buyer: rating and text for one of their order lines of the product.
 * @param {Product} product
 * @param {string} token
 * @param {string} orderId
 * @param {() => void} onDone
 */
function reviewForm(product, token, orderId, onDone) {
  const error = el("p", { class: "error-box", role: "alert" });
  const form = el(
    "form",
    { class: "review-form", novalidate: true },
    el(
      "fieldset",
      {},
      el("legend", { text: t("reviews.your_rating") }),
      [1, 2, 3, 4, 5].map((stars) =>
        el(
          "label",
          { class: "star-choice" },
          el("input", { type: "radio", name: "rating", value: stars, required: true, id: `review-rating-${stars}` }),
          ` ${stars} ★`,
        ),
      ),
      el("span", { class: "field-error", id: "review-rating-1-error" }),
    ),
    el(
      "div",
      { class: "field" },
      el("label", { for: "review-text", text: t("reviews.your_review") }),
      el("textarea", {
        id: "review-text",
        name: "text",
        maxlength: 2000,
        rows: 4,
        "aria-describedby": "review-text-error",
      }),
      el("span", { class: "field-error", id: "review-text-error" }),
    ),
    error,
    el("button", { type: "submit", class: "btn btn-primary", text: t("reviews.post") }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const rating = Number(data.get("rating"));
    if (!rating) {
      error.textContent = t("reviews.pick_rating");
      return;
    }
    try {
      await api("POST", `/api/products/${encodeURIComponent(product.id)}/reviews`, {
        token,
        json: { rating, text: String(data.get("text") || ""), order_id: orderId },
      });
      onDone();
    } catch (failure) {
      showFieldErrors(form, failure.details?.fields || {});
      error.textContent = failure.message;
    }
  });
  return form;
}

/**
 * Open the reviews sheet of a product over the page.
 * @param {Product} product
 * @param {() => string|null|undefined} token
 * @param {HTMLElement} badge the card's badge (focused again and refreshed when the sheet closes)
 */
export async function openReviews(product, token, badge) {
  const list = el("ul", { class: "reviews" });
  const summaryNode = el("div", { class: "review-summary" });
  const writeNode = el("div", { class: "review-write" });
  const more = el("button", { type: "button", class: "btn btn-small", hidden: true, text: t("reviews.more") });
  const close = el("button", { type: "button", class: "btn btn-small", text: t("cart.close") });
  const dialog = el(
    "dialog",
    { class: "drawer reviews-sheet", "aria-label": t("reviews.of", { title: product.title }) },
    el(
      "div",
      { class: "dialog-body" },
      el("div", { class: "row" }, userText("h2", product.title, { class: "grow" }), close),
      summaryNode,
      writeNode,
      list,
      more,
    ),
  );
  /** @type {string|null} */
  let before = null;

  async function loadPage() {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (before) query.set("before", before);
    /** @type {ReviewPage} */
    const page = await api("GET", `/api/products/${encodeURIComponent(product.id)}/reviews?${query}`);
    list.append(...page.reviews.map(reviewItem));
    before = page.next_before;
    more.hidden = !before;
  }

  async function refresh() {
    const summary = await summaryOf(product.id, true);
    summaryNode.replaceChildren(
      el("p", { class: "review-average", text: summary ? summaryText(summary) : "" }),
      summary ? histogram(summary) : "",
    );
    if (summary) badge.textContent = summaryText(summary);
    list.replaceChildren();
    before = null;
    await loadPage();
    writeNode.replaceChildren(el("p", { class: "hint", text: t("reviews.hint") }));
    const viewerToken = token();
    if (!viewerToken) return;
    try {
      /** @type {Reviewable} */
      const reviewable = await api("GET", `/api/products/${encodeURIComponent(product.id)}/reviewable`, {
        token: viewerToken,
      });
      if (reviewable.order_ids.length) {
        writeNode.replaceChildren(reviewForm(product, viewerToken, reviewable.order_ids[0], () => refresh()));
        return;
      }
    } catch {
      // not a viewer (or signed out meanwhile): nothing to write
    }
  }

  more.addEventListener("click", () => loadPage());
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    dialog.remove();
    badge.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  try {
    await refresh();
  } catch (failure) {
    summaryNode.replaceChildren(el("p", { class: "error-box", role: "alert", text: failure.message }));
  }
}
