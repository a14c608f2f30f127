"""Campaigns, applications, invitations, units sold and share links: one hash per record, sorted sets
as indexes, and Lua scripts for every check-then-write (one application per host, max_hosts, units_cap,
one link per host and campaign)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from livecart.clock import Clock
from livecart.domain import errors
from livecart.domain.attribution import STOREFRONT_PREFIX, Attribution, ShareLink
from livecart.domain.campaigns import Application, ApplicationStatus, Campaign, Invitation, InvitationStatus
from livecart.domain.ids import new_id
from livecart.domain.models import Show, ShowStatus
from livecart.store.redis import codec, keys
from livecart.store.redis.lua import Script

# KEYS: campaign, campaigns, brand's campaigns, sequence. ARGV: id, m field pairs.
CREATE = Script(
    """
    redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * tonumber(ARGV[2])))
    local seq = redis.call('INCR', KEYS[4])
    redis.call('ZADD', KEYS[2], seq, ARGV[1])
    redis.call('ZADD', KEYS[3], seq, ARGV[1])
    return 1
    """
)

# KEYS: campaign. ARGV: m field pairs to set, then names to delete. Returns false for an unknown campaign.
UPDATE = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return false end
    local m = tonumber(ARGV[1])
    if m > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * m)) end
    for i = 2 + 2 * m, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
    return 1
    """
)

# KEYS: campaign. ARGV: ended_at. Returns false for an unknown campaign.
END = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return false end
    redis.call('HSETNX', KEYS[1], 'ended_at', ARGV[1])
    return 1
    """
)

ROOM_LUA = """
local function full(campaign, max_hosts)
  return max_hosts >= 0 and tonumber(redis.call('HGET', campaign, 'approved') or '0') >= max_hosts
end
"""

# KEYS: campaign, campaign's hosts, campaign's invited, application, campaign's applications, host's
# applications, sequence. ARGV: host id, application id, approved (0/1), max hosts (−1: none), m pairs.
# Returns {'ok'}, {'not_found'}, {'exists'} or {'full'}.
APPLY = Script(
    ROOM_LUA
    + """
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
    if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
      return {'exists'}
    end
    if ARGV[3] == '1' and full(KEYS[1], tonumber(ARGV[4])) then return {'full'} end
    redis.call('HSET', KEYS[4], unpack(ARGV, 6, 5 + 2 * tonumber(ARGV[5])))
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    local seq = redis.call('INCR', KEYS[7])
    redis.call('ZADD', KEYS[5], seq, ARGV[2])
    redis.call('ZADD', KEYS[6], seq, ARGV[2])
    if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], 'approved', 1) end
    return {'ok'}
    """
)

# KEYS: application, campaign. ARGV: approve (0/1), max hosts (−1: none), decided_at.
# Returns {'ok'}, {'not_found'}, {'decided', status} or {'full'}.
DECIDE = Script(
    ROOM_LUA
    + """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'pending' then return {'decided', status} end
    if ARGV[1] == '1' and full(KEYS[2], tonumber(ARGV[2])) then return {'full'} end
    redis.call('HSET', KEYS[1], 'status', ARGV[1] == '1' and 'approved' or 'rejected', 'decided_at', ARGV[3])
    if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[2], 'approved', 1) end
    return {'ok'}
    """
)

# KEYS: campaign, campaign's invited, campaign's hosts, invitation. ARGV: host id, invitation id, m pairs.
# Returns {'ok'}, {'not_found'} or {'exists'}.
INVITE = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
    if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
      return {'exists'}
    end
    redis.call('HSET', KEYS[4], unpack(ARGV, 4, 3 + 2 * tonumber(ARGV[3])))
    redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
    redis.call('ZADD', KEYS[5], ARGV[4 + 2 * tonumber(ARGV[3])], ARGV[2])
    return {'ok'}
    """
)

