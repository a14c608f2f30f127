"""Who may do what on the live socket: every role × every client event, over real Socket.IO connections.

One scene: host A's show; viewer A has posted the chat messages and questions the moderation events act
on (one per role, so that each allowed moderator has its own target) and is the one being muted. Every
role joins the show (anonymous: without a token) and sends every event; the ack's `ok` or error code is
compared with the table. Participation runs before moderation, so a mute cannot change a later answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from livecart.config import Settings
from tests.hardening.roles import cast_of_roles
from tests.live.clients import LiveClient
from tests.support import Api

ROLES = ("anonymous", "viewer", "other_viewer", "host", "other_host", "brand", "other_brand", "admin")
TAKING_PART = dict.fromkeys(ROLES, "ok") | {"anonymous": "unauthorized"}
MODERATING = dict.fromkeys(ROLES, "forbidden") | {"anonymous": "unauthorized", "host": "ok", "admin": "ok"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, chat_rate=(1000, 1.0))  # the table, not the rate limit, decides here


Payload = Callable[[str, dict[str, Any]], dict[str, Any]]  # (role, scene) -> the event's payload

# event -> (payload for a role, {role: "ok" or the ack's error code})
PARTICIPATION: dict[str, tuple[Payload, dict[str, str]]] = {
    "chat": (lambda role, scene: {"text": f"hello from {role}"}, TAKING_PART),
    "ask": (lambda role, scene: {"text": f"a question from {role}?"}, TAKING_PART),
    "upvote": (lambda role, scene: {"question_id": scene["questions"][role]}, TAKING_PART),
    "react": (lambda role, scene: {"kind": "heart"}, TAKING_PART),
}
MODERATION: dict[str, tuple[Payload, dict[str, str]]] = {
    "answer": (lambda role, scene: {"question_id": scene["questions"][role]}, MODERATING),
    "feature": (lambda role, scene: {"question_id": scene["questions"][role]}, MODERATING),
    "delete_message": (lambda role, scene: {"message_id": scene["messages"][role]}, MODERATING),
    "mute": (lambda role, scene: {"viewer_id": scene["viewer_id"], "seconds": 1}, MODERATING),
    "slow_mode": (lambda role, scene: {"seconds": 0}, MODERATING),
    "blocked_words": (lambda role, scene: {"words": []}, MODERATING),
}


def outcome(ack: dict[str, Any]) -> str:
    return "ok" if ack.get("ok") else str(ack["error"]["code"])


async def test_every_role_gets_the_ack_the_socket_matrix_says(api: Api, client: TestClient[Any, Any]) -> None:
    cast = await cast_of_roles(api)
    people, tokens = cast.people, cast.tokens
    show = await api.create_show(people["host"]["token"])
    url = str(client.make_url("/"))

    author = await LiveClient(url).connect()
    await author.join(show["id"], tokens["viewer"])
    scene: dict[str, Any] = {"viewer_id": people["viewer"]["id"], "messages": {}, "questions": {}}
    for role in ROLES:
        said = await author.call("chat", {"text": f"a message for {role} to moderate"})
        asked = await author.call("ask", {"text": f"a question for {role} to answer?"})
        scene["messages"][role] = said["message"]["id"]
        scene["questions"][role] = asked["question"]["id"]
    await author.close()

    members = {role: await LiveClient(url).connect() for role in ROLES}
    try:
        got: dict[tuple[str, str], str] = {}
        expected: dict[tuple[str, str], str] = {}
        for role, member in members.items():  # before joining, nothing but join is accepted
            got[("before join: chat", role)] = outcome(await member.call("chat", {"text": "early"}))
            expected[("before join: chat", role)] = "not_joined"
            await member.join(show["id"], tokens[role])
        for table in (PARTICIPATION, MODERATION):
            for event, (payload, answers) in table.items():
                for role, member in members.items():
                    got[(event, role)] = outcome(await member.call(event, payload(role, scene)))
                    expected[(event, role)] = answers[role]
    finally:
        for member in members.values():
            await member.close()

    mismatches = [
        f"{role} {event}: {got[key]}, expected {want}"
        for key, want in expected.items()
        if got[key] != want
        for event, role in [key]
    ]
    assert mismatches == []
    assert len(got) == len(ROLES) * (1 + len(PARTICIPATION) + len(MODERATION))
