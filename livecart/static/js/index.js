// The index: live shows first, then upcoming ones; refreshed every 15 s.
import { api } from "./api.js";
import { $, el, timeText, userText } from "./dom.js";
import { t, translatePage } from "./i18n.js";

const REFRESH_MS = 15000;

/**
 * @typedef {import("./protocol.js").ShowListItem} ShowListItem
 * @typedef {import("./protocol.js").ShowList} ShowList
 */

/** "Add to calendar" (an .ics file) for a show with a start time. @param {ShowListItem} show */
function calendarLink(show) {
  if (show.status !== "scheduled" || !show.scheduled_at) return null;
  return el("a", {
    class: "btn btn-small",
    href: `/api/shows/${encodeURIComponent(show.id)}.ics`,
    download: `${show.id}.ics`,
    text: t("index.calendar"),
    "aria-label": t("index.calendar_label", { title: show.title }),
  });
}

/** @param {ShowListItem} show */
function showItem(show) {
  const live = show.status === "live";
  const paused = show.status === "paused"; // its publisher went away: still on, back soon
  const text = live ? t("status.live") : paused ? t("status.paused") : t("index.soon");
  return el(
    "li",
    { class: "show-item", dataset: { showId: show.id } },
    el(
      "div",
      { class: "poster" },
      el("img", {
        src: show.poster_url || "/static/img/poster.svg",
        alt: "",
        width: 160,
        height: 90,
        loading: "lazy",
        decoding: "async",
      }),
      el("span", { class: `badge ${live ? "badge-live" : ""}`, text }),
    ),
    el(
      "div",
      { class: "grow" },
      userText("div", show.title, { class: "title" }),
      el("div", {
        class: "meta",
        text: live
          ? t("index.streaming")
          : paused
            ? t("index.paused")
            : show.scheduled_at
              ? t("index.starts", { when: timeText(show.scheduled_at) })
              : t("index.unscheduled"),
      }),
    ),
    el(
      "div",
      { class: "show-actions" },
      el("a", {
        class: `btn ${live ? "btn-primary" : ""}`,
        href: `/watch/${encodeURIComponent(show.id)}`,
        text: live ? t("index.watch") : t("index.open"),
        "aria-label": t(live ? "index.watch_label" : "index.open_label", { title: show.title }),
      }),
      calendarLink(show),
    ),
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
    $("#error").textContent = t("index.load_failed", { reason: error.message });
  }
}

translatePage();
refresh();
setInterval(refresh, REFRESH_MS);
