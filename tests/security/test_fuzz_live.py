"""Fuzzing the live room over real websockets against a real server process:

- every Socket.IO event with random msgpack payloads → an ack `{ok: true}` or `{ok: false, error: {code}}`
  with a documented code, on a connection that stays open;
- raw frames (random bytes, JSON-encoded Socket.IO packets, broken Engine.IO text, packets of the wrong
  shape) → the connection either keeps answering or is closed with 1008 and a reason;
- unicode edge cases in chat (RTL overrides, zero-width, emoji runs, combining marks; lone surrogates,
  which msgpack cannot carry as text, arrive as invalid UTF-8) → stored and sent back as the same text,
  or refused with `bad_request`.
Each test prints how many inputs it tried; afterwards the process is up and its log holds no traceback.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

import aiohttp
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import Scene
from tests.security.raw_live import CLOSED, RawLive

T = TypeVar("T")
FUZZ = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
EVENTS = [
    "join",
    "leave",
    "chat",
    "ask",
    "upvote",
    "react",
    "answer",
    "feature",
    "delete_message",
    "mute",
    "slow_mode",
    "blocked_words",
]
FIELDS = ["show_id", "token", "text", "question_id", "kind", "message_id", "viewer_id", "seconds", "words"]
ACK_CODES = {
    "bad_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "not_joined",
    "rate_limited",
    "slow_mode",
    "muted",
    "blocked_word",
    "duplicate",
    "unknown_event",
}
POLICY_VIOLATION = 1008

TRICKY = [
    "\u202e",
    "\u202d",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u2028",
    "\r\n",
    "\x00",
    "\x1b[31m",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "e\u0301\u0301\u0301",
    "<script>",
    "' OR 1=1 --",
    "%s%n",
]
text = st.lists(st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(TRICKY), max_size=5).map("".join)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | text
    | st.binary(max_size=20)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=10
)
payloads = values | st.fixed_dictionaries({}, optional={name: values for name in FIELDS})


class Loop:
    """A private event loop for synchronous hypothesis tests that talk to the server over websockets."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def run(self, coroutine: Awaitable[T]) -> T:
        return self.loop.run_until_complete(coroutine)


@pytest.fixture
def loop() -> Iterator[Loop]:
    runner = Loop()
    yield runner
    runner.loop.run_until_complete(runner.loop.shutdown_asyncgens())
    runner.loop.close()


@pytest.fixture
def session(loop: Loop) -> Iterator[aiohttp.ClientSession]:
    async def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    opened = loop.run(open_session())
    yield opened
    loop.run(opened.close())


def joined(loop: Loop, session: aiohttp.ClientSession, scene: Scene, role: str = "viewer") -> RawLive:
    live = loop.run(RawLive(session, scene.server.url).connect())
    ack = loop.run(live.emit("join", {"show_id": scene.ids["show"], "token": scene.tokens[role]}))
    assert ack["ok"], ack
    return live


def check_ack(ack: Any) -> None:
    assert ack != CLOSED, "a well-formed packet must not close the connection"
    assert isinstance(ack, dict), ack
    assert isinstance(ack["ok"], bool), ack
    if not ack["ok"]:
        assert ack["error"]["code"] in ACK_CODES, ack


def test_every_event_acks_random_payloads(scene: Scene, loop: Loop, session: aiohttp.ClientSession) -> None:
    lives = {role: joined(loop, session, scene, role) for role in ("viewer", "host")}
    codes: dict[str, int] = {}
    tried = 0

    @FUZZ
    @given(st.sampled_from(EVENTS), st.sampled_from(["viewer", "host"]), st.lists(payloads, min_size=0, max_size=2))
    def one(event: str, role: str, args: list[Any]) -> None:
        nonlocal tried
        if event == "join":
            args = args[:1]  # joining another show is fine; the room checks below need these two joined
        ack = loop.run(lives[role].emit(event, *args))
        tried += 1
        check_ack(ack)
        code = "ok" if ack["ok"] else ack["error"]["code"]
        codes[code] = codes.get(code, 0) + 1
        if event in ("join", "leave"):
            rejoin = loop.run(lives[role].emit("join", {"show_id": scene.ids["show"], "token": scene.tokens[role]}))
            assert rejoin["ok"], rejoin

    one()
    print(f"\nSocket.IO event fuzz: {tried} events tried; acks {dict(sorted(codes.items()))}")
    assert tried >= 300
    assert codes.get("ok", 0) > 0
    assert codes.get("bad_request", 0) > 0
    for live in lives.values():
        loop.run(live.close())
    scene.assert_healthy()


