// The chat list: messages are queued and drawn once per animation frame; it follows new messages
// only while the reader is at the bottom, and offers a "new messages" button otherwise.
import { el, userText } from "./dom.js";

const MAX_MESSAGES = 200;
const AT_BOTTOM_PX = 40;

export class ChatList {
  /**
   * @param {HTMLElement} list the <ul>
   * @param {HTMLButtonElement} jumpButton shown when new messages arrive while scrolled up
   * @param {{actions?: (message) => Node[]}} options extra controls per message (moderation)
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

  /** Queue messages ({id, viewer_id, name, text, at}); they are drawn on the next frame. */
  add(messages) {
    for (const message of messages) {
      if (!message || this.seen.has(message.id)) continue;
      this.seen.add(message.id);
      this.queue.push(message);
    }
    if (!this.frame && this.queue.length) this.frame = requestAnimationFrame(() => this.flush());
  }

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
      this.seen.delete(this.list.firstElementChild.dataset.id);
      this.list.firstElementChild.remove();
    }
    if (follow) this.scrollToEnd();
    else this.jump.hidden = false;
  }

  render(message) {
    return el(
      "li",
      { dataset: { id: message.id, viewerId: message.viewer_id || "" } },
      userText("span", message.name || "someone", { class: "who" }),
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
    this.byId = new Map();
  }

  update(questions) {
    for (const q of questions) if (q && q.id) this.byId.set(q.id, { ...this.byId.get(q.id), ...q });
  }

  replace(questions) {
    this.byId.clear();
    this.update(questions);
  }

  sorted() {
    const rank = { featured: 0, open: 1, answered: 2 };
    return [...this.byId.values()].sort(
      (a, b) => (rank[a.status] ?? 1) - (rank[b.status] ?? 1) || (b.votes || 0) - (a.votes || 0),
    );
  }

  featured() {
    return [...this.byId.values()].find((q) => q.status === "featured") || null;
  }
}
