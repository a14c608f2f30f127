// The host studio: camera preview and WHIP publishing, viewers and time on air, chat moderation,
// the question queue, pin/unpin of the lineup, live earnings and stream health.
import { api } from "./api.js";
import { cohostStatus, mountCohosts, offerAccept } from "./cohosts.js";
import { ChatList, QuestionBoard } from "./chat.js";
import { $, announce, bidi, el, elapsedText, isolate, setText, userText } from "./dom.js";
import { t, translatePage } from "./i18n.js";
import { LiveRoom } from "./live.js";
import { formatMoney } from "./money.js";
import { Pins } from "./pins.js";
import { SellerControls } from "./selling.js";
import { hasService } from "./services.js";
import { SignIn } from "./signin.js";
import { WhipPublisher } from "./video.js";

/**
 * @typedef {import("./protocol.js").Account} Account
 * @typedef {import("./protocol.js").Ack} Ack
 * @typedef {import("./protocol.js").ChatMessage} ChatMessage
 * @typedef {import("./protocol.js").Earnings} Earnings
 * @typedef {import("./protocol.js").JoinAck} JoinAck
 * @typedef {import("./protocol.js").Product} Product
 * @typedef {import("./protocol.js").Question} Question
 * @typedef {import("./protocol.js").RemovedEvent} RemovedEvent
 * @typedef {import("./protocol.js").ShowDetail} ShowDetail
 * @typedef {import("./protocol.js").ShowEvent} ShowEvent
 * @typedef {import("./protocol.js").ViewersEvent} ViewersEvent
 */

const MUTE_SECONDS = 300;
const EARNINGS_REFRESH_MS = 15000;
const POSTER_EVERY_MS = 30000; // a still of the camera for the index page, while publishing
const FIRST_POSTER_MS = 2000; // the first one soon after going live
const POSTER_WIDTH = 640;
const showId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

const signIn = new SignIn({
  storageKey: "livecart.host.token",
  panel: "#studio",
  roles: ["host", "admin"],
  invalid: t("studio.token_invalid"),
  missing: t("studio.token_missing"),
  wrongRole: (role) => t("studio.token_wrong_role", { role }),
});

const state = {
  /** @type {Account|null} */
  me: null,
  /** @type {ShowDetail|null} */
  show: null,
  /** @type {Product[]} */
  lineup: [],
  stream: null,
  publisher: null,
  startedAt: null,
  cohost: false, // an active co-host: the host's controls, without the camera or ending the show
};
const questions = new QuestionBoard();
const pins = new Pins({
  token: () => signIn.token,
  onChange: () => renderLineup(),
  onError: (message) => setText("#lineup-error", message),
});
// Auctions, deals and giveaways of the lineup's products (selling.js).
const selling = new SellerControls({
  token: () => signIn.token,
  onChange: () => renderLineup(),
  onError: (message) => setText("#lineup-error", message),
});
let chat = null;
let room = null;
let earningsTimer = 0;

// ---- the show and its status --------------------------------------------------------------------
function setStatus(status) {
  state.show.status = status;
  const badge = $("#status");
  badge.textContent = status === "paused" ? t("studio.paused") : t(`status.${status}`);
  badge.className = `badge ${status === "live" ? "badge-live" : status === "ended" ? "badge-ended" : ""}`;
  if (status === "live" && !state.startedAt) state.startedAt = Date.now();
  if (status === "ended") {
    stopPublishing({ notify: false }); // the server ended the broadcast already
    stopCamera();
    pins.reset([]); // nothing is on screen in an ended show
    $("#end-confirm").hidden = true;
    $("#go-live").disabled = true;
    $("#go-live").textContent = t("studio.show_ended");
  }
  updateButtons();
}

/** What the stream is doing, as this tab knows it: its own connection while it publishes; otherwise
 * the show's status (a live show is being sent from another tab or device). */
function showHealth() {
  if (state.publisher) return;
  const status = state.show?.status;
  setText(
    "#health",
    t(
      status === "live"
        ? "health.elsewhere"
        : status === "paused"
          ? "health.paused"
          : status === "ended"
            ? "health.ended"
            : "health.offline",
    ),
  );
}

function updateButtons() {
  const publishing = Boolean(state.publisher);
  $("#go-live").hidden = publishing;
  // A paused show (the stream stopped) is still on: the host resumes it or ends it (a co-host may not).
  const onAir = state.show.status === "live" || state.show.status === "paused";
  $("#end-show").hidden = state.cohost || (!publishing && !onAir);
  if ($("#end-show").hidden) $("#end-confirm").hidden = true;
  showHealth();
  if (!publishing && state.show.status !== "ended") {
    $("#go-live").disabled = !state.stream || !hasService("video");
    $("#go-live").textContent = state.show.status === "scheduled" ? t("studio.go_live") : t("studio.resume");
  }
}