def socketio_packets() -> st.SearchStrategy[Any]:
    """Decoded Socket.IO packets of every shape, mostly wrong."""
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.integers(-2, 8) | values,
            "nsp": st.sampled_from(["/", "/admin", ""]) | values,
            "data": st.lists(values, max_size=3) | values,
            "id": st.integers(-(2**63), 2**64 - 1) | values,
        },
    )


def as_json(value: Any) -> str:
    return json.dumps(value, allow_nan=True, default=repr)


raw_frames = st.one_of(
    st.binary(max_size=64),  # random bytes as a binary frame
    socketio_packets().map(lambda p: msgpack.packb(p)),  # msgpack, any shape
    socketio_packets().map(lambda p: "4" + as_json(p)),  # JSON-encoded Socket.IO in a text frame
    st.builds(lambda e, p: f'42["{e}",{as_json(p)}]', st.sampled_from(EVENTS), values),
    text,  # any Engine.IO text frame, mostly broken
    st.sampled_from(["", "4", "6", "5", "b", "bAAAA", "1", "2probe", "4" + "[" * 5000, "4" + "1" * 5000]),
    st.sampled_from([b"\xc1", b"\xdc\xff\xff", b"\xa3\xed\xa0\x80", msgpack.packb([2, "/", ["chat"]])]),
)


def test_raw_frames_get_an_answer_or_a_close_with_a_reason(
    scene: Scene, loop: Loop, session: aiohttp.ClientSession
) -> None:
    state = {"live": joined(loop, session, scene)}
    outcomes = {"still answering": 0, "closed 1008": 0}
    tried = 0

    @FUZZ
    @given(raw_frames)
    def one(frame: bytes | str) -> None:
        nonlocal tried
        live = state["live"]
        loop.run(live.send(frame))
        tried += 1
        if loop.run(live.alive()):
            outcomes["still answering"] += 1
            return
        if isinstance(frame, str) and frame[:1] == "1":  # Engine.IO "close": the client asked for it
            outcomes["closed on request"] = outcomes.get("closed on request", 0) + 1
            state["live"] = joined(loop, session, scene)
            return
        assert live.close_code == POLICY_VIOLATION, (frame, live.close_code, live.close_reason)
        assert live.close_reason, frame
        outcomes["closed 1008"] += 1
        state["live"] = joined(loop, session, scene)

    one()
    print(f"\nraw frame fuzz: {tried} frames tried; {outcomes}")
    assert tried >= 300
    assert outcomes["closed 1008"] > 0
    loop.run(state["live"].close())
    scene.assert_healthy()


UNICODE_CASES = {
    "RTL override": "price \u202e001$ \u202c is great",
    "isolates": "\u2067مرحبا\u2069 hello",
    "zero-width run": "a\u200b\u200c\u200d\ufeffb",
    "zero-width only": "\u200b\u200b\u200b",
    "emoji run (500 code points)": "🔥" * 500,
    "emoji run (501 code points)": "🔥" * 501,
    "ZWJ families": "👩‍👩‍👧‍👦" * 60,
    "combining marks": "Z" + "\u0336\u0337" * 240,
    "line separators": "one\u2028two\u2029three",
    "CRLF and NUL": "a\r\nb\x00c",
    "BOM and NBSP": "\ufeff\u00a0hello\u00a0",
    "astral plane": "𝕳𝖊𝖑𝖑𝖔 𓀀",
}


def test_unicode_edge_cases_in_chat(scene: Scene, loop: Loop, session: aiohttp.ClientSession) -> None:
    live = joined(loop, session, scene, "viewer2")
    tried = 0
    for name, sample in UNICODE_CASES.items():
        ack = loop.run(live.emit("chat", {"text": sample}))
        tried += 1
        check_ack(ack)
        if ack["ok"]:
            sent = ack["message"]["text"]
            assert sent.strip(), name
            assert len(sent) <= 500, name
            assert not any(ch in sent for ch in "\x00\r"), name  # control characters removed (newlines kept)
        else:
            assert ack["error"]["code"] == "bad_request", (name, ack)
    # a lone surrogate cannot be msgpack text: a client can only send it as invalid UTF-8, which closes
    for raw in (b"\xed\xa0\x80", b"\xed\xbf\xbf", b"a\xffb"):
        packet = msgpack.packb({"type": 2, "nsp": "/", "data": ["chat", {"text": "x"}], "id": 99})
        forged = packet.replace(b"\xa1x", bytes([0xA0 | len(raw)]) + raw)
        loop.run(live.send(forged))
        tried += 1
        assert loop.run(live.ack(99)) == CLOSED
        assert live.close_code == POLICY_VIOLATION
        live = joined(loop, session, scene, "viewer2")
    print(f"\nunicode chat: {tried} inputs tried")
    loop.run(live.close())
    scene.assert_healthy()
