// WHIP (publish, RFC 9725) and WHEP (watch) over fetch: one SDP offer POSTed, the answer in the body,
// the session's URL in Location (DELETE it to stop), ICE servers in Link rel="ice-server" headers.

import { t } from "./i18n.js";

const ICE_GATHER_MS = 2500;

/** Parse `Link: <stun:…>; rel="ice-server"; username="u"; credential="c"` headers. */
export function iceServersFromLinks(header) {
  if (!header) return [];
  const servers = [];
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = part.match(/<([^>]+)>(.*)/);
    if (!match || !/rel="?ice-server"?/.test(match[2])) continue;
    const server = { urls: match[1] };
    const user = match[2].match(/username="([^"]*)"/);
    const cred = match[2].match(/credential="([^"]*)"/);
    if (user) server.username = user[1];
    if (cred) server.credential = cred[1];
    servers.push(server);
  }
  return servers;
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((/** @type {(value?: void) => void} */ resolve) => {
    function check() {
      if (pc.iceGatheringState === "complete") done();
    }
    function done() {
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    }
    pc.addEventListener("icegatheringstatechange", check);
    setTimeout(done, ICE_GATHER_MS);
  });
}

export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** POST the offer, apply the answer; returns the session URL to DELETE. */
async function negotiate(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp });
  const text = await response.text();
  if (response.status !== 201 && response.status !== 200) {
    let message = `${response.status}`;
    try {
      message = JSON.parse(text).error.message || message;
    } catch {
      /* SDP endpoints may answer text */
    }
    throw new HttpError(response.status, message);
  }
  const ice = iceServersFromLinks(response.headers.get("Link"));
  if (ice.length) pc.setConfiguration({ ...pc.getConfiguration(), iceServers: ice });
  await pc.setRemoteDescription({ type: "answer", sdp: text });
  const location = response.headers.get("Location");
  return location ? new URL(location, response.url).href : null;
}

/** DELETE the session (only while its connection is up: a failed one is already gone on the
 * server), then close the peer connection. */
function endSession(pc, sessionUrl, token, { notify = true } = {}) {
  const alive = pc && ["new", "connecting", "connected"].includes(pc.connectionState);
  if (!sessionUrl || !alive || !notify) {
    pc?.close();
    return;
  }
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  fetch(sessionUrl, { method: "DELETE", headers, keepalive: true })
    .catch(() => {})
    .finally(() => pc.close());
}

/** Publish a MediaStream to /whip/{showId}. */
export class WhipPublisher {
  /**
   * @param {string} showId
   * @param {string|null} token the host's
   * @param {{onState?: (connectionState: string) => void}} [options]
   */
  constructor(showId, token, { onState } = {}) {
    this.url = `/whip/${encodeURIComponent(showId)}`;
    this.token = token;
    this.onState = onState || (() => {});
    this.pc = null;
    this.session = null;
  }

  async start(stream) {
    this.pc = new RTCPeerConnection();
    for (const track of stream.getTracks()) this.pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    this.pc.addEventListener("connectionstatechange", () => this.onState(this.pc?.connectionState || "closed"));
    try {
      this.session = await negotiate(this.pc, this.url, this.token);
    } catch (error) {
      this.pc.close();
      this.pc = null;
      throw error;
    }
  }

  /** Swap the camera or microphone without renegotiating. */
  async replaceTrack(kind, track) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === kind);
    if (sender) await sender.replaceTrack(track);
  }

  /** Bits per second sent for video since the last call, and the raw outbound stats. */
  async sample() {
    if (!this.pc) return null;
    const stats = await this.pc.getStats();
    let bytes = 0;
    let frames = 0;
    let now = 0;
    stats.forEach((report) => {
      if (report.type === "outbound-rtp" && report.kind === "video") {
        bytes += report.bytesSent || 0;
        frames = report.framesPerSecond || frames;
        now = report.timestamp;
      }
    });
    const previous = this.lastSample;
    this.lastSample = { bytes, now };
    const bitrate = previous && now > previous.now ? ((bytes - previous.bytes) * 8 * 1000) / (now - previous.now) : 0;
    return { bitrate, fps: frames };
  }

  /** End the broadcast (DELETE). With {notify: false} only close: the server already ended it. */
  stop({ notify = true } = {}) {
    endSession(this.pc, this.session, this.token, { notify });
    this.session = null;
    this.pc = null;
    this.lastSample = null;
  }
}

/**
 * Watch /whep/{showId} in a <video>, reconnecting by itself (backoff up to 15 s) until stop().
 * onState(state, message): "connecting" | "playing" | "reconnecting" | "not_live" | "stopped".
 */
export class WhepPlayer {
  /**
   * @param {string} showId
   * @param {HTMLVideoElement} video
   * @param {{token?: string, onState?: (state: string, message: string) => void}} [options]
   */
  constructor(showId, video, { token, onState } = {}) {
    this.url = `/whep/${encodeURIComponent(showId)}`;
    this.video = video;
    this.token = token;
    this.onState = onState || (() => {});
    this.pc = null;
    this.session = null;
    this.running = false;
    this.attempt = 0;
    this.retryTimer = null;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.connect();
  }

  async connect() {
    this.teardown();
    if (!this.running) return;
    this.onState(
      this.attempt ? "reconnecting" : "connecting",
      this.attempt ? t("video.interrupted") : t("video.connecting"),
    );
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
      this.video.play().catch(() => {});
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") {
        this.attempt = 0;
        this.onState("playing", "");
      } else if (pc.connectionState === "failed" || pc.connectionState === "disconnected") {
        this.retry();
      }
    });
    try {
      this.session = await negotiate(pc, this.url, this.token);
    } catch (error) {
      if (pc !== this.pc) return;
      if (error instanceof HttpError && (error.status === 409 || error.status === 404)) {
        this.teardown();
        this.running = false;
        this.onState("not_live", "");
        return;
      }
      this.retry();
    }
  }

  retry() {
    if (!this.running || this.retryTimer) return;
    this.attempt += 1;
    const delay = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 5));
    this.onState("reconnecting", t("video.interrupted"));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  teardown(options) {
    endSession(this.pc, this.session, this.token, options);
    this.session = null;
    this.pc = null;
  }

  /** Leave (DELETE). With {notify: false} only close: the show ended and the server closed it. */
  stop(options) {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.teardown(options);
    this.onState("stopped", "");
  }
}
