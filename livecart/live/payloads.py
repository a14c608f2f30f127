"""Socket.IO event payloads, validated by pydantic models like the HTTP bodies (livecart/http/parsing.py).

A payload that fails is refused with the ack `{ok: false, error: {code: "bad_request", message,
fields}}` (docs/protocol.md): a missing field is `"required"`, an invalid one says what it must be.
Unknown fields are ignored (clients may send more than this server reads). Chat text and mute
durations are checked by the domain's chat rules (livecart/domain/chat.py), not here.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError

from livecart.domain.errors import BadRequest
from livecart.live.rooms import REACTION_KINDS

# An id or name: a non-empty string of at most 200 characters, trimmed.
Text = Annotated[StrictStr, Field(min_length=1, max_length=200)]
TEXT_INVALID = "must be a non-empty string"


class Payload(BaseModel):
    """One event's payload. `INVALID` names, per field, the message and the `fields` detail of a bad value."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)
    INVALID: ClassVar[dict[str, tuple[str, str]]] = {}


class Join(Payload):
    show_id: Text
    token: Annotated[StrictStr, Field(min_length=1)] | None = None
    INVALID = {
        "show_id": ("show_id must be a non-empty string", TEXT_INVALID),
        "token": ("token must be a string", "must be a string"),
    }


class Said(Payload):
    """`chat` and `ask`: the text is admitted by the room's chat rules."""

    text: Any


class QuestionRef(Payload):
    """`upvote`, `answer`, `feature`."""

    question_id: Text
    INVALID = {"question_id": ("question_id must be a non-empty string", TEXT_INVALID)}


def _reaction(kind: str) -> str:
    if kind not in REACTION_KINDS:
        raise ValueError("unknown reaction")
    return kind


class React(Payload):
    kind: Annotated[StrictStr, AfterValidator(_reaction)]
    INVALID = {"kind": (f"kind must be one of {', '.join(sorted(REACTION_KINDS))}", "unknown reaction")}


class DeleteMessage(Payload):
    message_id: Text
    INVALID = {"message_id": ("message_id must be a non-empty string", TEXT_INVALID)}


class Mute(Payload):
    viewer_id: Text
    seconds: Any  # checked by the chat rules (mute_seconds)
    INVALID = {"viewer_id": ("viewer_id must be a non-empty string", TEXT_INVALID)}


class SlowMode(Payload):
    seconds: Annotated[StrictInt | StrictFloat, Field(ge=0, le=3600)]
    INVALID = {"seconds": ("slow mode must be 0 to 3600 seconds", "must be 0 to 3600")}


class BlockedWords(Payload):
    words: Annotated[list[StrictStr], Field(max_length=500)]
    INVALID = {"words": ("words must be a list of strings", "must be a list of strings")}


class Bid(Payload):
    """`bid`: an amount in minor units of the auction's currency (the store decides it against the high bid)."""

    auction_id: Text
    amount_cents: Annotated[StrictInt, Field(ge=1, le=100_000_000_00)]
    INVALID = {
        "auction_id": ("auction_id must be a non-empty string", TEXT_INVALID),
        "amount_cents": ("amount_cents must be a whole number of cents from 1", "must be an integer from 1"),
    }


class Enter(Payload):
    """`enter`: one entry per account in a giveaway of the joined show."""

    giveaway_id: Text
    INVALID = {"giveaway_id": ("giveaway_id must be a non-empty string", TEXT_INVALID)}


P = TypeVar("P", bound=Payload)


def parse_payload(model: type[P], data: Any) -> P:
    """`data` as a `model`, or BadRequest naming the first field that is missing or invalid."""
    if not isinstance(data, dict):
        first = next(iter(model.model_fields))
        raise BadRequest("the payload must be an object", fields={first: "required"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = str(error["loc"][0]) if error["loc"] else next(iter(model.model_fields))
        if error["type"] == "missing":
            raise BadRequest(f"{name} is required", fields={name: "required"}) from None
        message, detail = model.INVALID.get(name, (f"{name} is not valid", error["msg"]))
        raise BadRequest(message, fields={name: detail}) from None
