// The index: live shows first, then upcoming ones; refreshed every 15 s.
import { api } from "./api.js";
import { $, el, timeText, userText } from "./dom.js";

const REFRESH_MS = 15000;

/**
 * @typedef {import("./protocol.js").Show} Show
 * @typedef {import("./protocol.js").ShowList} ShowList
 */

/** @param {Show} show */
function showItem(show) {
  const live = show.status === "live";
  const text = live ? "Live" : show.status === "paused" ? "Back soon" : "Soon";
  return el(
    "li",
    { class: "show-item", dataset: { showId: show.id } },
    el("span", { class: `badge ${live ? "badge-live" : ""}`, text }),
    el(
      "div",
      { class: "grow" },
      userText("div", show.title, { class: "title" }),
      el("div", {
        class: "meta",
        text: live
          ? "Streaming now"
          : show.scheduled_at
            ? `Starts ${timeText(show.scheduled_at)}`
            : "Not scheduled yet",
      }),
    ),
    el("a", {
      class: `btn ${live ? "btn-primary" : ""}`,
      href: `/watch/${encodeURIComponent(show.id)}`,
      text: live ? "Watch" : "Open",
      "aria-label": `${live ? "Watch" : "Open"} ${show.title}`,
    }),
  );
}

async function refresh() {
  try {
    /** @type {ShowList} */
    const { shows } = await api("GET", "/api/shows");
    const live = shows.filter((s) => s.status === "live" || s.status === "paused"); // paused: still on
    const upcoming = shows.filter((s) => s.status === "scheduled");
    $("#live-shows").replaceChildren(...live.map(showItem));
    $("#upcoming-shows").replaceChildren(...upcoming.map(showItem));
    $("#live-empty").hidden = live.length > 0;
    $("#upcoming-empty").hidden = upcoming.length > 0;
    $("#error").textContent = "";
  } catch (error) {
    $("#error").textContent = `Could not load the shows: ${error.message}`;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
