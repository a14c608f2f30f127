"""The API's request body models and their field types (parsed by livecart/http/parsing.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictInt, field_validator

from livecart.domain.models import EARLIEST_INSTANT, LATEST_INSTANT, instant_in_range
from livecart.http.parsing import Body

CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _no_control_chars(value: str) -> str:
    if CONTROL_CHARS.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("must include a time zone, e.g. 2026-11-23T20:00:00Z")
    if value is not None and not instant_in_range(value):
        raise ValueError(f"must be from {EARLIEST_INSTANT.year} to {LATEST_INSTANT.year}")
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
    campaign_id: Id | None = None  # sell it under this campaign (the host must be approved, it active)
