"""Campaigns: a brand's offer to hosts (products, commission, dates), and how hosts join one.

A campaign's status comes from its dates and the clock: `draft` before `starts_at`, `active` until
`ends_at` (or until the brand ends it), then `ended`. Hosts join through an *application* (pending →
approved | rejected; an `open` campaign approves at once) or an *invitation* from the brand (pending →
accepted, which approves the host). `max_hosts` bounds the approved hosts; `units_cap` bounds the units
sold through the campaign (the store takes them atomically, like stock).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from livecart.domain import errors
from livecart.domain.commerce import OrderLine
from livecart.domain.errors import (
    CampaignNotActive,
    NotApproved,
)
from livecart.domain.models import rfc3339

TITLE_MAX = 200
BRIEF_MAX = 5000
PRODUCTS_MAX = 100
FIELDS = frozenset(
    {"title", "brief", "product_ids", "commission_bps", "starts_at", "ends_at", "open", "max_hosts", "units_cap"}
)


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ENDED = "ended"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class Campaign:
    id: str
    brand_id: str
    title: str
    brief: str
    product_ids: tuple[str, ...]
    commission_bps: int
    starts_at: datetime
    ends_at: datetime
    open: bool
    max_hosts: int | None
    units_cap: int | None
    created_at: datetime
    ended_at: datetime | None = None  # set when the brand ends it early
    units_sold: int = 0

    def status(self, now: datetime) -> CampaignStatus:
        if self.ended_at is not None or now >= self.ends_at:
            return CampaignStatus.ENDED
        if now < self.starts_at:
            return CampaignStatus.DRAFT
        return CampaignStatus.ACTIVE

    def public(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "brand_id": self.brand_id,
            "title": self.title,
            "brief": self.brief,
            "product_ids": list(self.product_ids),
            "commission_bps": self.commission_bps,
            "starts_at": rfc3339(self.starts_at),
            "ends_at": rfc3339(self.ends_at),
            "open": self.open,
            "max_hosts": self.max_hosts,
            "units_cap": self.units_cap,
            "units_sold": self.units_sold,
            "status": self.status(now).value,
            "created_at": rfc3339(self.created_at),
            "ended_at": rfc3339(self.ended_at),
        }


@dataclass(frozen=True)
class Application:
    id: str
    campaign_id: str
    host_id: str
    pitch: str
    status: ApplicationStatus
    created_at: datetime
    decided_at: datetime | None = None
    invited: bool = False  # the host joined by accepting the brand's invitation

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "host_id": self.host_id,
            "pitch": self.pitch,
            "status": self.status.value,
            "created_at": rfc3339(self.created_at),
            "decided_at": rfc3339(self.decided_at),
        }


@dataclass(frozen=True)
class Invitation:
    id: str
    campaign_id: str
    host_id: str
    status: InvitationStatus
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "campaign_id": self.campaign_id,
            "host_id": self.host_id,
            "status": self.status.value,
            "created_at": rfc3339(self.created_at),
        }


def _whole(value: Any, name: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise errors.invalid_field(name, f"{name} must be a whole number {limit}")
    return value


def _text(value: Any, name: str, longest: int, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > longest:
        raise errors.invalid_field(name, f"{name} must be text of at most {longest} characters")
    return value.strip()


def check_fields(fields: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate a campaign body (`partial`: a PATCH, only the fields given). Dates must be aware
    datetimes (the API parses RFC 3339 first). Raises BadRequest naming the field."""
    checked: dict[str, Any] = {}
    for name in fields:
        if name not in FIELDS:
            raise errors.invalid_field(name, f"unknown field {name}")
    required = {"title", "product_ids", "commission_bps", "starts_at", "ends_at"}
    for name in sorted(required - set(fields)) if not partial else ():
        raise errors.invalid_field(name, f"{name} is required")
    if "title" in fields:
        checked["title"] = _text(fields["title"], "title", TITLE_MAX, required=True)
    if "brief" in fields:
        checked["brief"] = _text(fields["brief"], "brief", BRIEF_MAX, required=False)
    if "product_ids" in fields:
        ids = fields["product_ids"]
        if (
            not isinstance(ids, list)
            or not 1 <= len(ids) <= PRODUCTS_MAX
            or not all(isinstance(one, str) and one for one in ids)
            or len(set(ids)) != len(ids)
        ):
            raise errors.invalid_field("product_ids", f"product_ids must list 1 to {PRODUCTS_MAX} distinct product ids")
        checked["product_ids"] = tuple(ids)
    if "commission_bps" in fields:
        checked["commission_bps"] = _whole(fields["commission_bps"], "commission_bps", 0, 10_000)
    for name in ("starts_at", "ends_at"):
        if name in fields:
            moment = fields[name]
            if not isinstance(moment, datetime) or moment.tzinfo is None:
                raise errors.invalid_field(name, f"{name} must be an RFC 3339 time with an offset")
            checked[name] = moment
    if "open" in fields:
        if not isinstance(fields["open"], bool):
            raise errors.invalid_field("open", "open must be true or false")
        checked["open"] = fields["open"]
    for name in ("max_hosts", "units_cap"):
        if name in fields:
            checked[name] = None if fields[name] is None else _whole(fields[name], name, 1)
    if not partial and checked["ends_at"] <= checked["starts_at"]:
        raise errors.invalid_field("ends_at", "ends_at must be after starts_at")
    return checked


