"""Socket payloads are read by pydantic models; a bad one becomes `bad_request` naming the field
(docs/protocol.md, "Ack error codes")."""

from __future__ import annotations

from typing import Any

import pytest

from livecart.domain.errors import BadRequest
from livecart.live.payloads import BlockedWords, Join, Mute, Payload, React, SlowMode, parse_payload


def refusal(model: type[Payload], data: Any) -> dict[str, Any]:
    with pytest.raises(BadRequest) as refused:
        parse_payload(model, data)
    return {"message": refused.value.message, **refused.value.details}


def test_a_payload_that_is_not_an_object_names_the_first_field_as_required() -> None:
    assert refusal(Join, "show_1") == {"message": "the payload must be an object", "fields": {"show_id": "required"}}
    assert refusal(Mute, ["v", 60]) == {"message": "the payload must be an object", "fields": {"viewer_id": "required"}}


def test_a_missing_field_is_required_and_an_invalid_one_says_what_it_must_be() -> None:
    assert refusal(Join, {}) == {"message": "show_id is required", "fields": {"show_id": "required"}}
    assert refusal(Join, {"show_id": "   "})["fields"] == {"show_id": "must be a non-empty string"}
    assert refusal(Join, {"show_id": "s", "token": ""})["fields"] == {"token": "must be a string"}
    assert refusal(Join, {"show_id": "s", "token": 7})["fields"] == {"token": "must be a string"}
    assert refusal(React, {"kind": ["heart"]})["fields"] == {"kind": "unknown reaction"}
    assert refusal(React, {"kind": "bomb"})["fields"] == {"kind": "unknown reaction"}
    assert refusal(SlowMode, {"seconds": True})["fields"] == {"seconds": "must be 0 to 3600"}
    assert refusal(SlowMode, {"seconds": 3601})["fields"] == {"seconds": "must be 0 to 3600"}
    assert refusal(BlockedWords, {"words": "scam"})["fields"] == {"words": "must be a list of strings"}
    assert refusal(BlockedWords, {"words": ["ok"] * 501})["fields"] == {"words": "must be a list of strings"}


def test_a_valid_payload_is_trimmed_and_unknown_fields_are_ignored() -> None:
    joined = parse_payload(Join, {"show_id": "  shw_1 ", "client": "web"})
    assert (joined.show_id, joined.token) == ("shw_1", None)
    assert parse_payload(SlowMode, {"seconds": 2.5}).seconds == 2.5
    assert parse_payload(React, {"kind": "heart"}).kind == "heart"
