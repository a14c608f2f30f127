"""Request bodies, validated by pydantic; every failure becomes 400 `bad_request` with per-field details."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from livecart import keys
from livecart.domain.errors import BadRequest, PayloadTooLarge, RequestTimeout

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2026-11-23T20:00:00Z")
    return value


Name = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_no_control_chars)]
Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_control_chars)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Cents = Annotated[StrictInt, Field(ge=0, le=100_000_000_00)]
Stock = Annotated[StrictInt, Field(ge=0, le=10_000_000)]
Bps = Annotated[StrictInt, Field(ge=0, le=10_000)]
Url = Annotated[str, Field(max_length=2000, pattern=r"^(https?://|/)\S+$")]
Description = Annotated[str, Field(max_length=5000)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class AccountCreate(Body):
    name: Name


class ProductCreate(Body):
    sku: Sku
    title: Title
    price_cents: Cents
    currency: Currency
    stock: Stock
    commission_bps: Bps
    image_url: Url | None = None
    description: Description | None = None


class ProductPatch(Body):
    """Fields to change; `image_url` and `description` may be set to null to clear them."""

    title: Title | None = None
    price_cents: Cents | None = None
    stock: Stock | None = None
    commission_bps: Bps | None = None
    image_url: Url | None = None
    description: Description | None = None

    @field_validator("title", "price_cents", "stock", "commission_bps", mode="before")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value




class ShowCreate(Body):
    title: Title
    scheduled_at: Annotated[datetime | None, AfterValidator(_aware)] = None


class LineupAdd(Body):
    product_id: Id


B = TypeVar("B", bound=BaseModel)


async def read_text(request: web.Request) -> str:
    """The request's body as text; 408 when it does not arrive within LIVECART_HTTP_BODY_TIMEOUT, 413 when
    over the size limit (raised by aiohttp), 400 when it is not UTF-8."""
    limit = request.app[keys.SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")  # at once, without reading it
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