# KEYS: invitation, campaign, campaign's hosts, application, campaign's applications, host's applications,
# sequence. ARGV: max hosts (−1: none), host id, application id, m pairs.
# Returns {'ok'}, {'not_found'}, {'decided', status} or {'full'}.
ACCEPT = Script(
    ROOM_LUA
    + """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return {'not_found'} end
    if status ~= 'pending' then return {'decided', status} end
    if full(KEYS[2], tonumber(ARGV[1])) then return {'full'} end
    redis.call('HSET', KEYS[1], 'status', 'accepted')
    redis.call('HSET', KEYS[4], unpack(ARGV, 5, 4 + 2 * tonumber(ARGV[4])))
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
    local seq = redis.call('INCR', KEYS[7])
    redis.call('ZADD', KEYS[5], seq, ARGV[3])
    redis.call('ZADD', KEYS[6], seq, ARGV[3])
    redis.call('HINCRBY', KEYS[2], 'approved', 1)
    return {'ok'}
    """
)

# KEYS: campaign. ARGV: units (positive: take within units_cap; negative: give back, never below 0).
# Returns {'ok', units sold}, {'not_found'} or {'cap', units_cap, units sold}.
UNITS = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
    local sold = tonumber(redis.call('HGET', KEYS[1], 'units_sold') or '0')
    local units = tonumber(ARGV[1])
    local cap = redis.call('HGET', KEYS[1], 'units_cap')
    if units > 0 and cap and sold + units > tonumber(cap) then return {'cap', cap, sold} end
    sold = math.max(0, sold + units)
    redis.call('HSET', KEYS[1], 'units_sold', sold)
    return {'ok', sold}
    """
)

# KEYS: campaign's links, link. ARGV: host id, code, m pairs. Returns {'ok'}, {'existing', code} or {'taken'}.
LINK = Script(
    """
    local existing = redis.call('HGET', KEYS[1], ARGV[1])
    if existing then return {'existing', existing} end
    if redis.call('EXISTS', KEYS[2]) == 1 then return {'taken'} end
    redis.call('HSET', KEYS[2], unpack(ARGV, 4, 3 + 2 * tonumber(ARGV[3])))
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    redis.call('ZADD', KEYS[3], ARGV[4 + 2 * tonumber(ARGV[3])], ARGV[2])
    return {'ok'}
    """
)

CLICK = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
    return redis.call('HINCRBY', KEYS[1], 'clicks', 1)
    """
)

