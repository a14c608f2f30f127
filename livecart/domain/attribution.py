"""Share links and attribution: which host a purchase credits when the buyer arrived through a link.

Each approved host gets one short link per campaign, `/l/{code}`. A viewer who follows it is attributed
to that host for LIVECART_ATTRIBUTION_DAYS (first party: a token kept with the viewer's account or in
localStorage, no third-party cookie); the latest link followed wins. A purchase inside a show credits
the show's host (`source: "show"`); outside a show, a product of the link's campaign bought within the
window credits the link's host the campaign commission (`source: "link"`); otherwise nobody
(`source: "direct"`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or typed from a video
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 codes
CODE_PATTERN = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


STOREFRONT_PREFIX = "lnk"  # a link's storefront is a show with an id `lnk_…`, never listed


def is_storefront(show_id: str) -> bool:
    """Whether the show is a share link's storefront: what is bought there is bought through the link."""
    return show_id.startswith(f"{STOREFRONT_PREFIX}_")


class Source(StrEnum):
    SHOW = "show"
    LINK = "link"
    DIRECT = "direct"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def valid_code(code: str) -> bool:
    """Whether `code` could be a link code (checked before any store lookup)."""
    return bool(CODE_PATTERN.match(code))


@dataclass(frozen=True)
class ShareLink:
    code: str
    campaign_id: str
    host_id: str
    created_at: datetime
    storefront_show_id: str | None = None  # where the link's buyers buy outside a show, once opened


@dataclass(frozen=True)
class Attribution:
    """A viewer arrived through `link` at `at`."""

    code: str
    campaign_id: str
    host_id: str
    at: datetime

    def expires_at(self, days: int) -> datetime:
        return self.at + timedelta(days=days)

    def live(self, now: datetime, days: int) -> bool:
        return self.at <= now < self.expires_at(days)


def latest(attributions: Collection[Attribution]) -> Attribution | None:
    """The link followed last (it replaces earlier ones)."""
    return max(attributions, key=lambda one: one.at, default=None)


@dataclass(frozen=True)
class Credit:
    host_id: str | None
    source: Source
    campaign_id: str | None


def credit(
    *,
    show_host_id: str | None,
    attribution: Attribution | None,
    campaign_products: Collection[str],
    product_id: str,
    now: datetime,
    days: int,
) -> Credit:
    """Who a purchase of `product_id` credits. `show_host_id`: the host of the show it was bought in
    (None: outside a show); `campaign_products`: the products of the attribution's campaign."""
    if show_host_id is not None:
        return Credit(show_host_id, Source.SHOW, None)
    if attribution is not None and attribution.live(now, days) and product_id in campaign_products:
        return Credit(attribution.host_id, Source.LINK, attribution.campaign_id)
    return Credit(None, Source.DIRECT, None)
