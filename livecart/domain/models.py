"""Plain immutable records shared by the store, the API and the live room."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Role(StrEnum):
    ADMIN = "admin"
    HOST = "host"
    BRAND = "brand"
    VIEWER = "viewer"


class ShowStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
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

    def hosted_by(self, account: Account) -> bool:
        """May `account` act as this show's host? Its host, and admin, may."""
        return account.role is Role.ADMIN or account.id == self.host_id

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
    """scheduled → live → ended; a live show that lost its publisher may go live again only before it ended."""
    allowed = {
        ShowStatus.SCHEDULED: {ShowStatus.LIVE, ShowStatus.ENDED},
        ShowStatus.LIVE: {ShowStatus.ENDED},
        ShowStatus.ENDED: set(),
    }
    return new in allowed[current]


_SHOW_STATUS_RANK = {ShowStatus.LIVE: 0, ShowStatus.SCHEDULED: 1, ShowStatus.ENDED: 2}
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
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // _MICROSECOND
