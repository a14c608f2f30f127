"""Connect over HTTP: campaigns, applications, invitations, share links (`/l/{code}`), attribution, co-hosts
and campaign performance. Handlers translate a request into one call on the Connect service
(livecart/commerce/connect.py) and its answer into a response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from aiohttp import web
from pydantic import AfterValidator, Field, StrictBool, StrictInt

from livecart import keys
from livecart.api.orders import page_limit
from livecart.api.schemas import Id, _aware
from livecart.api.shows import show_or_404
from livecart.domain import errors
from livecart.domain.attribution import Attribution, ShareLink
from livecart.domain.campaigns import CampaignStatus
from livecart.domain.errors import BadRequest, Forbidden, NotFound
from livecart.domain.models import Account, Role, rfc3339
from livecart.http.auth import require
from livecart.http.parsing import Body, parse

routes = web.RouteTableDef()

When = Annotated[datetime, AfterValidator(_aware)]


class CampaignBody(Body):
    """Types only: the rules (required fields, ranges, dates in order) are domain/campaigns.check_fields'."""

    title: str | None = None
    brief: str | None = None
    product_ids: list[str] | None = None
    commission_bps: StrictInt | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    open: StrictBool | None = None
    max_hosts: StrictInt | None = None
    units_cap: StrictInt | None = None


class ApplicationBody(Body):
    pitch: Annotated[str, Field(max_length=5000)] = ""


class InvitationBody(Body):
    host_id: Id


class CohostBody(Body):
    host_id: Id
    share_bps: StrictInt


class AttributionBody(Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]


def connect_of(request: web.Request) -> Any:
    return request.app[keys.SERVICES].connect


def now_of(request: web.Request) -> datetime:
    return request.app[keys.SERVICES].clock.now()


async def brand(request: web.Request) -> Account:
    account = await require(request, Role.BRAND)
    return account


async def host(request: web.Request) -> Account:
    account = await require(request, Role.HOST)
    if account.role is not Role.HOST:
        raise Forbidden("only a host may do this", role=account.role.value)
    return account


def link_body(link: ShareLink) -> dict[str, Any]:
    return {"code": link.code, "url": f"/l/{link.code}", "campaign_id": link.campaign_id, "host_id": link.host_id,
            "created_at": rfc3339(link.created_at)}  # fmt: skip


def attribution_body(held: Attribution, days: int) -> dict[str, Any]:
    return {"code": held.code, "campaign_id": held.campaign_id, "host_id": held.host_id, "at": rfc3339(held.at),
            "expires_at": rfc3339(held.expires_at(days))}  # fmt: skip


# -- campaigns ------------------------------------------------------------------------------------------
@routes.post("/api/campaigns")
async def create_campaign(request: web.Request) -> web.Response:
    account = await brand(request)
    if account.role is not Role.BRAND:
        raise Forbidden("only a brand publishes campaigns", role=account.role.value)
    body = await parse(request, CampaignBody)
    campaign = await connect_of(request).create_campaign(account, body.model_dump(exclude_unset=True))
    return web.json_response(campaign.public(now_of(request)), status=201)


@routes.get("/api/campaigns")
async def list_campaigns(request: web.Request) -> web.Response:
    await require(request, Role.HOST, Role.BRAND, Role.VIEWER)
    query = request.query
    status = None
    if query.get("status"):
        try:
            status = CampaignStatus(query["status"])
        except ValueError:
            raise BadRequest("status is not valid", fields={"status": "draft, active or ended"}) from None
    limit = page_limit(request) if "limit" in query else 20
    page, after = await connect_of(request).browse(
        status=status, q=query.get("q", ""), brand_id=query.get("brand_id") or None, limit=limit,
        before=query.get("before") or None,
    )  # fmt: skip
    now = now_of(request)
    return web.json_response({"campaigns": [one.public(now) for one in page], "next_before": after})