function tick() {
  if (state.show?.status === "live" && state.startedAt) {
    setText("#elapsed", elapsedText((Date.now() - state.startedAt) / 1000));
  }
}

// ---- camera and WHIP ----------------------------------------------------------------------------
async function openCamera() {
  const camera = $("#camera-select").value;
  const mic = $("#mic-select").value;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: camera ? { deviceId: { exact: camera } } : { width: { ideal: 1280 }, height: { ideal: 720 } },
      audio: mic ? { deviceId: { exact: mic } } : true,
    });
    const previous = state.stream;
    state.stream = stream;
    $("#preview").srcObject = stream;
    if (state.publisher) {
      await state.publisher.replaceTrack("video", stream.getVideoTracks()[0]);
      await state.publisher.replaceTrack("audio", stream.getAudioTracks()[0]);
    }
    previous?.getTracks().forEach((track) => track.stop());
    $("#camera-error").textContent = "";
    await listDevices();
  } catch (error) {
    $("#camera-error").textContent = t("studio.camera_failed", { reason: error.message });
  }
  updateButtons();
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const fill = (select, kind, current) => {
    const options = devices
      .filter((d) => d.kind === kind)
      .map((d, i) =>
        el("option", {
          value: d.deviceId,
          text: d.label || t(kind === "videoinput" ? "studio.camera_n" : "studio.mic_n", { n: i + 1 }),
        }),
      );
    select.replaceChildren(...options);
    if (current) select.value = current;
  };
  fill($("#camera-select"), "videoinput", state.stream?.getVideoTracks()[0]?.getSettings().deviceId);
  fill($("#mic-select"), "audioinput", state.stream?.getAudioTracks()[0]?.getSettings().deviceId);
}

async function goLive() {
  if (!state.stream) return;
  $("#go-live").disabled = true;
  setText("#health", t("health.connecting"));
  const publisher = new WhipPublisher(showId, signIn.token, {
    onState: (connection) => {
      setText("#health", t(`health.${connection}`));
      if (connection === "failed") {
        announce($("#camera-error"), t("studio.stream_failed"));
      }
      if (connection === "failed" || connection === "closed") stopPublishing({ notify: false });
    },
  });
  try {
    await publisher.start(state.stream);
    state.publisher = publisher;
    setTimeout(sendPoster, FIRST_POSTER_MS);
    if (!state.startedAt) state.startedAt = Date.now();
    $("#camera-error").textContent = "";
  } catch (error) {
    showHealth();
    $("#camera-error").textContent = t("studio.go_live_failed", { reason: error.message });
  }
  updateButtons();
}

function stopPublishing(options) {
  state.publisher?.stop(options);
  state.publisher = null;
  setText("#bitrate", "");
  updateButtons();
}

/** Turn the camera and microphone off (the preview goes black). */
function stopCamera() {
  state.stream?.getTracks().forEach((track) => track.stop());
  state.stream = null;
  $("#preview").srcObject = null;
}

/** End show asks first; focus goes to the safe answer. */
function askToEnd() {
  $("#end-confirm").hidden = false;
  $("#end-no").focus();
}

function keepStreaming() {
  $("#end-confirm").hidden = true;
  $("#end-show").focus();
}

async function endShow() {
  $("#end-confirm").hidden = true;
  announce($("#notice"), t("studio.ending"), 4000);
  await pins.clear(showId); // off screen first, so no card stays on the viewers' screens
  try {
    // Ends the show for good; stopping the stream alone only pauses it.
    const show = await api("POST", `/api/shows/${encodeURIComponent(showId)}/end`, { token: signIn.token });
    stopPublishing({ notify: false }); // the server closed the publisher already
    stopCamera();
    setStatus(show.status);
  } catch (error) {
    announce($("#notice"), t("studio.end_failed", { reason: error.message }), 6000);
  }
}

