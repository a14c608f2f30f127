"""Campaign performance: per host, what its shows and its share link sold of one campaign
(`GET /api/campaigns/{id}/performance`, docs/commerce.md#campaign-performance).

Only order lines sold under the campaign (`campaign_id` on the line) count; paid orders only. Money is
per currency (a campaign's products may be priced in several); `conversion` = buyers / viewers reached
(0 when nobody was reached).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from livecart.domain.commerce import Order, OrderStatus


@dataclass(frozen=True)
class LinkFigures:
    code: str
    clicks: int  # every GET /l/{code}
    viewers: int  # distinct signed-in viewers who kept the attribution
    sales: int  # paid orders credited through the link (source "link")

    def public(self) -> dict[str, Any]:
        return {"code": self.code, "url": f"/l/{self.code}", "clicks": self.clicks, "viewers": self.viewers,
                "sales": self.sales}  # fmt: skip


@dataclass
class HostPerformance:
    host_id: str
    host_name: str
    shows: int = 0
    viewers_reached: int = 0
    orders: int = 0
    units: int = 0
    buyers: set[str] = field(default_factory=set)
    money: dict[str, dict[str, int]] = field(default_factory=dict)  # currency → gmv/refunds/commission
    link: LinkFigures | None = None

    def public(self) -> dict[str, Any]:
        gmv = [
            {
                "currency": currency,
                "gmv_cents": figures["gmv_cents"],
                "refunds_cents": figures["refunds_cents"],
                "net_gmv_cents": figures["gmv_cents"] - figures["refunds_cents"],
                "commission_cents": figures["commission_cents"],
            }
            for currency, figures in sorted(self.money.items())
        ]
        return {
            "host_id": self.host_id,
            "host_name": self.host_name,
            "shows": self.shows,
            "viewers_reached": self.viewers_reached,
            "orders": self.orders,
            "units": self.units,
            "buyers": len(self.buyers),
            "money": gmv,
            "conversion": round(len(self.buyers) / self.viewers_reached, 4) if self.viewers_reached else 0.0,
            "link": None if self.link is None else self.link.public(),
        }


def host_performance(
    campaign_id: str,
    host_id: str,
    host_name: str,
    show_viewers: Mapping[str, int],
    orders: Iterable[Order],
    link: LinkFigures | None,
) -> HostPerformance:
    """One host's row. `show_viewers`: show id → peak viewers, for the host's shows that featured a product
    of the campaign; `orders`: the host's orders (its shows' and its link's) — lines of other campaigns
    and unpaid orders are left out. Commission is the line's whole commission (co-host parts included)
    less what refunds reversed in proportion."""
    row = HostPerformance(host_id, host_name, shows=len(show_viewers), viewers_reached=sum(show_viewers.values()))
    row.link = link
    for order in orders:
        if order.status is not OrderStatus.PAID:
            continue
        lines = [line for line in order.lines if line.campaign_id == campaign_id]
        if not lines:
            continue
        row.orders += 1
        row.buyers.add(order.buyer_id)
        figures = row.money.setdefault(order.currency, {"gmv_cents": 0, "refunds_cents": 0, "commission_cents": 0})
        for line in lines:
            row.units += line.qty
            figures["gmv_cents"] += line.line_total_cents
            figures["refunds_cents"] += line.refunded_cents
            kept = line.commission_cents - line.commission_cents * line.refunded_qty // line.qty
            figures["commission_cents"] += kept
    return row


def link_sales(campaign_id: str, orders: Iterable[Order]) -> int:
    """Paid orders with a line sold under the campaign (a link's storefront's orders)."""
    return sum(
        1
        for order in orders
        if order.status is OrderStatus.PAID and any(line.campaign_id == campaign_id for line in order.lines)
    )


def rows_for(viewer_id: str | None, rows: Sequence[HostPerformance]) -> list[HostPerformance]:
    """The brand (viewer_id None) sees every host; a host sees its own row only."""
    return [row for row in rows if viewer_id is None or row.host_id == viewer_id]
