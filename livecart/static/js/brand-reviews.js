// The brand console's reviews panel: every review of the brand's products (newest first, with the summary),
// the brand's reply (one per review) and reports. A brand cannot delete a review: it replies or reports.
import { api } from "./api.js";
import { el, timeText, userText } from "./dom.js";
import { summaryText } from "./reviews.js";
import { hasService } from "./services.js";

/**
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").Review} Review
 * @typedef {import("./protocol.js").ReviewPage} ReviewPage
 */

const PAGE_SIZE = 50;

/**
 * Add the reviews panel to `container` and fill it.
 * @param {HTMLElement} container
 * @param {Product[]} products the brand's products
 * @param {() => string|null} token the brand's token
 */
export async function mountBrandReviews(container, products, token) {
  if (!hasService("reviews")) return;
  const list = el("div", { id: "brand-reviews" });
  const error = el("p", { class: "error-box", role: "alert" });
  const panel = el(
    "section",
    { class: "panel", "aria-labelledby": "reviews-heading" },
    el("h2", { id: "reviews-heading", text: "Reviews" }),
    el("p", {
      class: "hint",
      text: "Reviews from verified buyers of your products. Reply once to each; report one that breaks the rules.",
    }),
    list,
    error,
  );
  container.append(panel);

  /** @param {Review} review @param {() => void} redraw */
  function reviewItem(review, redraw) {
    const replyError = el("span", { class: "field-error" });
    const actions = [];
    if (!review.reply) {
      const input = el("textarea", { rows: 2, maxlength: 2000, "aria-label": `Reply to ${review.buyer_name}` });
      const form = el(
        "form",
        { class: "review-reply" },
        input,
        el("button", { type: "submit", class: "btn btn-small btn-primary", text: "Reply" }),
        replyError,
      );
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api("POST", `/api/reviews/${encodeURIComponent(review.id)}/reply`, {
            token: token(),
            json: { text: input.value },
          });
          redraw();
        } catch (failure) {
          replyError.textContent = failure.message;
        }
      });
      actions.push(form);
    }
    const reported = (review.reports || []).length > 0;
    actions.push(
      el("button", {
        type: "button",
        class: "btn btn-small",
        text: reported ? "Reported" : "Report",
        disabled: reported,
        onclick: async () => {
          const reason = prompt("Why should moderation look at this review?");
          if (!reason) return;
          try {
            await api("POST", `/api/reviews/${encodeURIComponent(review.id)}/report`, {
              token: token(),
              json: { reason },
            });
            redraw();
          } catch (failure) {
            replyError.textContent = failure.message;
          }
        },
      }),
    );
    return el(
      "li",
      { class: "review", dataset: { reviewId: review.id } },
      el(
        "div",
        { class: "row" },
        el("span", { class: "stars", text: review.rating === null ? "" : `${review.rating} ★` }),
        userText("span", review.buyer_name, { class: "name grow" }),
        el("time", { datetime: review.created_at, text: timeText(review.created_at) }),
      ),
      review.hidden
        ? el("p", { class: "hidden-review", text: `${review.hidden.label}: ${review.hidden.reason}` })
        : review.text
          ? userText("p", review.text, { class: "text" })
          : null,
      review.reply ? el("p", { class: "reply" }, "Your reply: ", userText("span", review.reply.text)) : null,
      (review.reports || []).map((report) =>
        el("p", { class: "hint" }, `Reported ${timeText(report.at)}: `, userText("span", report.reason)),
      ),
      ...actions,
    );
  }

  /** @param {Product} product */
  async function productBlock(product) {
    const block = el("div", { class: "product-reviews", dataset: { productId: product.id } });
    const draw = async () => {
      /** @type {ReviewPage} */
      const page = await api("GET", `/api/products/${encodeURIComponent(product.id)}/reviews?limit=${PAGE_SIZE}`, {
        token: token(),
      });
      block.replaceChildren(
        el("h3", {}, userText("span", product.title), ` · ${summaryText(page.summary)}`),
        page.reviews.length
          ? el(
              "ul",
              { class: "list reviews" },
              page.reviews.map((review) => reviewItem(review, () => draw())),
            )
          : el("p", { class: "empty", text: "No reviews yet." }),
      );
    };
    await draw();
    return block;
  }

  try {
    list.replaceChildren(...(await Promise.all(products.map(productBlock))));
  } catch (failure) {
    error.textContent = `Could not load reviews: ${failure.message}`;
  }
}