/** Send a still of the camera as the show's poster (JPEG, at most 640 px wide) while publishing. */
async function sendPoster() {
  const video = $("#preview");
  if (!state.publisher || !hasService("posters") || !video.videoWidth) return;
  const width = Math.min(POSTER_WIDTH, video.videoWidth);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = Math.round((width * video.videoHeight) / video.videoWidth);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const still = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.7));
  if (!still) return;
  try {
    const response = await fetch(`/api/shows/${encodeURIComponent(showId)}/poster`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${signIn.token}`, "Content-Type": "image/jpeg" },
      body: still,
    });
    if (!response.ok) setText("#bitrate", t("studio.poster_failed", { reason: response.status }));
  } catch (error) {
    setText("#bitrate", t("studio.poster_failed", { reason: error.message }));
  }
}

async function sampleHealth() {
  if (!state.publisher) return;
  const sample = await state.publisher.sample();
  if (sample) {
    setText(
      "#bitrate",
      sample.fps
        ? t("studio.sending_fps", { kbits: Math.round(sample.bitrate / 1000), fps: Math.round(sample.fps) })
        : t("studio.sending", { kbits: Math.round(sample.bitrate / 1000) }),
    );
  }
}

// ---- lineup and pins ----------------------------------------------------------------------------
function renderLineup() {
  $("#lineup").replaceChildren(
    ...state.lineup.map((product) =>
      el(
        "li",
        { dataset: { productId: product.id } },
        el("img", { src: product.image_url || "/static/img/product.svg", alt: "", width: 40, height: 40 }),
        el(
          "span",
          { class: "grow" },
          userText("strong", product.title),
          " ",
          el("span", { class: "hint", text: formatMoney(product.price_cents, product.currency) }),
        ),
        ...pins.controls(showId, product, { disabled: !hasService("commerce") || state.show.status === "ended" }),
        el(
          "div",
          { class: "format-controls" },
          ...selling.controls(showId, product, {
            disabled: !hasService("commerce") || state.show?.status !== "live",
          }),
        ),
      ),
    ),
  );
}

// ---- earnings -----------------------------------------------------------------------------------
async function refreshEarnings() {
  if (!hasService("earnings") || state.me.role !== "host") return;
  try {
    /** @type {Earnings} */
    const earnings = await api("GET", `/api/hosts/${encodeURIComponent(state.me.id)}/earnings`, {
      token: signIn.token,
    });
    // pending = earned − reversed (commission on this show's sales, net of refunds)
    const entry = earnings.by_show.find((s) => s.show_id === showId);
    const currency = entry?.currency || earnings.currency || state.lineup[0]?.currency || "EUR";
    setText("#earnings", formatMoney(entry ? entry.pending_cents : 0, currency));
  } catch (error) {
    setText("#earnings", "—");
  }
}

function earningsSoon() {
  clearTimeout(earningsTimer);
  earningsTimer = setTimeout(refreshEarnings, 400);
}

// ---- live room: chat moderation and the question queue ------------------------------------------
/** @param {ChatMessage} message */
function moderation(message) {
  if (message.viewer_id === state.me.id) return [];
  return [
    el(
      "button",
      {
        type: "button",
        class: "btn btn-small mod",
        "aria-label": t("studio.delete_label", { name: message.name }),
        onclick: () => moderate("delete_message", { message_id: message.id }),
      },
      t("studio.delete"),
    ),
    el(
      "button",
      {
        type: "button",
        class: "btn btn-small mod",
        "aria-label": t("studio.mute_label", { name: message.name }),
        onclick: () => moderate("mute", { viewer_id: message.viewer_id, seconds: MUTE_SECONDS }),
      },
      t("studio.mute"),
    ),
  ];
}

async function moderate(event, payload) {
  /** @type {Ack} */
  const ack = await room.request(event, payload);
  if (!ack.ok) announce($("#action-error"), ack.error.message, 6000);
  else if (event === "delete_message") chat.remove(payload.message_id);
  else announce($("#action-error"), "", 0);
}

function renderQuestions() {
  const list = questions.sorted();
  $("#questions").replaceChildren(
    ...list.map((q) =>
      el(
        "li",
        { dataset: { questionId: q.id } },
        el("span", { class: "badge", text: `▲ ${q.votes}` }),
        el(
          "span",
          { class: "grow" },
          userText("span", q.text),
          " ",
          el(
            "span",
            { class: "hint" },
            "— ",
            bidi(q.name),
            q.status !== "open" ? ` · ${t(`watch.question_status_${q.status}`)}` : "",
          ),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            disabled: q.status === "featured",
            "aria-label": t("studio.feature_label", { text: q.text }),
            onclick: () => questionAction("feature", q),
          },
          t("studio.feature"),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-primary",
            disabled: q.status === "answered",
            "aria-label": t("studio.answered_label", { text: q.text }),
            onclick: () => questionAction("answer", q),
          },
          t("studio.answered"),
        ),
      ),
    ),
  );
  $("#questions-empty").hidden = list.length > 0;
}

async function questionAction(event, question) {
  /** @type {Ack} */
  const ack = await room.request(event, { question_id: question.id });
  if (!ack.ok) announce($("#action-error"), ack.error.message, 6000);
}

/** @param {JoinAck} snapshot */
function applySnapshot(snapshot) {
  setStatus(snapshot.show.status);
  if (snapshot.show.started_at) state.startedAt = Date.parse(snapshot.show.started_at);
  pins.reset(snapshot.pins);
  selling.reset(snapshot.selling);
  chat.replace(snapshot.chat);
  questions.replace(snapshot.questions);
  renderQuestions();
  setText("#viewer-count", String(snapshot.viewers));
}

function connectLive() {
  if (!hasService("live")) {
    announce($("#notice"), t("studio.no_live"));
    $("#chat-form").querySelector("button").disabled = true;
    return;
  }
  room = new LiveRoom(showId, {
    token: signIn.token,
    onSnapshot: applySnapshot,
    onState: (liveState, text) => {
      $("#notice").textContent = liveState === "connected" ? "" : text;
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
      ...pins.handlers(),
      ...selling.handlers(),
      /** @param {ViewersEvent} viewers */
      viewers: ({ count }) => setText("#viewer-count", String(count)),
      sale: earningsSoon,
      /** @param {ShowEvent} event */
      show: ({ status }) => setStatus(status),
    },
  });
  room.connect();
}

async function sendChat(event) {
  event.preventDefault();
  const input = $("#chat-input");
  const text = input.value.trim();
  if (!text || !room) return;
  /** @type {Ack} */
  const ack = await room.request("chat", { text });
  if (ack.ok) input.value = "";
  else announce($("#action-error"), ack.error.message, 6000);
}

// ---- start --------------------------------------------------------------------------------------
async function openStudio() {
  state.me = await signIn.check();
  if (!state.me) return;
  try {
    state.show = await api("GET", `/api/shows/${encodeURIComponent(showId)}`);
  } catch (error) {
    signIn.ask(error.status === 404 ? t("watch.not_found") : error.message);
    return;
  }
  let place = state.me.role === "host" ? await cohostStatus(showId, signIn.token, state.me, state.show) : "host";
  if (place === "invited") {
    $("#token-form").hidden = true;
    await offerAccept(showId, signIn.token);
    place = "active";
  }
  if (!place) {
    signIn.ask(t("studio.other_host"));
    return;
  }
  state.cohost = place === "active";
  signIn.done();
  if (hasService("connect")) await mountCohosts(showId, signIn.token, place === "host" && state.me.role === "host");
  document.title = t("studio.title", { title: isolate(state.show.title) });
  setText("#show-title", state.show.title);
  state.lineup = state.show.lineup;
  if (state.show.started_at) state.startedAt = Date.parse(state.show.started_at);
  if (!hasService("video")) announce($("#camera-error"), t("studio.no_video"));
  setStatus(state.show.status);
  renderLineup();
  chat = new ChatList($("#chat"), $("#new-messages"), { actions: moderation });
  connectLive();
  refreshEarnings();
  setInterval(refreshEarnings, EARNINGS_REFRESH_MS);
  setInterval(sendPoster, POSTER_EVERY_MS);
  setInterval(() => {
    tick();
    sampleHealth();
  }, 1000);
  if (state.cohost) {
    $("#camera-heading").closest("section").hidden = true; // the camera is the host's
  } else if (state.show.status !== "ended") {
    await openCamera();
  }
}

function main() {
  translatePage();
  $("#camera-select").addEventListener("change", openCamera);
  $("#mic-select").addEventListener("change", openCamera);
  $("#go-live").addEventListener("click", goLive);
  $("#end-show").addEventListener("click", askToEnd);
  $("#end-yes").addEventListener("click", endShow);
  $("#end-no").addEventListener("click", keepStreaming);
  $("#end-confirm").addEventListener("keydown", (event) => {
    if (event.key === "Escape") keepStreaming();
  });
  $("#chat-form").addEventListener("submit", sendChat);
  // Leaving or reloading is not "End show": the server keeps the show live for its grace period, so
  // a reloaded studio can resume; only the End show button DELETEs the broadcast.
  addEventListener("pagehide", () => state.publisher?.stop({ notify: false }));
  signIn.start(openStudio);
}

main();
