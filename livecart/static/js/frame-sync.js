// Shows timed room events (`pin`, `unpin`, …) with the video frame they belong to: an event carrying a
// `media_time` (the RTP timestamp of the frame on air when it happened, docs/media.md "Media time") is
// held until requestVideoFrameCallback reports a frame at or past it, and never longer than MAX_HOLD_MS.

export const MAX_HOLD_MS = 3000; // a frozen or stalled video must not hide a sale
const HALF_RANGE = 2 ** 31;

/** `a` is at or after `b` on the 32-bit RTP clock (wrap-aware, RFC 3550 serial arithmetic). */
export function rtpAtOrAfter(a, b) {
  return (a - b) >>> 0 < HALF_RANGE;
}

export class FrameSync {
  /** @param {HTMLVideoElement} video */
  constructor(video) {
    this.video = video;
    /** @type {{mediaTime: number, due: number, run: () => void}[]} in arrival order */
    this.queue = [];
    /** @type {number|null} rtpTimestamp of the last frame presented */
    this.frame = null;
    this.supported = typeof video.requestVideoFrameCallback === "function";
    this.watching = false;
    this.timer = 0;
  }

  watch() {
    if (this.watching || !this.supported) return;
    this.watching = true;
    const onFrame = (_now, metadata) => {
      if (typeof metadata.rtpTimestamp === "number") this.frame = metadata.rtpTimestamp;
      this.release();
      this.video.requestVideoFrameCallback(onFrame);
    };
    this.video.requestVideoFrameCallback(onFrame);
  }

  /**
   * Run `run` once the video shows the frame at `mediaTime` (null: at once).
   * @param {number|null|undefined} mediaTime
   * @param {() => void} run
   */
  hold(mediaTime, run) {
    if (mediaTime === null || mediaTime === undefined || !this.supported || !this.video.srcObject) {
      if (!this.queue.length) {
        run();
        return;
      }
      mediaTime = null; // keep the order behind what is held
    }
    this.watch();
    this.queue.push({ mediaTime: mediaTime ?? -1, due: performance.now() + MAX_HOLD_MS, run });
    this.release();
  }

  /** Forget what is held (a new snapshot of the room replaces it). */
  clear() {
    this.queue = [];
    clearTimeout(this.timer);
  }

  /** Run, in order, every held event whose frame is on screen or whose time is up. */
  release() {
    const now = performance.now();
    while (this.queue.length) {
      const head = this.queue[0];
      const reached = head.mediaTime < 0 || (this.frame !== null && rtpAtOrAfter(this.frame, head.mediaTime));
      if (!reached && now < head.due) break;
      this.queue.shift();
      head.run();
    }
    clearTimeout(this.timer);
    if (this.queue.length) this.timer = setTimeout(() => this.release(), Math.max(0, this.queue[0].due - now) + 5);
  }
}
