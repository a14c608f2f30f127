// The live room over Socket.IO (path /socket.io/, websocket only, msgpack parser built into the
// /vendor bundle). Joins on every (re)connect and hands the snapshot to onSnapshot again.

import { t } from "./i18n.js";

const ACK_TIMEOUT_MS = 8000;

/**
 * @typedef {import("./protocol.js").Ack} Ack
 * @typedef {import("./protocol.js").JoinAck} JoinAck
 */

export class LiveRoom {
  /**
   * @param {string} showId
   * @param {{token?: string, onSnapshot: (snapshot: JoinAck) => void, onState: Function, onJoinError?: Function,
   *   handlers: Object<string, Function>}} options handlers: one per room event (protocol.js RoomEvents)
   */
  constructor(showId, { token, onSnapshot, onState, onJoinError, handlers }) {
    this.showId = showId;
    this.onJoinError = onJoinError || (() => {});
    this.token = token;
    this.onSnapshot = onSnapshot;
    this.onState = onState || (() => {});
    this.handlers = handlers || {};
    this.socket = null;
    this.joined = false;
  }

  connect() {
    const io = /** @type {any} */ (window).io; // from /vendor/socket.io.msgpack.min.js
    if (typeof io !== "function") {
      this.onState("unavailable", t("live.unavailable"));
      return;
    }
    this.socket = io({ path: "/socket.io/", transports: ["websocket"], reconnectionDelayMax: 8000 });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", (reason) => {
      this.joined = false;
      if (reason !== "io client disconnect") this.onState("reconnecting", t("live.reconnecting"));
    });
    this.socket.on("connect_error", () => this.onState("reconnecting", t("live.retrying")));
    for (const [event, handler] of Object.entries(this.handlers)) this.socket.on(event, handler);
  }

  async join() {
    /** @type {JoinAck|Ack} */
    const ack = await this.request("join", { show_id: this.showId, ...(this.token ? { token: this.token } : {}) });
    if (ack.ok) {
      this.joined = true;
      this.onState("connected", "");
      this.onSnapshot(/** @type {JoinAck} */ (ack));
    } else {
      this.onState("error", ack.error.message);
      this.onJoinError(ack.error);
    }
  }

  /** Re-join with another token (after the viewer picked a name). */
  async rejoin(token) {
    this.token = token;
    if (this.socket?.connected) await this.join();
  }

  /** Emit an event and resolve with its ack ({ok: true, ...} or {ok: false, error}); never rejects.
   * @returns {Promise<Ack>} */
  request(event, payload) {
    return new Promise((resolve) => {
      if (!this.socket?.connected) {
        resolve({ ok: false, error: { code: "offline", message: t("live.not_connected") } });
        return;
      }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
        if (err) {
          resolve({ ok: false, error: { code: "timeout", message: t("live.timeout") } });
        } else if (!ack || typeof ack !== "object") {
          resolve({ ok: false, error: { code: "bad_ack", message: t("live.bad_ack") } });
        } else {
          resolve(ack);
        }
      });
    });
  }

  close() {
    this.socket?.disconnect();
  }
}
