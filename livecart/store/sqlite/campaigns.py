"""Campaigns, applications, invitations, units sold through a campaign, and share links."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.attribution import STOREFRONT_PREFIX, Attribution, ShareLink
from livecart.domain.campaigns import (
    Application,
    ApplicationStatus,
    Campaign,
    Invitation,
    InvitationStatus,
)
from livecart.domain.ids import new_id
from livecart.domain.models import Show, ShowStatus
from livecart.store.sqlite import rows
from livecart.store.sqlite.db import Database, Migration
from livecart.store.sqlite.shows import fetch_show

MIGRATIONS: list[Migration] = [
    Migration(
        18,
        "connect_campaigns",
        """
        CREATE TABLE campaigns (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            brand_id TEXT NOT NULL REFERENCES accounts(id),
            title TEXT NOT NULL,
            brief TEXT NOT NULL,
            product_ids TEXT NOT NULL,
            commission_bps INTEGER NOT NULL CHECK (commission_bps BETWEEN 0 AND 10000),
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            open INTEGER NOT NULL,
            max_hosts INTEGER,
            units_cap INTEGER,
            units_sold INTEGER NOT NULL DEFAULT 0 CHECK (units_sold >= 0),
            created_at TEXT NOT NULL,
            ended_at TEXT,
            CHECK (units_cap IS NULL OR units_sold <= units_cap)
        );
        CREATE INDEX campaigns_brand ON campaigns (brand_id, seq);
        CREATE TABLE campaign_applications (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            campaign_id TEXT NOT NULL REFERENCES campaigns(id),
            host_id TEXT NOT NULL REFERENCES accounts(id),
            pitch TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
            invited INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            decided_at TEXT,
            UNIQUE (campaign_id, host_id)
        );
        CREATE INDEX campaign_applications_host ON campaign_applications (host_id, seq);
        CREATE TABLE campaign_invitations (
            id TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL REFERENCES campaigns(id),
            host_id TEXT NOT NULL REFERENCES accounts(id),
            status TEXT NOT NULL CHECK (status IN ('pending', 'accepted')),
            created_at TEXT NOT NULL,
            UNIQUE (campaign_id, host_id)
        );
        CREATE TABLE share_links (
            code TEXT PRIMARY KEY,
            campaign_id TEXT NOT NULL REFERENCES campaigns(id),
            host_id TEXT NOT NULL REFERENCES accounts(id),
            created_at TEXT NOT NULL,
            UNIQUE (campaign_id, host_id)
        )
        """,
    ),
    Migration(19, "connect_order_line_campaign", "ALTER TABLE order_lines ADD COLUMN campaign_id TEXT"),
    Migration(
        24,
        "connect_link_visits",
        """
        ALTER TABLE share_links ADD COLUMN clicks INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE share_links ADD COLUMN storefront_show_id TEXT REFERENCES shows(id);
        CREATE UNIQUE INDEX share_links_storefront ON share_links (storefront_show_id);
        CREATE TABLE link_viewers (
            code TEXT NOT NULL REFERENCES share_links(code),
            viewer_id TEXT NOT NULL,
            PRIMARY KEY (code, viewer_id)
        );
        CREATE TABLE viewer_attributions (
            viewer_id TEXT PRIMARY KEY,
            code TEXT NOT NULL REFERENCES share_links(code),
            at TEXT NOT NULL
        )
        """,
    ),
]

_COLUMNS = ("title", "brief", "product_ids", "commission_bps", "starts_at", "ends_at", "open", "max_hosts", "units_cap")


def _column_value(name: str, value: Any) -> Any:
    if name == "product_ids":
        return json.dumps(list(value))
    if name in ("starts_at", "ends_at"):
        return rows.to_text(value)
    if name == "open":
        return int(bool(value))
    return value


def _campaign(row: sqlite3.Row) -> Campaign:
    def when(name: str) -> Any:
        return rows.from_text(row[name])

    return Campaign(
        id=row["id"], brand_id=row["brand_id"], title=row["title"], brief=row["brief"],
        product_ids=tuple(json.loads(row["product_ids"])), commission_bps=row["commission_bps"],
        starts_at=when("starts_at"), ends_at=when("ends_at"), open=bool(row["open"]), max_hosts=row["max_hosts"],
        units_cap=row["units_cap"], created_at=when("created_at"), ended_at=when("ended_at"),
        units_sold=row["units_sold"],
    )  # fmt: skip


def _application(row: sqlite3.Row) -> Application:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return Application(
        id=row["id"], campaign_id=row["campaign_id"], host_id=row["host_id"], pitch=row["pitch"],
        status=ApplicationStatus(row["status"]), created_at=created, decided_at=rows.from_text(row["decided_at"]),
        invited=bool(row["invited"]),
    )  # fmt: skip


def _invitation(row: sqlite3.Row) -> Invitation:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return Invitation(row["id"], row["campaign_id"], row["host_id"], InvitationStatus(row["status"]), created)


def _one(conn: sqlite3.Connection, query: str, *args: object) -> sqlite3.Row | None:
    found: sqlite3.Row | None = conn.execute(query, args).fetchone()
    return found


def campaign_in(conn: sqlite3.Connection, campaign_id: str) -> Campaign:
    """The campaign as stored (inside a transaction). Raises NotFound."""
    return _fetch_campaign(conn, campaign_id)


def _fetch_campaign(conn: sqlite3.Connection, campaign_id: str) -> Campaign:
    row = _one(conn, "SELECT * FROM campaigns WHERE id = ?", campaign_id)
    if row is None:
        raise errors.no_such_campaign(campaign_id)
    return _campaign(row)


def _check_room(conn: sqlite3.Connection, campaign_id: str, max_hosts: int | None) -> None:
    if max_hosts is None:
        return
    row = _one(
        conn, "SELECT COUNT(*) FROM campaign_applications WHERE campaign_id = ? AND status = 'approved'", campaign_id
    )
    assert row is not None
    if row[0] >= max_hosts:
        raise errors.campaign_full(max_hosts)


def _insert_application(conn: sqlite3.Connection, application: Application) -> None:
    conn.execute(
        "INSERT INTO campaign_applications (id, campaign_id, host_id, pitch, status, invited, created_at, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            application.id, application.campaign_id, application.host_id, application.pitch,
            application.status.value, int(application.invited), rows.to_text(application.created_at),
            rows.to_text(application.decided_at),
        ),
    )  # fmt: skip


class SqliteCampaigns:
    _db: Database
    _clock: Clock

    async def create_campaign(self, brand_id: str, fields: Mapping[str, Any]) -> Campaign:
        values = {"brief": "", "open": False, "max_hosts": None, "units_cap": None, **fields}
        campaign_id, now = new_id("cmp"), self._clock.now()

        def create(conn: sqlite3.Connection) -> Campaign:
            conn.execute(
                f"INSERT INTO campaigns (id, brand_id, created_at, {', '.join(_COLUMNS)})"
                f" VALUES (?, ?, ?, {', '.join('?' for _ in _COLUMNS)})",
                (campaign_id, brand_id, rows.to_text(now), *(_column_value(c, values[c]) for c in _COLUMNS)),
            )
            return _fetch_campaign(conn, campaign_id)

        return await self._db.transaction(create)

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        def select(conn: sqlite3.Connection) -> Campaign | None:
            row = _one(conn, "SELECT * FROM campaigns WHERE id = ?", campaign_id)
            return None if row is None else _campaign(row)

        return await self._db.read(select)

    async def list_campaigns(self, brand_id: str | None = None) -> list[Campaign]:
        def select(conn: sqlite3.Connection) -> list[Campaign]:
            if brand_id is None:
                found = conn.execute("SELECT * FROM campaigns ORDER BY seq DESC")
            else:
                found = conn.execute("SELECT * FROM campaigns WHERE brand_id = ? ORDER BY seq DESC", (brand_id,))
            return [_campaign(row) for row in found]

        return await self._db.read(select)

    async def update_campaign(self, campaign_id: str, changes: Mapping[str, Any]) -> Campaign:
        names = [name for name in changes if name in _COLUMNS]

        def update(conn: sqlite3.Connection) -> Campaign:
            _fetch_campaign(conn, campaign_id)
            if names:
                conn.execute(
                    f"UPDATE campaigns SET {', '.join(f'{name} = ?' for name in names)} WHERE id = ?",
                    (*(_column_value(name, changes[name]) for name in names), campaign_id),
                )
            return _fetch_campaign(conn, campaign_id)

        return await self._db.transaction(update)

    async def end_campaign(self, campaign_id: str) -> Campaign:
        now = rows.to_text(self._clock.now())

        def end(conn: sqlite3.Connection) -> Campaign:
            _fetch_campaign(conn, campaign_id)
            conn.execute("UPDATE campaigns SET ended_at = COALESCE(ended_at, ?) WHERE id = ?", (now, campaign_id))
            return _fetch_campaign(conn, campaign_id)

        return await self._db.transaction(end)

    async def apply_to_campaign(self, application: Application, max_hosts: int | None) -> Application:
        def apply(conn: sqlite3.Connection) -> Application:
            _fetch_campaign(conn, application.campaign_id)
            for table in ("campaign_applications", "campaign_invitations"):
                taken = _one(
                    conn, f"SELECT 1 FROM {table} WHERE campaign_id = ? AND host_id = ?",
                    application.campaign_id, application.host_id,
                )  # fmt: skip
                if taken is not None:
                    raise errors.already_joined(application.campaign_id, application.host_id)
            if application.status is ApplicationStatus.APPROVED:
                _check_room(conn, application.campaign_id, max_hosts)
            _insert_application(conn, application)
            return application

        return await self._db.transaction(apply)

    async def decide_application(self, application_id: str, approve: bool, max_hosts: int | None) -> Application:
        now = rows.to_text(self._clock.now())

        def decide(conn: sqlite3.Connection) -> Application:
            row = _one(conn, "SELECT * FROM campaign_applications WHERE id = ?", application_id)
            if row is None:
                raise errors.no_such_application(application_id)
            if row["status"] != ApplicationStatus.PENDING.value:
                raise errors.already_decided("application", row["status"])
            if approve:
                _check_room(conn, row["campaign_id"], max_hosts)
            status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
            conn.execute(
                "UPDATE campaign_applications SET status = ?, decided_at = ? WHERE id = ?",
                (status.value, now, application_id),
            )
            found = _one(conn, "SELECT * FROM campaign_applications WHERE id = ?", application_id)
            assert found is not None
            return _application(found)

        return await self._db.transaction(decide)

    async def invite_to_campaign(self, invitation: Invitation) -> Invitation:
        def invite(conn: sqlite3.Connection) -> Invitation:
            _fetch_campaign(conn, invitation.campaign_id)
            for table in ("campaign_invitations", "campaign_applications"):
                taken = _one(
                    conn, f"SELECT 1 FROM {table} WHERE campaign_id = ? AND host_id = ?",
                    invitation.campaign_id, invitation.host_id,
                )  # fmt: skip
                if taken is not None:
                    raise errors.already_joined(invitation.campaign_id, invitation.host_id)
            conn.execute(
                "INSERT INTO campaign_invitations (id, campaign_id, host_id, status, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    invitation.id, invitation.campaign_id, invitation.host_id, invitation.status.value,
                    rows.to_text(invitation.created_at),
                ),
            )  # fmt: skip
            return invitation

        return await self._db.transaction(invite)

    async def accept_invitation(self, invitation_id: str, max_hosts: int | None) -> Application:
        now = self._clock.now()
        application_id = new_id("app")

        def accept(conn: sqlite3.Connection) -> Application:
            row = _one(conn, "SELECT * FROM campaign_invitations WHERE id = ?", invitation_id)
            if row is None:
                raise errors.no_such_invitation(invitation_id)
            if row["status"] != InvitationStatus.PENDING.value:
                raise errors.already_decided("invitation", row["status"])
            _check_room(conn, row["campaign_id"], max_hosts)
            conn.execute("UPDATE campaign_invitations SET status = 'accepted' WHERE id = ?", (invitation_id,))
            application = Application(
                application_id, row["campaign_id"], row["host_id"], "", ApplicationStatus.APPROVED, now, now, True
            )
            _insert_application(conn, application)
            return application

        return await self._db.transaction(accept)

    async def _application_where(self, where: str, *args: object) -> list[Application]:
        def select(conn: sqlite3.Connection) -> list[Application]:
            found = conn.execute(f"SELECT * FROM campaign_applications WHERE {where}", args)
            return [_application(row) for row in found]

        return await self._db.read(select)

    async def get_application(self, application_id: str) -> Application | None:
        found = await self._application_where("id = ?", application_id)
        return found[0] if found else None

    async def application_of(self, campaign_id: str, host_id: str) -> Application | None:
        found = await self._application_where("campaign_id = ? AND host_id = ?", campaign_id, host_id)
        return found[0] if found else None

    async def campaign_applications(self, campaign_id: str) -> list[Application]:
        return await self._application_where("campaign_id = ? ORDER BY seq", campaign_id)

    async def host_applications(self, host_id: str) -> list[Application]:
        return await self._application_where("host_id = ? ORDER BY seq DESC", host_id)

    async def get_invitation(self, invitation_id: str) -> Invitation | None:
        def select(conn: sqlite3.Connection) -> Invitation | None:
            row = _one(conn, "SELECT * FROM campaign_invitations WHERE id = ?", invitation_id)
            return None if row is None else _invitation(row)

        return await self._db.read(select)

    async def host_invitations(self, host_id: str) -> list[Invitation]:
        def select(conn: sqlite3.Connection) -> list[Invitation]:
            found = conn.execute(
                "SELECT * FROM campaign_invitations WHERE host_id = ? ORDER BY created_at DESC, id DESC", (host_id,)
            )
            return [_invitation(row) for row in found.fetchall()]

        return await self._db.read(select)

    async def take_campaign_units(self, campaign_id: str, units: int) -> int:
        if units < 1:
            raise ValueError("take at least one unit")

        def take(conn: sqlite3.Connection) -> int:
            campaign = _fetch_campaign(conn, campaign_id)
            if campaign.units_cap is not None and campaign.units_sold + units > campaign.units_cap:
                raise errors.units_cap_reached(campaign.units_cap, campaign.units_sold)
            conn.execute("UPDATE campaigns SET units_sold = units_sold + ? WHERE id = ?", (units, campaign_id))
            return campaign.units_sold + units

        return await self._db.transaction(take)

    async def release_campaign_units(self, campaign_id: str, units: int) -> int:
        def release(conn: sqlite3.Connection) -> int:
            _fetch_campaign(conn, campaign_id)
            conn.execute("UPDATE campaigns SET units_sold = MAX(0, units_sold - ?) WHERE id = ?", (units, campaign_id))
            return _fetch_campaign(conn, campaign_id).units_sold

        return await self._db.transaction(release)

    async def share_link(self, campaign_id: str, host_id: str, code: str) -> ShareLink:
        now = self._clock.now()

        def link(conn: sqlite3.Connection) -> ShareLink:
            row = _one(conn, "SELECT * FROM share_links WHERE campaign_id = ? AND host_id = ?", campaign_id, host_id)
            if row is None:
                if _one(conn, "SELECT 1 FROM share_links WHERE code = ?", code) is not None:
                    raise errors.link_code_taken(code)
                conn.execute(
                    "INSERT INTO share_links (code, campaign_id, host_id, created_at) VALUES (?, ?, ?, ?)",
                    (code, campaign_id, host_id, rows.to_text(now)),
                )
                return ShareLink(code, campaign_id, host_id, now)
            return _link(row)

        return await self._db.transaction(link)

    async def link_by_code(self, code: str) -> ShareLink | None:
        def select(conn: sqlite3.Connection) -> ShareLink | None:
            row = _one(conn, "SELECT * FROM share_links WHERE code = ?", code)
            return None if row is None else _link(row)

        return await self._db.read(select)

    async def record_link_click(self, code: str) -> int:
        def click(conn: sqlite3.Connection) -> int:
            conn.execute("UPDATE share_links SET clicks = clicks + 1 WHERE code = ?", (code,))
            row = _one(conn, "SELECT clicks FROM share_links WHERE code = ?", code)
            if row is None:
                raise errors.no_such_link(code)
            return int(row["clicks"])

        return await self._db.transaction(click)

    async def keep_attribution(self, viewer_id: str, code: str) -> Attribution:
        now = self._clock.now()

        def keep(conn: sqlite3.Connection) -> Attribution:
            row = _one(conn, "SELECT * FROM share_links WHERE code = ?", code)
            if row is None:
                raise errors.no_such_link(code)
            conn.execute("INSERT OR IGNORE INTO link_viewers (code, viewer_id) VALUES (?, ?)", (code, viewer_id))
            conn.execute(
                "INSERT INTO viewer_attributions (viewer_id, code, at) VALUES (?, ?, ?)"
                " ON CONFLICT (viewer_id) DO UPDATE SET code = excluded.code, at = excluded.at",
                (viewer_id, code, rows.to_text(now)),
            )
            return Attribution(code, row["campaign_id"], row["host_id"], now)

        return await self._db.transaction(keep)

    async def attribution_of(self, viewer_id: str) -> Attribution | None:
        def select(conn: sqlite3.Connection) -> Attribution | None:
            row = _one(
                conn,
                "SELECT a.code, a.at, l.campaign_id, l.host_id FROM viewer_attributions a"
                " JOIN share_links l ON l.code = a.code WHERE a.viewer_id = ?",
                viewer_id,
            )
            if row is None:
                return None
            at = rows.from_text(row["at"])
            assert at is not None
            return Attribution(row["code"], row["campaign_id"], row["host_id"], at)

        return await self._db.read(select)

    async def link_figures(self, code: str) -> tuple[int, int]:
        def select(conn: sqlite3.Connection) -> tuple[int, int]:
            row = _one(conn, "SELECT clicks FROM share_links WHERE code = ?", code)
            viewers = _one(conn, "SELECT COUNT(*) AS n FROM link_viewers WHERE code = ?", code)
            return (0 if row is None else int(row["clicks"])), (0 if viewers is None else int(viewers["n"]))

        return await self._db.read(select)

    async def storefront(self, code: str, title: str) -> Show:
        now = self._clock.now()

        def open_storefront(conn: sqlite3.Connection) -> Show:
            row = _one(conn, "SELECT * FROM share_links WHERE code = ?", code)
            if row is None:
                raise errors.no_such_link(code)
            if row["storefront_show_id"] is not None:
                found = fetch_show(conn, row["storefront_show_id"])
                assert found is not None
                return found
            show_id = new_id(STOREFRONT_PREFIX)
            conn.execute(
                "INSERT INTO shows (id, host_id, title, status, scheduled_at, created_at) VALUES (?,?,?,?,?,?)",
                (show_id, row["host_id"], title, ShowStatus.SCHEDULED.value, None, rows.to_text(now)),
            )
            conn.execute("UPDATE share_links SET storefront_show_id = ? WHERE code = ?", (show_id, code))
            created = fetch_show(conn, show_id)
            assert created is not None
            return created

        return await self._db.transaction(open_storefront)

    async def storefront_link(self, show_id: str) -> ShareLink | None:
        def select(conn: sqlite3.Connection) -> ShareLink | None:
            row = _one(conn, "SELECT * FROM share_links WHERE storefront_show_id = ?", show_id)
            return None if row is None else _link(row)

        return await self._db.read(select)

    async def host_links(self, host_id: str) -> list[ShareLink]:
        def select(conn: sqlite3.Connection) -> list[ShareLink]:
            found = conn.execute("SELECT * FROM share_links WHERE host_id = ? ORDER BY created_at, code", (host_id,))
            return [_link(row) for row in found.fetchall()]

        return await self._db.read(select)


def _link(row: sqlite3.Row) -> ShareLink:
    created = rows.from_text(row["created_at"])
    assert created is not None
    return ShareLink(row["code"], row["campaign_id"], row["host_id"], created, row["storefront_show_id"])
