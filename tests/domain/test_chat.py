"""Chat rules, pure: text, rate limit, slow mode, blocked words, mutes, duplicates."""

from __future__ import annotations

import pytest

from livecart.domain.chat import (
    BlockedWord,
    ChatRules,
    Duplicate,
    Muted,
    SlowMode,
    TokenBucket,
    clean_text,
    compile_blocked,
    mute_seconds,
)
from livecart.domain.errors import BadRequest, RateLimited
from livecart.domain.live import ChatSettings


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("hi", "hi"),
        ("  hi  ", "hi"),
        ("a\u0007b", "ab"),
        ("line\nbreak", "line\nbreak"),
        ("é" * 500, "é" * 500),
    ],
)
def test_text_is_trimmed_and_kept(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize("raw", ["", "   ", "\u0000\u0001", "x" * 501, None, 42, ["hi"]])
def test_text_must_have_1_to_500_characters(raw: object) -> None:
    with pytest.raises(BadRequest) as error:
        clean_text(raw)
    assert error.value.details["fields"]["text"]


def test_a_bucket_allows_a_burst_then_refills_steadily() -> None:
    bucket = TokenBucket(capacity=5, per_seconds=10)
    assert [bucket.take(100.0) for _ in range(5)] == [0.0] * 5
    assert bucket.take(100.0) == pytest.approx(2.0)
    assert bucket.take(101.0) == pytest.approx(1.0)
    assert bucket.take(102.0) == 0.0
    assert bucket.take(102.0) == pytest.approx(2.0)
    assert bucket.full(200.0)


def test_rate_limit_is_per_viewer_and_tunable() -> None:
    rules = ChatRules(rate_messages=2, rate_seconds=4)
    rules.admit("a", "one", now=0)
    rules.admit("a", "two", now=0)
    with pytest.raises(RateLimited) as error:
        rules.admit("a", "three", now=0)
    assert error.value.retry_after == pytest.approx(2.0)
    assert rules.admit("b", "three", now=0) == "three"
    assert rules.admit("a", "three", now=2.0) == "three"


def test_a_refused_message_does_not_use_a_token() -> None:
    rules = ChatRules(rate_messages=1, rate_seconds=10)
    with pytest.raises(BadRequest):
        rules.admit("a", "   ", now=0)
    assert rules.admit("a", "ok", now=0) == "ok"


def test_slow_mode_spaces_each_viewers_messages() -> None:
    rules = ChatRules(rate_messages=100, rate_seconds=1)
    rules.set_slow_mode(30)
    rules.admit("a", "first", now=0)
    with pytest.raises(SlowMode) as error:
        rules.admit("a", "second", now=10)
    assert error.value.details["retry_after"] == pytest.approx(20)
    assert rules.admit("b", "other viewer", now=10) == "other viewer"
    assert rules.admit("a", "second", now=30) == "second"
    with pytest.raises(BadRequest):
        rules.set_slow_mode(-1)


def test_blocked_words_match_whole_words_ignoring_case() -> None:
    rules = ChatRules()
    rules.set_blocked_words(["scam", "Free Money", " "])
    with pytest.raises(BlockedWord):
        rules.admit("a", "this is a SCAM!", now=0)
    with pytest.raises(BlockedWord):
        rules.admit("a", "get free money now", now=0)
    assert rules.admit("a", "scampi is tasty", now=0) == "scampi is tasty"
    assert compile_blocked(["", "  "]) is None
    rules.set_blocked_words([])
    assert rules.admit("a", "scam", now=1) == "scam"


def test_a_muted_viewer_is_refused_until_the_mute_ends() -> None:
    rules = ChatRules()
    with pytest.raises(Muted) as error:
        rules.admit("a", "hello", now=100, muted_until=160)
    assert error.value.details["seconds_left"] == pytest.approx(60)
    assert rules.admit("a", "hello", now=160, muted_until=160) == "hello"


def test_the_same_text_twice_in_a_row_is_a_duplicate() -> None:
    rules = ChatRules(rate_messages=100, rate_seconds=1)
    rules.admit("a", "Buy  NOW", now=0)
    with pytest.raises(Duplicate):
        rules.admit("a", "buy now", now=5)
    assert rules.admit("b", "buy now", now=5) == "buy now"
    assert rules.admit("a", "buy now", now=31) == "buy now"


def test_idle_senders_are_forgotten() -> None:
    rules = ChatRules(rate_messages=5, rate_seconds=10)
    rules.admit("a", "hi", now=0)
    rules.forget_idle(now=5)
    assert rules.active_senders == 1
    rules.forget_idle(now=100)
    assert rules.active_senders == 0


@pytest.mark.parametrize("value", [0, -5, 8 * 24 * 3600, 1.5, "60", True, None])
def test_mute_lengths_are_whole_seconds_up_to_a_week(value: object) -> None:
    with pytest.raises(BadRequest):
        mute_seconds(value)


def test_a_valid_mute_length() -> None:
    assert mute_seconds(600) == 600


def test_rules_take_a_shows_settings() -> None:
    rules = ChatRules(rate_messages=100, rate_seconds=1)
    rules.apply(ChatSettings(slow_mode_s=10, blocked_words=("scam",)))
    with pytest.raises(BlockedWord):
        rules.admit("a", "scam", now=0)
    rules.admit("a", "hello", now=0)
    with pytest.raises(SlowMode):
        rules.admit("a", "again", now=5)
    rules.apply(ChatSettings())
    assert rules.admit("a", "scam again", now=6) == "scam again"
