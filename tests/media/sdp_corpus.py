"""Broken SDP offers of the kinds met in the wild (truncated by proxies, LF-only line endings, missing or
garbled ICE/DTLS attributes, odd payload types, stray bytes), made from a real browser-like offer, and
seeded random line-level mutations of it."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator

Mutation = Callable[[str], str | bytes]


def _lines(sdp: str) -> list[str]:
    return [line for line in sdp.split("\r\n") if line]


def _join(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def _without(prefix: str) -> Mutation:
    return lambda sdp: _join([line for line in _lines(sdp) if not line.startswith(prefix)])


def _replace(pattern: str, replacement: str) -> Mutation:
    return lambda sdp: re.sub(pattern, replacement, sdp, flags=re.M)


def _append_to_media(line: str) -> Mutation:
    return lambda sdp: sdp.replace("\r\nm=", f"\r\n{line}\r\nm=", 1) if "\r\nm=" in sdp else sdp + line + "\r\n"


CORPUS: dict[str, Mutation] = {
    "empty body": lambda sdp: "",
    "whitespace only": lambda sdp: " \r\n\t",
    "not SDP at all": lambda sdp: '{"sdp": "v=0"}',
    "byte-order mark first": lambda sdp: "\ufeff" + sdp,
    "truncated at 60%": lambda sdp: sdp[: len(sdp) * 6 // 10],
    "truncated mid-line": lambda sdp: sdp[: sdp.index("a=fingerprint") + 20],
    "LF-only line endings": lambda sdp: sdp.replace("\r\n", "\n"),
    "CR-only line endings": lambda sdp: sdp.replace("\r\n", "\r"),
    "no ice-ufrag": _without("a=ice-ufrag"),
    "no ice-pwd": _without("a=ice-pwd"),
    "no fingerprint": _without("a=fingerprint"),
    "fingerprint without a value": _replace(r"^a=fingerprint:.*$", "a=fingerprint:"),
    "fingerprint with an unknown hash": _replace(r"^a=fingerprint:\S+ ", "a=fingerprint:md5 "),
    "fingerprint not hex": _replace(r"^a=fingerprint:(\S+) .*$", r"a=fingerprint:\1 zz:zz:zz"),
    "setup:bogus": _replace(r"^a=setup:.*$", "a=setup:bogus"),
    "rtpmap without clock rate": _replace(r"^a=rtpmap:(\d+) (\w+)/\d+.*$", r"a=rtpmap:\1 \2"),
    "rtpmap with a word for payload type": _replace(r"^a=rtpmap:\d+ ", "a=rtpmap:abc "),
    "rtpmap with payload type 300": _replace(r"^a=rtpmap:\d+ ", "a=rtpmap:300 "),
    "fmtp without parameters": _replace(r"^a=fmtp:(\d+) .*$", r"a=fmtp:\1"),
    "fmtp with garbage profile-level-id": _replace(r"profile-level-id=\w+", "profile-level-id=zzzzzz"),
    "rtcp-fb without a type": _replace(r"^a=rtcp-fb:(\S+) .*$", r"a=rtcp-fb:\1"),
    "m-line port is a word": _replace(r"^m=(\w+) \d+ ", r"m=\1 abc "),
    "m-line port/count": _replace(r"^m=(\w+) \d+ ", r"m=\1 9/2 "),
    "m-line without formats": _replace(r"^(m=\w+ \d+ \S+) .*$", r"\1"),
    "m-line formats not in rtpmap": _replace(r"^(m=\w+ \d+ \S+) .*$", r"\1 127"),
    "m-line of an unknown kind": _replace(r"^m=video", "m=hologram"),
    "only a data channel": lambda sdp: _join(
        [
            *_lines(sdp)[:4],
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 0.0.0.0",
            "a=mid:0",
            "a=ice-ufrag:abcd",
            "a=ice-pwd:abcdefghijklmnopqrstuvwx",
            "a=setup:actpass",
            "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        ]
    ),
    "candidate missing fields": _append_to_media("a=candidate:1"),
    "candidate with a word for priority": _append_to_media("a=candidate:1 1 udp notanumber 10.0.0.1 9 typ host"),
    "candidate with a bad address": _append_to_media("a=candidate:1 1 udp 2130706431 999.1.1.1 9 typ host"),
    "candidate of an unknown transport": _append_to_media("a=candidate:1 1 sctp 1 10.0.0.1 9 typ host"),
    "ssrc that is a word": _append_to_media("a=ssrc:abc cname:x"),
    "ssrc over 32 bits": _append_to_media("a=ssrc:99999999999 cname:x"),
    "ssrc-group with one ssrc": _append_to_media("a=ssrc-group:FID 1"),
    "extmap id 99999": _append_to_media("a=extmap:99999 urn:ietf:params:rtp-hdrext:sdes:mid"),
    "extmap without uri": _append_to_media("a=extmap:3"),
    "BUNDLE naming unknown mids": _replace(r"^a=group:BUNDLE .*$", "a=group:BUNDLE 7 8 9"),
    "duplicate mids": _replace(r"^a=mid:\S+$", "a=mid:0"),
    "c-line garbage": _replace(r"^c=.*$", "c=IN IP9 nowhere"),
    "o-line missing": _without("o="),
    "NUL byte inside": lambda sdp: sdp.replace("a=mid", "a=m\x00id", 1),
    "invalid UTF-8": lambda sdp: sdp.encode().replace(b"a=mid", b"a=\xff\xfemid", 1),
    "a 60 KB attribute": _append_to_media("a=x-junk:" + "x" * 60_000),
    "over the body limit": lambda sdp: sdp + "a=x-junk:" + "x" * 70_000 + "\r\n",
    "twenty copies of every m-section": lambda sdp: (
        sdp + "".join(sdp[sdp.index("m=") :].replace("a=mid:", f"a=mid:x{n}") for n in range(20))
    ),
}


def mutations(sdp: str, count: int, seed: int = 20261123) -> Iterator[tuple[str, str]]:
    """`count` seeded random line-level mutations: drop, duplicate, swap, truncate or garble lines."""
    rng = random.Random(seed)
    junk = ["", "=", "a=", "a=:", "x", "m=video", "a=rtpmap:", "a=candidate:", "\t", "a=ssrc:-1", "ÿ", "🎥"]
    for n in range(count):
        lines = _lines(sdp)
        steps = []
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(lines))
            kind = rng.choice(["drop", "duplicate", "swap", "truncate", "garble", "insert"])
            steps.append(f"{kind}@{i}")
            if kind == "drop":
                del lines[i]
            elif kind == "duplicate":
                lines.insert(i, lines[i])
            elif kind == "swap":
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            elif kind == "truncate":
                lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
            elif kind == "garble":
                head, _, _ = lines[i].partition(":")
                lines[i] = f"{head}:{rng.choice(junk)}{rng.choice(junk)}"
            else:
                lines.insert(i, rng.choice(junk) + rng.choice(junk))
        yield f"mutation {n} ({', '.join(steps)})", _join(lines)
