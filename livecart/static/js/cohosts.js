// Co-hosts in the studio: the show's host invites hosts with their share of the show's commission and
// sees them; an invited host opening the studio with its own token accepts here, then has the studio's
// controls (pins, moderation, selling formats) — the camera stays the host's.
import { api } from "./api.js";
import { $, announce, el, setText, userText } from "./dom.js";
import { locale, t } from "./i18n.js";

/**
 * @typedef {import("./protocol.js").Cohost} Cohost
 * @typedef {import("./protocol.js").CohostList} CohostList
 */

const percent = (bps) => `${(bps / 100).toLocaleString(locale, { maximumFractionDigits: 2 })} %`;

/**
 * The signed-in host's place in the show: "host", "active" or "invited" (a co-host), or null.
 * @param {string} showId
 * @param {string|null} token
 * @param {{id: string}} me
 * @param {{host_id: string}} show
 */
export async function cohostStatus(showId, token, me, show) {
  if (show.host_id === me.id) return "host";
  try {
    /** @type {CohostList} */
    const list = await api("GET", `/api/shows/${encodeURIComponent(showId)}/cohosts`, { token });
    return list.cohosts.find((one) => one.host_id === me.id)?.status || null;
  } catch {
    return null; // not a co-host: the list is refused
  }
}

/** Ask an invited co-host to accept; resolves once it did. */
export function offerAccept(showId, token) {
  const box = $("#cohost-invite");
  box.hidden = false;
  return new Promise((resolve) => {
    $("#cohost-accept").addEventListener("click", async () => {
      try {
        /** @type {Cohost} */
        const accepted = await api("POST", `/api/shows/${encodeURIComponent(showId)}/cohosts/accept`, { token });
        box.hidden = true;
        resolve(accepted);
      } catch (error) {
        setText("#cohost-invite-error", error.message);
      }
    });
  });
}

/** The co-hosts panel: the show's host invites and sees its co-hosts; a co-host sees them. */
export async function mountCohosts(showId, token, isHost) {
  $("#cohosts-panel").hidden = false;
  $("#cohost-form").hidden = !isHost;
  const form = $("#cohost-form");
  if (isHost && !form.dataset.ready) {
    form.dataset.ready = "1";
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const hostId = $("#cohost-id").value.trim();
      const share = Math.round(Number($("#cohost-share").value) * 100);
      setText("#cohosts-error", "");
      try {
        await api("POST", `/api/shows/${encodeURIComponent(showId)}/cohosts`, {
          token,
          json: { host_id: hostId, share_bps: share },
        });
        form.reset();
        announce($("#cohosts-ok"), t("cohosts.invited_ok"), 5000);
        await renderCohosts(showId, token);
      } catch (error) {
        const left = error.details.available_bps;
        setText(
          "#cohosts-error",
          left === undefined ? error.message : t("cohosts.left", { reason: error.message, left: percent(left) }),
        );
      }
    });
  }
  await renderCohosts(showId, token);
}

async function renderCohosts(showId, token) {
  /** @type {CohostList} */
  const list = await api("GET", `/api/shows/${encodeURIComponent(showId)}/cohosts`, { token });
  $("#cohosts").replaceChildren(
    ...list.cohosts.map((one) =>
      el(
        "li",
        { dataset: { hostId: one.host_id } },
        userText("span", one.host_name || one.host_id, { class: "grow" }),
        el("span", { text: percent(one.share_bps) }),
        el("span", {
          class: `badge ${one.status === "active" ? "badge-ok" : ""}`,
          text: t(`cohosts.status_${one.status}`),
        }),
      ),
    ),
  );
  $("#cohosts-empty").hidden = list.cohosts.length > 0;
}