KEEP = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('SADD', KEYS[2], ARGV[1])
    redis.call('HSET', KEYS[3], 'code', ARGV[2], 'at', ARGV[3])
    return 1
    """
)

STOREFRONT = Script(
    """
    if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
    local existing = redis.call('HGET', KEYS[1], 'storefront')
    if existing then return {'existing', existing} end
    redis.call('HSET', KEYS[2], unpack(ARGV, 2))
    redis.call('HSET', KEYS[1], 'storefront', ARGV[1])
    return {'ok'}
    """
)

SCRIPTS = (CREATE, UPDATE, END, APPLY, DECIDE, INVITE, ACCEPT, UNITS, LINK, CLICK, KEEP, STOREFRONT)


def _encode(name: str, value: Any) -> str:
    if name == "product_ids":
        return json.dumps(list(value))
    if name == "open":
        return "1" if value else "0"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _campaign(row: Mapping[str, str]) -> Campaign:
    def when(name: str) -> Any:
        return codec.from_text(row.get(name))

    def number(name: str) -> int | None:
        return None if row.get(name) is None else int(row[name])

    return Campaign(
        id=row["id"], brand_id=row["brand_id"], title=row["title"], brief=row.get("brief", ""),
        product_ids=tuple(json.loads(row["product_ids"])), commission_bps=int(row["commission_bps"]),
        starts_at=when("starts_at"), ends_at=when("ends_at"), open=row["open"] == "1",
        max_hosts=number("max_hosts"), units_cap=number("units_cap"), created_at=when("created_at"),
        ended_at=when("ended_at"), units_sold=int(row.get("units_sold", "0")),
    )  # fmt: skip


def _application_fields(application: Application) -> dict[str, str]:
    return codec.fields(
        id=application.id, campaign_id=application.campaign_id, host_id=application.host_id,
        pitch=application.pitch, status=application.status.value, created_at=application.created_at,
        decided_at=application.decided_at, invited=int(application.invited),
    )  # fmt: skip


def _application(row: Mapping[str, str]) -> Application:
    created = codec.from_text(row["created_at"])
    assert created is not None
    return Application(
        id=row["id"], campaign_id=row["campaign_id"], host_id=row["host_id"], pitch=row.get("pitch", ""),
        status=ApplicationStatus(row["status"]), created_at=created,
        decided_at=codec.from_text(row.get("decided_at")), invited=row.get("invited") == "1",
    )  # fmt: skip


def _max(max_hosts: int | None) -> int:
    return -1 if max_hosts is None else max_hosts


class RedisCampaigns:
    _redis: Redis
    _clock: Clock

    async def _hash(self, key: str) -> dict[str, str]:
        return codec.decoded(await self._redis.hgetall(key))

    async def _hashes(self, names: Sequence[str]) -> list[dict[str, str]]:
        if not names:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(name)
            return [row for row in await pipe.execute() if row]

    async def create_campaign(self, brand_id: str, fields: Mapping[str, Any]) -> Campaign:
        values = {"brief": "", "open": False, **fields}
        campaign_id = new_id("cmp")
        record = {name: _encode(name, value) for name, value in values.items() if value is not None}
        record.update(id=campaign_id, brand_id=brand_id, created_at=_encode("", self._clock.now()), units_sold="0")
        await CREATE(
            self._redis,
            [keys.campaign(campaign_id), keys.campaigns(), keys.brand_campaigns(brand_id), keys.campaigns_seq()],
            [campaign_id, len(record), *codec.pairs(record)],
        )
        return _campaign(record)

    async def get_campaign(self, campaign_id: str) -> Campaign | None:
        row = await self._hash(keys.campaign(campaign_id))
        return _campaign(row) if row else None

    async def list_campaigns(self, brand_id: str | None = None) -> list[Campaign]:
        index = keys.campaigns() if brand_id is None else keys.brand_campaigns(brand_id)
        ids = [str(one) for one in await self._redis.zrevrange(index, 0, -1)]
        return [_campaign(row) for row in await self._hashes([keys.campaign(one) for one in ids])]

    async def update_campaign(self, campaign_id: str, changes: Mapping[str, Any]) -> Campaign:
        names = [name for name in changes if name in _COLUMNS]
        setting = {name: _encode(name, changes[name]) for name in names if changes[name] is not None}
        removing = [name for name in names if changes[name] is None]
        done = await UPDATE(self._redis, [keys.campaign(campaign_id)], [len(setting), *codec.pairs(setting), *removing])
        if not done:
            raise errors.no_such_campaign(campaign_id)
        found = await self.get_campaign(campaign_id)
        assert found is not None
        return found

    async def end_campaign(self, campaign_id: str) -> Campaign:
        if not await END(self._redis, [keys.campaign(campaign_id)], [_encode("", self._clock.now())]):
            raise errors.no_such_campaign(campaign_id)
        found = await self.get_campaign(campaign_id)
        assert found is not None
        return found

    def _application_keys(self, application: Application) -> list[str]:
        return [
            keys.application(application.id),
            keys.campaign_applications(application.campaign_id),
            keys.host_applications(application.host_id),
            keys.campaigns_seq(),
        ]

    async def apply_to_campaign(self, application: Application, max_hosts: int | None) -> Application:
        record = _application_fields(application)
        reply = await APPLY(
            self._redis,
            [
                keys.campaign(application.campaign_id), keys.campaign_hosts(application.campaign_id),
                keys.campaign_invited(application.campaign_id), *self._application_keys(application),
            ],
            [
                application.host_id, application.id, int(application.status is ApplicationStatus.APPROVED),
                _max(max_hosts), len(record), *codec.pairs(record),
            ],
        )  # fmt: skip
        if reply[0] == "not_found":
            raise errors.no_such_campaign(application.campaign_id)
        if reply[0] == "exists":
            raise errors.already_joined(application.campaign_id, application.host_id)
        if reply[0] == "full":
            raise errors.campaign_full(max_hosts)
        return application

    async def decide_application(self, application_id: str, approve: bool, max_hosts: int | None) -> Application:
        found = await self.get_application(application_id)
        if found is None:
            raise errors.no_such_application(application_id)
        reply = await DECIDE(
            self._redis,
            [keys.application(application_id), keys.campaign(found.campaign_id)],
            [int(approve), _max(max_hosts), _encode("", self._clock.now())],
        )
        if reply[0] == "decided":
            raise errors.already_decided("application", str(reply[1]))
        if reply[0] == "full":
            raise errors.campaign_full(max_hosts)
        decided = await self.get_application(application_id)
        assert decided is not None
        return decided

    async def invite_to_campaign(self, invitation: Invitation) -> Invitation:
        record = codec.fields(
            id=invitation.id, campaign_id=invitation.campaign_id, host_id=invitation.host_id,
            status=invitation.status.value, created_at=invitation.created_at,
        )  # fmt: skip
        reply = await INVITE(
            self._redis,
            [
                keys.campaign(invitation.campaign_id), keys.campaign_invited(invitation.campaign_id),
                keys.campaign_hosts(invitation.campaign_id), keys.invitation(invitation.id),
                keys.host_invitations(invitation.host_id),
            ],
            [invitation.host_id, invitation.id, len(record), *codec.pairs(record),
             str(codec.micros(invitation.created_at))],
        )  # fmt: skip
        if reply[0] == "not_found":
            raise errors.no_such_campaign(invitation.campaign_id)
        if reply[0] == "exists":
            raise errors.already_joined(invitation.campaign_id, invitation.host_id)
        return invitation

    async def accept_invitation(self, invitation_id: str, max_hosts: int | None) -> Application:
        invitation = await self.get_invitation(invitation_id)
        if invitation is None:
            raise errors.no_such_invitation(invitation_id)
        now = self._clock.now()
        application = Application(
            new_id("app"), invitation.campaign_id, invitation.host_id, "", ApplicationStatus.APPROVED, now, now, True
        )
        record = _application_fields(application)
        reply = await ACCEPT(
            self._redis,
            [
                keys.invitation(invitation_id), keys.campaign(invitation.campaign_id),
                keys.campaign_hosts(invitation.campaign_id), *self._application_keys(application),
            ],
            [_max(max_hosts), application.host_id, application.id, len(record), *codec.pairs(record)],
        )  # fmt: skip
        if reply[0] == "decided":
            raise errors.already_decided("invitation", str(reply[1]))
        if reply[0] == "full":
            raise errors.campaign_full(max_hosts)
        return application

    async def get_application(self, application_id: str) -> Application | None:
        row = await self._hash(keys.application(application_id))
        return _application(row) if row else None

    async def get_invitation(self, invitation_id: str) -> Invitation | None:
        row = await self._hash(keys.invitation(invitation_id))
        if not row:
            return None
        created = codec.from_text(row["created_at"])
        assert created is not None
        return Invitation(row["id"], row["campaign_id"], row["host_id"], InvitationStatus(row["status"]), created)

    async def host_invitations(self, host_id: str) -> list[Invitation]:
        ids = await self._redis.zrevrange(keys.host_invitations(host_id), 0, -1)
        found = [await self.get_invitation(str(one)) for one in ids]
        return [one for one in found if one is not None]

    async def application_of(self, campaign_id: str, host_id: str) -> Application | None:
        application_id = await self._redis.hget(keys.campaign_hosts(campaign_id), host_id)
        return None if application_id is None else await self.get_application(str(application_id))

    async def _applications(self, index: str, newest_first: bool) -> list[Application]:
        ids = await (self._redis.zrevrange if newest_first else self._redis.zrange)(index, 0, -1)
        return [_application(row) for row in await self._hashes([keys.application(str(one)) for one in ids])]

    async def campaign_applications(self, campaign_id: str) -> list[Application]:
        return await self._applications(keys.campaign_applications(campaign_id), newest_first=False)

    async def host_applications(self, host_id: str) -> list[Application]:
        return await self._applications(keys.host_applications(host_id), newest_first=True)

    async def _units(self, campaign_id: str, units: int) -> int:
        reply = await UNITS(self._redis, [keys.campaign(campaign_id)], [units])
        if reply[0] == "not_found":
            raise errors.no_such_campaign(campaign_id)
        if reply[0] == "cap":
            cap, sold = int(reply[1]), int(reply[2])
            raise errors.units_cap_reached(cap, sold)
        return int(reply[1])

    async def take_campaign_units(self, campaign_id: str, units: int) -> int:
        if units < 1:
            raise ValueError("take at least one unit")
        return await self._units(campaign_id, units)

    async def release_campaign_units(self, campaign_id: str, units: int) -> int:
        return await self._units(campaign_id, -abs(units))

    async def share_link(self, campaign_id: str, host_id: str, code: str) -> ShareLink:
        now = self._clock.now()
        record = codec.fields(code=code, campaign_id=campaign_id, host_id=host_id, created_at=now)
        reply = await LINK(
            self._redis,
            [keys.campaign_links(campaign_id), keys.share_link(code), keys.host_links(host_id)],
            [host_id, code, len(record), *codec.pairs(record), str(codec.micros(now))],
        )
        if reply[0] == "taken":
            raise errors.link_code_taken(code)
        if reply[0] == "existing":
            found = await self.link_by_code(str(reply[1]))
            assert found is not None
            return found
        return ShareLink(code, campaign_id, host_id, now)

    async def link_by_code(self, code: str) -> ShareLink | None:
        row = await self._hash(keys.share_link(code))
        if not row:
            return None
        created = codec.from_text(row["created_at"])
        assert created is not None
        return ShareLink(row["code"], row["campaign_id"], row["host_id"], created, row.get("storefront"))

    async def storefront(self, code: str, title: str) -> Show:
        link = await self.link_by_code(code)
        if link is None:
            raise errors.no_such_link(code)
        show = Show(
            id=new_id(STOREFRONT_PREFIX), host_id=link.host_id, title=title, status=ShowStatus.SCHEDULED,
            scheduled_at=None, started_at=None, ended_at=None, created_at=self._clock.now(),
        )  # fmt: skip
        row = codec.fields(id=show.id, host_id=show.host_id, title=title, status=show.status.value,
                           created_at=show.created_at, link_code=code)  # fmt: skip
        reply = await STOREFRONT(self._redis, [keys.share_link(code), keys.show(show.id)], [show.id, *codec.pairs(row)])
        if reply[0] == "missing":
            raise errors.no_such_link(code)
        if reply[0] == "existing":
            found = codec.decoded(await self._redis.hgetall(keys.show(str(reply[1]))))
            return codec.show(found)
        return show

    async def storefront_link(self, show_id: str) -> ShareLink | None:
        code = await self._redis.hget(keys.show(show_id), "link_code")
        return None if code is None else await self.link_by_code(str(code))

    async def host_links(self, host_id: str) -> list[ShareLink]:
        codes = await self._redis.zrange(keys.host_links(host_id), 0, -1)
        found = [await self.link_by_code(str(code)) for code in codes]
        return [one for one in found if one is not None]

    async def record_link_click(self, code: str) -> int:
        clicks = int(await CLICK(self._redis, [keys.share_link(code)], []))
        if clicks < 0:
            raise errors.no_such_link(code)
        return clicks

    async def keep_attribution(self, viewer_id: str, code: str) -> Attribution:
        link = await self.link_by_code(code)
        if link is None:
            raise errors.no_such_link(code)
        now = self._clock.now()
        kept = await KEEP(
            self._redis,
            [keys.share_link(code), keys.link_viewers(code), keys.viewer_attribution(viewer_id)],
            [viewer_id, code, now.isoformat()],
        )
        if not kept:
            raise errors.no_such_link(code)
        return Attribution(code, link.campaign_id, link.host_id, now)

    async def attribution_of(self, viewer_id: str) -> Attribution | None:
        row = await self._hash(keys.viewer_attribution(viewer_id))
        link = await self.link_by_code(row["code"]) if row else None
        at = codec.from_text(row.get("at")) if row else None
        if link is None or at is None:
            return None
        return Attribution(link.code, link.campaign_id, link.host_id, at)

    async def link_figures(self, code: str) -> tuple[int, int]:
        clicks = await self._redis.hget(keys.share_link(code), "clicks")
        viewers = await self._redis.scard(keys.link_viewers(code))
        return int(clicks or 0), int(viewers)


_COLUMNS = ("title", "brief", "product_ids", "commission_bps", "starts_at", "ends_at", "open", "max_hosts", "units_cap")