def check_not_ended(campaign: Campaign, now: datetime) -> None:
    """A brand changes, and hosts apply or are invited to, only campaigns that have not ended."""
    if campaign.status(now) is CampaignStatus.ENDED:
        raise CampaignNotActive("this campaign has ended", campaign_id=campaign.id)


def first_status(campaign: Campaign) -> ApplicationStatus:
    """An application to an `open` campaign is approved at once; otherwise it waits for the brand."""
    return ApplicationStatus.APPROVED if campaign.open else ApplicationStatus.PENDING


def decide(current: ApplicationStatus, approve: bool) -> ApplicationStatus:
    """The brand's decision on a pending application. Raises Conflict for one already decided."""
    if current is not ApplicationStatus.PENDING:
        raise errors.already_decided("application", current.value)
    return ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED


def accept(current: InvitationStatus) -> InvitationStatus:
    if current is not InvitationStatus.PENDING:
        raise errors.already_decided("invitation", current.value)
    return InvitationStatus.ACCEPTED


def check_room(campaign: Campaign, approved_hosts: int) -> None:
    """Raise CampaignFull when approving one more host would exceed max_hosts."""
    if campaign.max_hosts is not None and approved_hosts >= campaign.max_hosts:
        raise errors.campaign_full(campaign.max_hosts)


def check_lineup_add(
    campaign: Campaign, product_id: str, host_id: str, application: ApplicationStatus | None, now: datetime
) -> None:
    """A host may add a campaign's product to its show's lineup only while approved and the campaign is
    active. Raises BadRequest (not a product of the campaign), NotApproved, CampaignNotActive."""
    if product_id not in campaign.product_ids:
        raise errors.invalid_field("product_id", "this product is not part of the campaign")
    if application is not ApplicationStatus.APPROVED:
        raise NotApproved("only hosts approved for this campaign may sell its products", campaign_id=campaign.id)
    status = campaign.status(now)
    if status is not CampaignStatus.ACTIVE:
        raise CampaignNotActive(f"this campaign is {status.value}", campaign_id=campaign.id, status=status.value)


def units_left(campaign: Campaign) -> int | None:
    """Units the campaign may still sell (None: no cap)."""
    return None if campaign.units_cap is None else max(0, campaign.units_cap - campaign.units_sold)


def take_units(units_cap: int | None, units_sold: int, wanted: Sequence[int]) -> int:
    """units_sold after selling `wanted` units more; raises UnitsCapReached (nothing taken) beyond the cap."""
    total = units_sold + sum(wanted)
    if units_cap is not None and total > units_cap:
        raise errors.units_cap_reached(units_cap, units_sold)
    return total


def units_wanted(lines: Sequence[OrderLine]) -> dict[str, int]:
    """Units per campaign in an order's lines (lines sold under no campaign left out)."""
    wanted: dict[str, int] = {}
    for line in lines:
        if line.campaign_id is not None:
            wanted[line.campaign_id] = wanted.get(line.campaign_id, 0) + line.qty
    return wanted


def rates(campaigns: Sequence[Campaign], approved: set[str], now: datetime) -> dict[str, Campaign]:
    """Product id → the campaign a host sells it under: among the campaigns it is approved for that are
    active now, the one with the highest rate (then the oldest). Checkout prices those lines with it."""
    chosen: dict[str, Campaign] = {}
    for campaign in campaigns:
        if campaign.id not in approved or campaign.status(now) is not CampaignStatus.ACTIVE:
            continue
        for product_id in campaign.product_ids:
            best = chosen.get(product_id)
            if best is None or (campaign.commission_bps, best.created_at) > (best.commission_bps, campaign.created_at):
                chosen[product_id] = campaign
    return chosen
