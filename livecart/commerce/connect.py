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
from livecart.domain import attribution, errors, shares
from livecart.domain import campaigns as rules
from livecart.domain.campaigns import (
    Application,
    ApplicationStatus,
    Campaign,
    CampaignStatus,
    Invitation,
    InvitationStatus,
)
from livecart.domain.errors import Conflict, Forbidden, NotApproved
from livecart.domain.ids import new_id
from livecart.domain.models import Account, Role, Show
from livecart.store.base import Store

LINK_CODE_ATTEMPTS = 5


async def campaign_rates(store: Store, host_id: str, now: datetime) -> dict[str, tuple[str, int]]:
    """Product id → (campaign id, commission bps) for what `host_id` sells under a campaign now (it is
    approved and the campaign active); checkout prices those lines with it (docs/commerce.md#campaigns)."""
    applications = await store.host_applications(host_id)
    approved = {one.campaign_id for one in applications if one.status is ApplicationStatus.APPROVED}
    if not approved:
        return {}
    found = [one for one in await asyncio.gather(*(store.get_campaign(cid) for cid in approved)) if one]
    return {product_id: (one.id, one.commission_bps) for product_id, one in rules.rates(found, approved, now).items()}
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
    async def add_to_lineup(self, host: Account, show: Show, campaign_id: str, product_id: str) -> bool:
        """Feature a campaign product in the host's show: only while approved and the campaign is active."""
        if show.host_id != host.id:
            raise Forbidden("only the show's host may change its lineup")
        found = await self._campaign(campaign_id)
        application = await self.store.application_of(campaign_id, host.id)
        status = None if application is None else application.status
        rules.check_lineup_add(found, product_id, host.id, status, self.clock.now())
        return await self.store.add_to_lineup(show.id, product_id)

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