async def campaign_or_404(request: web.Request) -> Any:
    campaign_id = request.match_info["campaign_id"]
    found = await request.app[keys.SERVICES].store.get_campaign(campaign_id)
    if found is None:
        raise errors.no_such_campaign(campaign_id)
    return found


@routes.get("/api/campaigns/{campaign_id}")
async def get_campaign(request: web.Request) -> web.Response:
    await require(request, Role.HOST, Role.BRAND, Role.VIEWER)
    return web.json_response((await campaign_or_404(request)).public(now_of(request)))


@routes.patch("/api/campaigns/{campaign_id}")
async def update_campaign(request: web.Request) -> web.Response:
    account = await brand(request)
    body = await parse(request, CampaignBody)
    campaign = await connect_of(request).update_campaign(
        account, request.match_info["campaign_id"], body.model_dump(exclude_unset=True)
    )
    return web.json_response(campaign.public(now_of(request)))


@routes.post("/api/campaigns/{campaign_id}/end")
async def end_campaign(request: web.Request) -> web.Response:
    account = await brand(request)
    campaign = await connect_of(request).end_campaign(account, request.match_info["campaign_id"])
    return web.json_response(campaign.public(now_of(request)))


# -- applications and invitations --------------------------------------------------------------------------
@routes.post("/api/campaigns/{campaign_id}/applications")
async def apply(request: web.Request) -> web.Response:
    account = await host(request)
    body = await parse(request, ApplicationBody)
    application = await connect_of(request).apply(account, request.match_info["campaign_id"], body.pitch)
    return web.json_response(application.public(), status=201)


@routes.get("/api/campaigns/{campaign_id}/applications")
async def campaign_applications(request: web.Request) -> web.Response:
    account = await brand(request)
    campaign = await campaign_or_404(request)
    if account.role is not Role.ADMIN and campaign.brand_id != account.id:
        raise Forbidden("only the campaign's brand reads its applications")
    store = request.app[keys.SERVICES].store
    found = []
    for one in await store.campaign_applications(campaign.id):
        applicant = await store.get_account(one.host_id)
        found.append({**one.public(), "host_name": applicant.name if applicant else None})
    return web.json_response({"applications": found})


async def _decide(request: web.Request, approve: bool) -> web.Response:
    account = await brand(request)
    application = await connect_of(request).decide(account, request.match_info["application_id"], approve)
    return web.json_response(application.public())


@routes.post("/api/applications/{application_id}/approve")
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, True)


@routes.post("/api/applications/{application_id}/reject")
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, False)


async def own_host(request: web.Request) -> Account:
    """The host named in the path, read by itself or admin."""
    account = await require(request, Role.HOST)
    host_id = request.match_info["host_id"]
    if account.role is not Role.ADMIN and account.id != host_id:
        raise Forbidden("a host reads only its own")
    found = await request.app[keys.SERVICES].store.get_account(host_id)
    if found is None or found.role is not Role.HOST:
        raise NotFound("no such host", host_id=host_id)
    result: Account = found
    return result


@routes.get("/api/hosts/{host_id}/applications")
async def host_applications(request: web.Request) -> web.Response:
    account = await own_host(request)
    services = request.app[keys.SERVICES]
    links = {one.campaign_id: one for one in await services.store.host_links(account.id)}
    found = []
    for one in await services.store.host_applications(account.id):
        campaign = await services.store.get_campaign(one.campaign_id)
        link = links.get(one.campaign_id)
        found.append({
            **one.public(),
            "campaign": None if campaign is None else campaign.public(services.clock.now()),
            "link": None if link is None else link_body(link),
        })  # fmt: skip
    return web.json_response({"applications": found})


@routes.get("/api/hosts/{host_id}/invitations")
async def host_invitations(request: web.Request) -> web.Response:
    account = await own_host(request)
    services = request.app[keys.SERVICES]
    found = []
    for one in await services.store.host_invitations(account.id):
        campaign = await services.store.get_campaign(one.campaign_id)
        found.append({**one.public(), "campaign": None if campaign is None else campaign.public(services.clock.now())})
    return web.json_response({"invitations": found})


