// The chat list: messages are queued and drawn once per animation frame; it follows new messages
// only while the reader is at the bottom, and offers a "new messages" button otherwise.
import { el, userText } from "./dom.js";

/**
 * @typedef {import("./protocol.js").ChatMessage} ChatMessage
 * @typedef {import("./protocol.js").Question} Question
 */

const MAX_MESSAGES = 200;
const AT_BOTTOM_PX = 40;

export class ChatList {
  /**
   * @param {HTMLElement} list the <ul>
   * @param {HTMLButtonElement} jumpButton shown when new messages arrive while scrolled up
   * @param {{actions?: (message: ChatMessage) => Node[]}} options extra controls per message (moderation)
   */
  constructor(list, jumpButton, { actions } = {}) {
    this.list = list;
    this.jump = jumpButton;
    this.actions = actions;
    this.queue = [];
    this.frame = 0;
    this.follow = true;
    this.seen = new Set();
    list.addEventListener("scroll", () => {
      this.follow = this.atBottom();
      if (this.follow) this.jump.hidden = true;
    });
    jumpButton.addEventListener("click", () => this.scrollToEnd());
    jumpButton.hidden = true;
  }

  atBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < AT_BOTTOM_PX;
  }

  /** Queue messages; they are drawn on the next frame.
   * @param {ChatMessage[]} messages */
  add(messages) {
    for (const message of messages) {
      if (this.seen.has(message.id)) continue;
      this.seen.add(message.id);
      this.queue.push(message);
    }
    if (!this.frame && this.queue.length) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** @param {ChatMessage[]} messages */
  replace(messages) {
    this.list.replaceChildren();
    this.seen.clear();
    this.queue = [];
    this.add(messages);
  }

  flush() {
    this.frame = 0;
    const follow = this.follow || this.atBottom();
    const fragment = document.createDocumentFragment();
    for (const message of this.queue.splice(0)) fragment.append(this.render(message));
    this.list.append(fragment);
    while (this.list.children.length > MAX_MESSAGES) {
      this.seen.delete(/** @type {HTMLElement} */ (this.list.firstElementChild).dataset.id);
      this.list.firstElementChild.remove();
    }
    if (follow) this.scrollToEnd();
    else this.jump.hidden = false;
  }

  /** @param {ChatMessage} message */
  render(message) {
    return el(
      "li",
      { dataset: { id: message.id, viewerId: message.viewer_id } },
      userText("span", message.name, { class: "who" }),
      userText("span", message.text, { class: "text" }),
      this.actions ? this.actions(message) : null,
    );
  }

  remove(messageId) {
    for (const item of this.list.querySelectorAll("li")) {
      if (item.dataset.id === messageId) item.remove();
    }
    this.queue = this.queue.filter((m) => m.id !== messageId);
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.follow = true;
    this.jump.hidden = true;
  }
}

/** Keep questions by id and list them most-voted first (open before answered). */
export class QuestionBoard {
  constructor() {
    /** @type {Map<string, Question>} */
    this.byId = new Map();
  }

  /** @param {Question[]} questions new or changed (each one whole) */
  update(questions) {
    for (const q of questions) this.byId.set(q.id, q);
  }

  /** @param {Question[]} questions */
  replace(questions) {
    this.byId.clear();
    this.update(questions);
  }

  sorted() {
    const rank = { featured: 0, open: 1, answered: 2 };
    return [...this.byId.values()].sort((a, b) => rank[a.status] - rank[b.status] || b.votes - a.votes);
  }

  featured() {
    return [...this.byId.values()].find((q) => q.status === "featured") || null;
  }
}
