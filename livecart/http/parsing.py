"""Request bodies read and validated by pydantic; every failure becomes 400 `bad_request` with per-field
details. The same `Body` models and `validate` check Socket.IO payloads (livecart/live/payloads.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from livecart import keys
from livecart.domain.errors import BadRequest, PayloadTooLarge, RequestTimeout


class Body(BaseModel):
    """A request body or socket payload: unknown fields are refused, strings trimmed, values frozen."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


B = TypeVar("B", bound=BaseModel)


async def read_text(request: web.Request) -> str:
    """The request's body as text; 408 when it does not arrive within LIVECART_HTTP_BODY_TIMEOUT, 413 when
    over the size limit (raised by aiohttp), 400 when it is not UTF-8."""
    limit = request.app[keys.SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")  # at once, without reading it
    if request.content.is_eof():  # the whole body came with the headers (a small JSON body): no wait, no timer
        body = await request.read()
    else:
        try:
            async with asyncio.timeout(request.app[keys.SETTINGS].http_body_timeout_s):
                body = await request.read()
        except TimeoutError:
            raise RequestTimeout("the request body did not arrive in time") from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 (byte {exc.start})") from None


async def read_json(request: web.Request) -> Any:
    """The request's JSON body; 408 / 413 as `read_text`, 400 when not JSON."""
    text = await read_text(request)
    if not text.strip():
        raise BadRequest("the request needs a JSON body")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except ValueError:  # an integer of more than 4300 digits (Python's int conversion limit)
        raise BadRequest("the body has a number too long to read") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None


async def parse(request: web.Request, model: type[B]) -> B:
    return validate(model, await read_json(request))


def validate(model: type[B], data: Any) -> B:
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest("the request body is not valid", fields=field_errors(exc)) from None


def field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"]) or "body"
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        fields.setdefault(location, message)
    return fields