@routes.post("/api/campaigns/{campaign_id}/invitations")
async def invite(request: web.Request) -> web.Response:
    account = await brand(request)
    body = await parse(request, InvitationBody)
    invitation = await connect_of(request).invite(account, request.match_info["campaign_id"], body.host_id)
    return web.json_response(invitation.public(), status=201)


@routes.post("/api/invitations/{invitation_id}/accept")
async def accept(request: web.Request) -> web.Response:
    account = await host(request)
    application = await connect_of(request).accept(account, request.match_info["invitation_id"])
    return web.json_response(application.public())


# -- share links and attribution ---------------------------------------------------------------------------
@routes.post("/api/campaigns/{campaign_id}/link")
async def share_link(request: web.Request) -> web.Response:
    account = await host(request)
    link = await connect_of(request).link(account, request.match_info["campaign_id"])
    return web.json_response(link_body(link), status=201)


@routes.get("/l/{code}")
async def follow_link(request: web.Request) -> web.Response:
    """The short link: count the click and redirect (302) to the host's live show, its replay, or the
    campaign's product page, with `?via={code}` for the page to keep the attribution (js/attribution.js)."""
    code = request.match_info["code"]
    link, target = await connect_of(request).visit(code)
    joiner = "&" if "?" in target else "?"
    raise web.HTTPFound(f"{target}{joiner}via={quote(link.code)}")


@routes.post("/api/attributions")
async def keep_attribution(request: web.Request) -> web.Response:
    account = await require(request, Role.VIEWER)
    body = await parse(request, AttributionBody)
    held, storefront = await connect_of(request).keep(account, body.code)
    days = request.app[keys.SETTINGS].attribution_days
    return web.json_response({**attribution_body(held, days), "storefront_show_id": storefront.id}, status=201)


@routes.get("/api/me/attribution")
async def my_attribution(request: web.Request) -> web.Response:
    account = await require(request, Role.VIEWER)
    held = await connect_of(request).attribution_of(account)
    days = request.app[keys.SETTINGS].attribution_days
    return web.json_response({"attribution": None if held is None else attribution_body(held, days)})


# -- performance --------------------------------------------------------------------------------------------
@routes.get("/api/campaigns/{campaign_id}/performance")
async def campaign_performance(request: web.Request) -> web.Response:
    account = await require(request, Role.BRAND, Role.HOST)
    campaign_id = request.match_info["campaign_id"]
    rows = await connect_of(request).performance(account, campaign_id)
    return web.json_response({"campaign_id": campaign_id, "hosts": [row.public() for row in rows]})


# -- co-hosts -----------------------------------------------------------------------------------------------
@routes.post("/api/shows/{show_id}/cohosts")
async def invite_cohost(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    body = await parse(request, CohostBody)
    cohost = await connect_of(request).invite_cohost(account, show, body.host_id, body.share_bps)
    return web.json_response(cohost.public(), status=201)


@routes.post("/api/shows/{show_id}/cohosts/accept")
async def accept_cohost(request: web.Request) -> web.Response:
    account = await host(request)
    show = await show_or_404(request)
    cohost = await connect_of(request).accept_cohost(account, show)
    return web.json_response(cohost.public())


@routes.get("/api/shows/{show_id}/cohosts")
async def list_cohosts(request: web.Request) -> web.Response:
    account = await require(request, Role.HOST)
    show = await show_or_404(request)
    store = request.app[keys.SERVICES].store
    found = []
    for one in await connect_of(request).cohosts(account, show):
        cohost = await store.get_account(one.host_id)
        found.append({**one.public(), "host_name": cohost.name if cohost else None})
    return web.json_response({"show_id": show.id, "host_id": show.host_id, "cohosts": found})
