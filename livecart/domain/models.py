"""Plain immutable records shared by the store, the API and the live room."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


# Instants the API and the stores accept (issue 19, finding 2): far enough from datetime's limits that
# any UTC offset, microseconds since the epoch and the RFC 3339 formatter all fit.
EARLIEST_INSTANT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(9000, 1, 1, tzinfo=UTC)


def instant_in_range(moment: datetime) -> bool:
    """Is this aware datetime between EARLIEST_INSTANT and LATEST_INSTANT (as an instant)?"""
    try:
        return EARLIEST_INSTANT <= moment.astimezone(UTC) <= LATEST_INSTANT
    except OverflowError:  # 9999-12-31T23:59:59-14:00 is past datetime.max in UTC
        return False


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    try:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:  # stored before dates were range-checked: keep its own offset
        return moment.isoformat()


class Role(StrEnum):
    ADMIN = "admin"
    HOST = "host"
    BRAND = "brand"
    VIEWER = "viewer"


class ShowStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    PAUSED = "paused"  # live, but its publisher went away: viewers see "back soon", selling goes on
    ENDED = "ended"


@dataclass(frozen=True)
class Account:
    id: str
    role: Role
    name: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role.value, "name": self.name, "created_at": rfc3339(self.created_at)}


ADMIN = Account(id="admin", role=Role.ADMIN, name="admin", created_at=datetime(2026, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class ProductDraft:
    sku: str
    title: str
    price_cents: int
    currency: str
    stock: int
    commission_bps: int
    image_url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Product:
    id: str
    brand_id: str
    sku: str
    title: str
    price_cents: int
    currency: str
    stock: int
    commission_bps: int
    image_url: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = rfc3339(self.created_at)
        data["updated_at"] = rfc3339(self.updated_at)
        return data


# Fields a brand may change on its product with PATCH.
PRODUCT_MUTABLE_FIELDS = ("title", "price_cents", "stock", "commission_bps", "image_url", "description")


@dataclass(frozen=True)
class Show:
    id: str
    host_id: str
    title: str
    status: ShowStatus
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    paused_at: datetime | None = None  # when it last lost its publisher, while `paused`

    def hosted_by(self, account: Account, cohosts: Collection[str] = ()) -> bool:
        """May `account` act as this show's host? Its host, and admin, may; so may the active co-hosts
        given in `cohosts` (their ids: pins, moderation, selling formats; publishing stays the host's)."""
        return account.role is Role.ADMIN or account.id == self.host_id or account.id in cohosts

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "host_id": self.host_id,
            "title": self.title,
            "status": self.status.value,
            "scheduled_at": rfc3339(self.scheduled_at),
            "started_at": rfc3339(self.started_at),
            "ended_at": rfc3339(self.ended_at),
            "created_at": rfc3339(self.created_at),
        }


def show_transition_allowed(current: ShowStatus, new: ShowStatus) -> bool:
    """scheduled → live ⇄ paused → ended: a show whose publisher goes away is paused and goes live
    again on the next publish; it ends when its host (or admin) ends it, or after a long pause."""
    allowed = {
        ShowStatus.SCHEDULED: {ShowStatus.LIVE, ShowStatus.ENDED},
        ShowStatus.LIVE: {ShowStatus.PAUSED, ShowStatus.ENDED},
        ShowStatus.PAUSED: {ShowStatus.LIVE, ShowStatus.ENDED},
        ShowStatus.ENDED: set(),
    }
    return new in allowed[current]


def show_status_stamp(current: ShowStatus, new: ShowStatus) -> str | None:
    """The time field a move from `current` to `new` stamps: `started_at` when a show first goes live,
    `paused_at` when it pauses, `ended_at` when it ends; none when a paused show goes live again.
    `paused_at` is cleared by every move but a pause."""
    if new is ShowStatus.LIVE:
        return None if current is ShowStatus.PAUSED else "started_at"
    return {ShowStatus.PAUSED: "paused_at", ShowStatus.ENDED: "ended_at"}.get(new)


def still_selling(show: Show) -> bool:
    """May the live path (cart adds, checkout, selling formats) sell in this show? Until it ended."""
    return show.status is not ShowStatus.ENDED


_SHOW_STATUS_RANK = {ShowStatus.LIVE: 0, ShowStatus.PAUSED: 0, ShowStatus.SCHEDULED: 1, ShowStatus.ENDED: 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def show_list_order(show: Show) -> tuple[int, int, str]:
    """Sort key of `list_shows`: live first, then scheduled (soonest first), then ended (latest start
    first); ties by id. Times compare as instants, whatever UTC offset they were given with."""
    rank = _SHOW_STATUS_RANK[show.status]
    if show.status is ShowStatus.SCHEDULED:
        return (rank, _micros(show.scheduled_at or show.created_at), show.id)
    return (rank, -_micros(show.started_at or show.created_at), show.id)


def _micros(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC."""
    naive = moment.replace(tzinfo=None)  # wall time, then the offset in integers: never overflows
    offset = moment.utcoffset() or timedelta(0)
    return (naive - _EPOCH.replace(tzinfo=None)) // _MICROSECOND - offset // _MICROSECOND
