"""Connect service: campaigns, applications, invitations, share links and co-hosts, over the store and the
clock (docs/commerce.md#campaigns). Each method is one request's work, after authentication: it checks
who may do it, applies the pure rules (domain/campaigns.py, shares.py, attribution.py) and makes the
atomic store call. HTTP handlers only translate a request into one of these calls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from livecart.clock import Clock
from livecart.domain import attribution, errors, performance, shares
from livecart.domain import campaigns as rules
from livecart.domain.campaigns import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Invitation,
    InvitationStatus,
)
from livecart.domain.commerce import Order
from livecart.domain.errors import Conflict, Forbidden, NotApproved, NotAttributed
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Product, Role, Show, ShowStatus
from livecart.store.base import Store

LINK_CODE_ATTEMPTS = 5


async def campaign_rates(store: Store, host_id: str, now: datetime) -> dict[str, tuple[str, int]]:
    """Product id → (campaign id, commission bps) for what `host_id` sells under a campaign now (it is
    approved and the campaign active); checkout prices those lines with it (docs/commerce.md#campaigns)."""
    return await rates_of(store, await store.host_applications(host_id), now)


async def rates_of(store: Store, applications: list[Application], now: datetime) -> dict[str, tuple[str, int]]:
    """`campaign_rates` from the host's applications already read (checkout reads them with its cart)."""
    approved = {one.campaign_id for one in applications if one.status is ApplicationStatus.APPROVED}
    if not approved:
        return {}
    found = [one for one in await asyncio.gather(*(store.get_campaign(cid) for cid in approved)) if one]
    return {product_id: (one.id, one.commission_bps) for product_id, one in rules.rates(found, approved, now).items()}


async def active_cohosts(store: Store, show_id: str) -> frozenset[str]:
    """Ids of the show's active co-hosts: they get its host's studio controls (`Show.hosted_by`)."""
    return frozenset(one.host_id for one in await store.cohosts(show_id) if one.status is shares.CohostStatus.ACTIVE)


async def may_host(store: Store, show: Show, account: Account) -> bool:
    """The show's host, an active co-host of it, or admin (pins, moderation, selling formats, lineup)."""
    if show.hosted_by(account):
        return True
    return account.role is Role.HOST and show.hosted_by(account, await active_cohosts(store, show.id))


PAGE_MAX = 100


class Connect:
    def __init__(self, store: Store, clock: Clock, *, attribution_days: int) -> None:
        self.store = store
        self.clock = clock
        self.attribution_days = attribution_days

    # -- campaigns ------------------------------------------------------------------------------------
    async def _own_campaign(self, brand: Account, campaign_id: str) -> Campaign:
        found = await self.store.get_campaign(campaign_id)
        if found is None:
            raise errors.no_such_campaign(campaign_id)
        if brand.role is not Role.ADMIN and found.brand_id != brand.id:
            raise Forbidden("only the campaign's brand may do this")
        return found

    async def _check_products(self, brand_id: str, product_ids: tuple[str, ...]) -> None:
        for product_id in product_ids:
            product = await self.store.get_product(product_id)
            if product is None or product.brand_id != brand_id:
                raise errors.invalid_field("product_ids", "a campaign offers the brand's own products")

    async def create_campaign(self, brand: Account, body: Mapping[str, Any]) -> Campaign:
        fields = rules.check_fields(body)
        await self._check_products(brand.id, fields["product_ids"])
        return await self.store.create_campaign(brand.id, fields)

    async def update_campaign(self, brand: Account, campaign_id: str, body: Mapping[str, Any]) -> Campaign:
        found = await self._own_campaign(brand, campaign_id)
        rules.check_not_ended(found, self.clock.now())
        changes = rules.check_fields(body, partial=True)
        if changes.get("starts_at", found.starts_at) >= changes.get("ends_at", found.ends_at):
            raise errors.invalid_field("ends_at", "ends_at must be after starts_at")
        if "product_ids" in changes:
            await self._check_products(found.brand_id, changes["product_ids"])
        return await self.store.update_campaign(campaign_id, changes)

    async def end_campaign(self, brand: Account, campaign_id: str) -> Campaign:
        await self._own_campaign(brand, campaign_id)
        return await self.store.end_campaign(campaign_id)

    async def browse(
        self,
        *,
        status: CampaignStatus | None = None,
        q: str = "",
        brand_id: str | None = None,
        limit: int = 20,
        before: str | None = None,
    ) -> tuple[list[Campaign], str | None]:
        """A page of campaigns, newest first, and the `before` of the next page (None: the last page)."""
        if not 1 <= limit <= PAGE_MAX:
            raise errors.invalid_field("limit", f"limit must be from 1 to {PAGE_MAX}")
        now, words = self.clock.now(), q.casefold().split()
        found = [
            one
            for one in await self.store.list_campaigns(brand_id)
            if (status is None or one.status(now) is status)
            and all(word in f"{one.title} {one.brief}".casefold() for word in words)
        ]
        if before is not None:
            ids = [one.id for one in found]
            if before not in ids:
                raise errors.invalid_field("before", "before must be the id of a campaign of the previous page")
            found = found[ids.index(before) + 1 :]
        page = found[:limit]
        return page, page[-1].id if len(found) > limit else None

    # -- applications and invitations -----------------------------------------------------------------
    async def _campaign(self, campaign_id: str) -> Campaign:
        found = await self.store.get_campaign(campaign_id)
        if found is None:
            raise errors.no_such_campaign(campaign_id)
        return found

    async def apply(self, host: Account, campaign_id: str, pitch: str) -> Application:
        found = await self._campaign(campaign_id)
        rules.check_not_ended(found, self.clock.now())
        if not isinstance(pitch, str) or len(pitch) > rules.BRIEF_MAX:
            raise errors.invalid_field("pitch", f"pitch must be text of at most {rules.BRIEF_MAX} characters")
        application = Application(
            new_id("app"), found.id, host.id, pitch.strip(), rules.first_status(found), self.clock.now()
        )
        return await self.store.apply_to_campaign(application, found.max_hosts)

    async def decide(self, brand: Account, application_id: str, approve: bool) -> Application:
        application = await self.store.get_application(application_id)
        if application is None:
            raise errors.no_such_application(application_id)
        found = await self._own_campaign(brand, application.campaign_id)
        return await self.store.decide_application(application_id, approve, found.max_hosts)

    async def invite(self, brand: Account, campaign_id: str, host_id: str) -> Invitation:
        found = await self._own_campaign(brand, campaign_id)
        rules.check_not_ended(found, self.clock.now())
        host = await self.store.get_account(host_id)
        if host is None or host.role is not Role.HOST:
            raise errors.invalid_field("host_id", "invite a host account")
        invitation = Invitation(new_id("inv"), found.id, host.id, InvitationStatus.PENDING, self.clock.now())
        return await self.store.invite_to_campaign(invitation)

    async def accept(self, host: Account, invitation_id: str) -> Application:
        invitation = await self.store.get_invitation(invitation_id)
        if invitation is None or invitation.host_id != host.id:
            raise errors.no_such_invitation(invitation_id)
        found = await self._campaign(invitation.campaign_id)
        rules.check_not_ended(found, self.clock.now())
        return await self.store.accept_invitation(invitation_id, found.max_hosts)

    # -- selling ----------------------------------------------------------------------------------------
    async def add_to_lineup(self, account: Account, show: Show, product: Product, campaign_id: str | None) -> bool:
        """Feature a product in the show's lineup (`POST /api/shows/{id}/lineup`): its host, an active
        co-host or admin. A product offered by an active campaign may be added only by a show whose host is
        approved for one (`403 not_approved`); with `campaign_id`, that campaign is checked: the product is
        its own, the host approved, the campaign active (`409 campaign_not_active`)."""
        if not await may_host(self.store, show, account):
            raise Forbidden("only the show's host may change its lineup")
        now = self.clock.now()
        if campaign_id is not None:
            found = await self._campaign(campaign_id)
            application = await self.store.application_of(campaign_id, show.host_id)
            status = None if application is None else application.status
            rules.check_lineup_add(found, product.id, show.host_id, status, now)
        else:
            offering = [
                one for one in await self.store.list_campaigns(product.brand_id)
                if product.id in one.product_ids and one.status(now) is CampaignStatus.ACTIVE
            ]  # fmt: skip
            if offering:
                approved = {one.campaign_id for one in await self.store.host_applications(show.host_id)
                            if one.status is ApplicationStatus.APPROVED}  # fmt: skip
                if not approved & {one.id for one in offering}:
                    raise NotApproved(
                        "this product is offered through a campaign: apply to it first",
                        campaign_id=offering[0].id, campaign_ids=[one.id for one in offering],
                    )  # fmt: skip
        return await self.store.add_to_lineup(show.id, product.id)

    async def link(self, host: Account, campaign_id: str) -> attribution.ShareLink:
        """The host's share link for the campaign (made on first request); approved hosts only."""
        application = await self.store.application_of(campaign_id, host.id)
        if application is None or application.status is not ApplicationStatus.APPROVED:
            raise NotApproved("only hosts approved for this campaign get its link", campaign_id=campaign_id)
        for _ in range(LINK_CODE_ATTEMPTS):
            try:
                return await self.store.share_link(campaign_id, host.id, attribution.new_code())
            except Conflict:
                continue  # the code was taken by another link: draw again
        raise Conflict("could not draw a free link code; try again", retry=True)

    async def follow(self, code: str) -> attribution.Attribution | None:
        """A viewer arrived through `/l/{code}`: the attribution to keep with the viewer (None: no link)."""
        if not attribution.valid_code(code):
            return None
        found = await self.store.link_by_code(code)
        if found is None:
            return None
        return attribution.Attribution(found.code, found.campaign_id, found.host_id, self.clock.now())

    async def visit(self, code: str) -> tuple[attribution.ShareLink, str]:
        """`GET /l/{code}`: count the click and say where it leads — the host's live show, else its latest
        replay of a show that featured the campaign, else the campaign's first product on livecart.
        Raises NotFound for an unknown (or malformed) code."""
        found = await self.store.link_by_code(code) if attribution.valid_code(code) else None
        if found is None:
            raise errors.no_such_link(code)
        await self.store.record_link_click(code)
        campaign = await self._campaign(found.campaign_id)
        shows = [show for show in await self.store.list_shows() if show.host_id == found.host_id]
        live = [show for show in shows if show.status is ShowStatus.LIVE]
        if live:
            return found, f"/watch/{live[0].id}"
        # an ended show that went live has a recording: its replay (the replay page is /replay/{id})
        ended = [show for show in shows if show.status is ShowStatus.ENDED and show.started_at is not None]
        for show in ended:  # list_shows: the latest ended first
            lineup = {product.id for product in await self.store.lineup(show.id)}
            if lineup & set(campaign.product_ids):
                return found, f"/replay/{show.id}"
        return found, f"/p/{campaign.product_ids[0]}?c={campaign.id}"

    async def keep(self, viewer: Account, code: str) -> tuple[attribution.Attribution, Show]:
        """Keep the link's attribution with the viewer's account (`POST /api/attributions`); returns it and
        the link's storefront, where the viewer buys the campaign's products outside a show."""
        if viewer.role is not Role.VIEWER:
            raise Forbidden("only viewers are attributed to a link", role=viewer.role.value)
        if not attribution.valid_code(code):
            raise errors.no_such_link(code)
        held = await self.store.keep_attribution(viewer.id, code)
        return held, await self.storefront(held.code)

    async def storefront(self, code: str) -> Show:
        """The link's storefront (made on first use), with the campaign's products in its lineup and pinned
        while the host is approved and the campaign active, so they can go in its carts."""
        link = await self.store.link_by_code(code)
        if link is None:
            raise errors.no_such_link(code)
        found = await self._campaign(link.campaign_id)
        host = await self.store.get_account(link.host_id)
        show = await self.store.storefront(code, f"{found.title} · {host.name if host else link.host_id}")
        application = await self.store.application_of(found.id, link.host_id)
        approved = application is not None and application.status is ApplicationStatus.APPROVED
        if approved and found.status(self.clock.now()) is CampaignStatus.ACTIVE:
            pinned = {pin.product.id for pin in await self.store.active_pins(show.id)}
            for product_id in found.product_ids:
                if await self.store.get_product(product_id) is None:
                    continue
                await self.store.add_to_lineup(show.id, product_id)
                if product_id not in pinned:
                    await self.store.pin_product(show.id, product_id)
        return show

    async def check_buyer(self, viewer: Account, show: Show) -> None:
        """Buying in a link's storefront needs the viewer's attribution to that link, within
        LIVECART_ATTRIBUTION_DAYS (`409 not_attributed`); any show is open to everyone as before."""
        if not attribution.is_storefront(show.id):
            return
        link = await self.store.storefront_link(show.id)
        held = await self.attribution_of(viewer)
        if link is None or held is None or held.code != link.code:
            raise NotAttributed(
                "buying here needs this share link's attribution (follow the link again)", show_id=show.id
            )

    async def attribution_of(self, viewer: Account) -> attribution.Attribution | None:
        """The viewer's attribution while it lasts (LIVECART_ATTRIBUTION_DAYS), else None."""
        held = await self.store.attribution_of(viewer.id)
        if held is None or not held.live(self.clock.now(), self.attribution_days):
            return None
        return held

    async def links(self, host: Account) -> list[attribution.ShareLink]:
        return await self.store.host_links(host.id)

    # -- performance ------------------------------------------------------------------------------------
    async def performance(self, account: Account, campaign_id: str) -> list[performance.HostPerformance]:
        """Per approved host (and any host that sold under the campaign): the campaign's figures. The
        campaign's brand and admin see every host; an approved host its own row."""
        found = await self._campaign(campaign_id)
        if account.role is Role.HOST:
            mine = await self.store.application_of(campaign_id, account.id)
            if mine is None or mine.status is not ApplicationStatus.APPROVED:
                raise NotApproved("only hosts approved for this campaign see its performance", campaign_id=campaign_id)
        elif account.role is not Role.ADMIN and found.brand_id != account.id:
            raise Forbidden("only the campaign's brand, its hosts and admin see its performance")
        host_ids = [one.host_id for one in await self.store.campaign_applications(campaign_id)
                    if one.status is ApplicationStatus.APPROVED]  # fmt: skip
        if account.role is Role.HOST:
            host_ids = [account.id]
        products = set(found.product_ids)
        all_shows = await self.store.list_shows()
        rows = []
        for host_id in host_ids:
            host = await self.store.get_account(host_id)
            viewers: dict[str, int] = {}
            orders = []
            for show in all_shows:
                if show.host_id != host_id:
                    continue
                if products & {product.id for product in await self.store.lineup(show.id)}:
                    viewers[show.id] = (await self.store.audience(show.id)).peak_viewers
                    orders.extend(await self.store.show_orders(show.id))
            link = next((one for one in await self.store.host_links(host_id) if one.campaign_id == campaign_id), None)
            figures = None
            if link is not None:
                clicks, link_viewers = await self.store.link_figures(link.code)
                sold = await self._storefront_orders(link.code)
                orders.extend(sold)
                sales = performance.link_sales(campaign_id, sold)
                figures = performance.LinkFigures(link.code, clicks, link_viewers, sales)
            rows.append(performance.host_performance(
                campaign_id, host_id, host.name if host else "", viewers, orders, figures
            ))  # fmt: skip
        return rows

    async def credit(
        self, held: attribution.Attribution | None, product_id: str, show_host_id: str | None
    ) -> attribution.Credit:
        """Who a purchase of `product_id` credits (`source` show | link | direct)."""
        products: tuple[str, ...] = ()
        if held is not None:
            found = await self.store.get_campaign(held.campaign_id)
            products = () if found is None else found.product_ids
        return attribution.credit(
            show_host_id=show_host_id, attribution=held, campaign_products=products, product_id=product_id,
            now=self.clock.now(), days=self.attribution_days,
        )  # fmt: skip

    async def _storefront_orders(self, code: str) -> list[Order]:
        """The orders placed in the link's storefront (none before it was opened)."""
        link = await self.store.link_by_code(code)
        if link is None or link.storefront_show_id is None:
            return []
        return await self.store.show_orders(link.storefront_show_id)

    # -- co-hosts ---------------------------------------------------------------------------------------
    async def invite_cohost(self, host: Account, show: Show, cohost_id: str, share_bps: int) -> shares.Cohost:
        if show.host_id != host.id:
            raise Forbidden("only the show's host may invite co-hosts")
        cohost = await self.store.get_account(cohost_id)
        if cohost is None or cohost.role is not Role.HOST:
            raise errors.invalid_field("host_id", "a co-host is a host account")
        current = [shares.Share(c.host_id, c.share_bps) for c in await self.store.cohosts(show.id)]
        shares.check_new_share(show.host_id, current, cohost_id, share_bps)
        return await self.store.invite_cohost(show.id, cohost_id, share_bps)

    async def accept_cohost(self, host: Account, show: Show) -> shares.Cohost:
        return await self.store.accept_cohost(show.id, host.id)

    async def cohosts(self, account: Account, show: Show) -> list[shares.Cohost]:
        """The show's co-hosts: for its host, its co-hosts (any status) and admin."""
        found = await self.store.cohosts(show.id)
        if not show.hosted_by(account) and all(one.host_id != account.id for one in found):
            raise Forbidden("only the show's host and its co-hosts see its co-hosts")
        return found
