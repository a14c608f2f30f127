"""Chat rules, pure: message text, per-viewer rate limit, slow mode, blocked words, mutes, duplicates.

Nothing here does I/O or reads a clock: every decision takes `now` (seconds, monotonic or epoch, as
long as the caller is consistent). The live room calls `ChatRules.admit` before a message is stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from livecart.domain.errors import BadRequest, LivecartError, RateLimited
from livecart.domain.live import ChatSettings

MAX_TEXT_CHARS = 500
DUPLICATE_WINDOW_S = 30.0  # the same text from the same viewer within this window is refused
MAX_MUTE_S = 7 * 24 * 3600


class Muted(LivecartError):
    code = "muted"


class SlowMode(LivecartError):
    code = "slow_mode"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retry_after=round(retry_after, 3))
        self.retry_after = retry_after


class BlockedWord(LivecartError):
    code = "blocked_word"


class Duplicate(LivecartError):
    code = "duplicate"


def clean_text(text: object, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The message text trimmed; 1–`max_chars` characters, no control characters except newlines."""
    if not isinstance(text, str):
        raise BadRequest("text must be a string", fields={"text": "must be a string"})
    cleaned = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc").strip()
    if not cleaned:
        raise BadRequest("text is empty", fields={"text": f"must have 1 to {max_chars} characters"})
    if len(cleaned) > max_chars:
        raise BadRequest(
            f"text is longer than {max_chars} characters",
            fields={"text": f"must have 1 to {max_chars} characters"},
        )
    return cleaned


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled continuously at `capacity / per_seconds` tokens a second."""

    capacity: int
    per_seconds: float
    tokens: float = -1.0
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.capacity)

    def _refill(self, now: float) -> None:
        rate = self.capacity / self.per_seconds
        self.tokens = min(float(self.capacity), self.tokens + max(0.0, now - self.updated) * rate)
        self.updated = now

    def retry_after(self, now: float) -> float:
        """Seconds until one token is available (0 when one is now); takes nothing."""
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) * self.per_seconds / self.capacity

    def take(self, now: float) -> float:
        """Take one token: returns 0 when taken, else the seconds to wait (nothing taken)."""
        wait = self.retry_after(now)
        if wait == 0.0:
            self.tokens -= 1.0
        return wait

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity


def compile_blocked(words: Iterable[str]) -> re.Pattern[str] | None:
    """A case-insensitive whole-word pattern for the blocked words (None when there are none)."""
    cleaned = sorted({w.strip().casefold() for w in words if w.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in cleaned) + r")(?!\w)", re.IGNORECASE)


@dataclass
class _Sender:
    bucket: TokenBucket
    last_at: float | None = None
    recent: dict[str, float] = field(default_factory=dict)  # folded text -> when sent


@dataclass
class ChatRules:
    """Per-show admission rules. Mutes are held by the store (they must hold on every node) and
    passed in as `muted_until`."""

    rate_messages: int = 5
    rate_seconds: float = 10.0
    slow_mode_s: float = 0.0
    blocked: re.Pattern[str] | None = None
    duplicate_window_s: float = DUPLICATE_WINDOW_S
    settings: ChatSettings = field(default_factory=ChatSettings)
    _senders: dict[str, _Sender] = field(default_factory=dict)

    def apply(self, settings: ChatSettings) -> None:
        """Take the show's current settings (blocked words are compiled only when they changed)."""
        if settings.blocked_words != self.settings.blocked_words:
            self.set_blocked_words(settings.blocked_words)
        self.set_slow_mode(settings.slow_mode_s)
        self.settings = settings

    def set_blocked_words(self, words: Iterable[str]) -> None:
        self.blocked = compile_blocked(words)

    def set_slow_mode(self, seconds: float) -> None:
        if not 0 <= seconds <= 3600:
            raise BadRequest("slow mode must be 0 to 3600 seconds", fields={"seconds": "must be 0 to 3600"})
        self.slow_mode_s = float(seconds)

    def admit(self, viewer_id: str, text: object, now: float, muted_until: float | None = None) -> str:
        """The cleaned text when this viewer may send it now; raises the reason otherwise.

        Checks run in the order a viewer can act on: text, mute, blocked words, duplicate, slow mode,
        rate. Only an admitted message uses up a token.
        """
        cleaned = clean_text(text)
        if muted_until is not None and muted_until > now:
            raise Muted("you are muted in this show", seconds_left=round(muted_until - now, 3))
        if self.blocked is not None and self.blocked.search(cleaned):
            raise BlockedWord("the message contains a word that is not allowed here")
        sender = self._sender(viewer_id)
        folded = " ".join(cleaned.casefold().split())
        sent_at = sender.recent.get(folded)
        if sent_at is not None and now - sent_at < self.duplicate_window_s:
            raise Duplicate(
                "you already sent this message", retry_after=round(sent_at + self.duplicate_window_s - now, 3)
            )
        if self.slow_mode_s and sender.last_at is not None and now - sender.last_at < self.slow_mode_s:
            raise SlowMode("slow mode is on", retry_after=sender.last_at + self.slow_mode_s - now)
        wait = sender.bucket.take(now)
        if wait:
            raise RateLimited("too many messages", retry_after=wait)
        sender.last_at = now
        sender.recent = {t: at for t, at in sender.recent.items() if now - at < self.duplicate_window_s}
        sender.recent[folded] = now
        return cleaned

    def forget_idle(self, now: float) -> None:
        """Drop state of senders who could send again as if new (keeps memory bounded)."""
        idle = [
            viewer_id
            for viewer_id, sender in self._senders.items()
            if sender.bucket.full(now)
            and (sender.last_at is None or now - sender.last_at >= max(self.slow_mode_s, self.duplicate_window_s))
        ]
        for viewer_id in idle:
            del self._senders[viewer_id]

    @property
    def active_senders(self) -> int:
        return len(self._senders)

    def _sender(self, viewer_id: str) -> _Sender:
        sender = self._senders.get(viewer_id)
        if sender is None:
            sender = _Sender(TokenBucket(self.rate_messages, self.rate_seconds))
            self._senders[viewer_id] = sender
        return sender


def mute_seconds(value: object) -> int:
    """A mute length: a whole number of seconds, 1 second to a week."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MUTE_S:
        raise BadRequest(
            f"seconds must be a whole number from 1 to {MAX_MUTE_S}",
            fields={"seconds": f"must be 1 to {MAX_MUTE_S}"},
        )
    return value
