"""The pages' payload types (livecart/static/js/protocol.js) read as data, and a checker of a value against
one of them: used by tests/test_web_protocol.py and by the browser tests' reply recorder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from livecart.web import STATIC_DIR

PROTOCOL_JS = STATIC_DIR / "js" / "protocol.js"
# Errors carry details that depend on their code: the typedef lists the ones the pages read.
OPEN_TYPES = frozenset({"ApiErrorInfo", "AckError"})

# The reply type of each API call the pages make and read (method, path pattern), from protocol.js.
REPLY_TYPES = [
    ("GET", r"/api/me", "Account"),
    ("POST", r"/api/viewers", "NewAccount"),
    ("GET", r"/api/shows", "ShowList"),
    ("GET", r"/api/shows/[^/]+", "ShowDetail"),
    ("GET", r"/api/products", "ProductList"),
    ("PATCH", r"/api/products/[^/]+", "Product"),
    ("GET", r"/api/shows/[^/]+/cart", "Cart"),
    ("POST", r"/api/shows/[^/]+/cart/items", "Cart"),
    ("PATCH", r"/api/shows/[^/]+/cart/items/[^/]+", "Cart"),
    ("POST", r"/api/shows/[^/]+/checkout", "Order"),
    ("GET", r"/api/hosts/[^/]+/earnings", "Earnings"),
    ("GET", r"/api/shows/[^/]+/stats", "ShowStats"),
    ("GET", r"/api/shows/[^/]+/orders", "BrandOrderPage"),
    ("POST", r"/api/orders/[^/]+/refund", "RefundReply"),
    ("POST", r"/api/shows", "Show"),
    ("POST", r"/api/shows/[^/]+/lineup", "LineupAdded"),
    ("GET", r"/api/campaigns", "CampaignList"),
    ("POST", r"/api/campaigns", "Campaign"),
    ("PATCH", r"/api/campaigns/[^/]+", "Campaign"),
    ("POST", r"/api/campaigns/[^/]+/end", "Campaign"),
    ("POST", r"/api/campaigns/[^/]+/applications", "Application"),
    ("GET", r"/api/campaigns/[^/]+/applications", "CampaignApplicationList"),
    ("POST", r"/api/applications/[^/]+/(approve|reject)", "Application"),
    ("GET", r"/api/hosts/[^/]+/applications", "HostApplicationList"),
    ("GET", r"/api/hosts/[^/]+/invitations", "HostInvitationList"),
    ("POST", r"/api/campaigns/[^/]+/invitations", "Invitation"),
    ("POST", r"/api/invitations/[^/]+/accept", "Application"),
    ("POST", r"/api/campaigns/[^/]+/link", "ShareLink"),
    ("POST", r"/api/attributions", "Attribution"),
    ("GET", r"/api/campaigns/[^/]+/performance", "CampaignPerformance"),
    ("POST", r"/api/shows/[^/]+/cohosts", "Cohost"),
    ("POST", r"/api/shows/[^/]+/cohosts/accept", "Cohost"),
    ("GET", r"/api/shows/[^/]+/cohosts", "CohostList"),
    ("GET", r"/api/hosts/[^/]+/balance", "BalanceList"),
    ("GET", r"/api/hosts/[^/]+/payouts", "PayoutList"),
    ("GET", r"/api/auctions/[^/]+", "Auction"),
    ("POST", r"/api/shows/[^/]+/auctions", "Auction"),
    ("DELETE", r"/api/auctions/[^/]+", "Auction"),
    ("POST", r"/api/auctions/[^/]+/checkout", "Order"),
    ("POST", r"/api/shows/[^/]+/deals", "Deal"),
    ("GET", r"/api/deals/[^/]+", "Deal"),
    ("DELETE", r"/api/deals/[^/]+", "Deal"),
    ("POST", r"/api/shows/[^/]+/giveaways", "Giveaway"),
    ("GET", r"/api/giveaways/[^/]+", "Giveaway"),
    ("POST", r"/api/orders/[^/]+/shipping", "Order"),
    ("GET", r"/api/products/[^/]+", "ProductDetail"),
    ("GET", r"/api/products/[^/]+/reviews", "ReviewPage"),
    ("POST", r"/api/products/[^/]+/reviews", "Review"),
    ("GET", r"/api/products/[^/]+/reviewable", "Reviewable"),
    ("GET", r"/api/products/[^/]+/signals", "ProductSignals"),
    ("GET", r"/api/reviews/[^/]+", "Review"),
    ("POST", r"/api/reviews/[^/]+/reply", "Review"),
    ("POST", r"/api/reviews/[^/]+/report", "ReportReply"),
    ("POST", r"/api/reviews/[^/]+/hide", "Review"),
    ("GET", r"/api/shows/[^/]+/replay", "Replay"),
    ("GET", r"/api/me/address", "SavedAddress"),
    ("PUT", r"/api/me/address", "SavedAddress"),
    ("GET", r"/api/me/payment-method", "SavedPaymentMethod"),
    ("PUT", r"/api/shows/[^/]+/poster", "PosterReply"),
]


def reply_type(method: str, path: str, status: int) -> str | None:
    """The protocol.js type of an API reply (None for the replies the pages do not read)."""
    if status >= 400:
        return "ApiErrorBody"
    for known_method, pattern, type_ in REPLY_TYPES:
        if method == known_method and re.fullmatch(pattern, path):
            return type_
    return None


@dataclass(frozen=True)
class Field:
    type: str
    optional: bool


def typedefs(source: str) -> dict[str, dict[str, Field]]:
    """Each `@typedef {object} Name` with its `@property {type} name` / `[name]` lines."""
    types: dict[str, dict[str, Field]] = {}
    for block in re.findall(r"/\*\*(.*?)\*/", source, flags=re.S):
        name = re.search(r"@typedef \{object\} (\w+)", block)
        if name is None:
            continue
        fields = {}
        for type_, optional, field in re.findall(r"@property \{([^}]*)\} (\[)?(\w+)\]?", block):
            fields[field] = Field(type_.strip(), bool(optional))
        types[name.group(1)] = fields
    return types


TYPES = typedefs(PROTOCOL_JS.read_text(encoding="utf-8"))


def problems(value: Any, type_: str, where: str) -> list[str]:
    """Why `value` is not of the JSDoc type `type_` (empty when it is)."""
    alternatives = [part.strip() for part in re.split(r"\|(?![^<]*>)", type_)]
    if len(alternatives) > 1:
        fits = any(not problems(value, alternative, where) for alternative in alternatives)
        return [] if fits else [f"{where}: {value!r} is not {type_}"]
    if type_.endswith("[]"):
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        return [problem for i, item in enumerate(value) for problem in problems(item, type_[:-2], f"{where}[{i}]")]
    mapping = re.fullmatch(r"Object<string, (.+)>", type_)
    if mapping:
        if not isinstance(value, dict):
            return [f"{where}: {value!r} is not an object"]
        return [p for key, item in value.items() for p in problems(item, mapping.group(1), f"{where}.{key}")]
    simple = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "true": lambda v: v is True,
        "object": lambda v: isinstance(v, dict),
    }
    if type_ in simple:
        return [] if simple[type_](value) else [f"{where}: {value!r} is not {type_}"]
    if type_.startswith('"'):
        return [] if value == type_.strip('"') else [f"{where}: {value!r} is not {type_}"]
    if type_ not in TYPES:
        return [f"{where}: protocol.js has no type {type_}"]
    if not isinstance(value, dict):
        return [f"{where}: {value!r} is not a {type_}"]
    fields = TYPES[type_]
    extra = [] if type_ in OPEN_TYPES else [key for key in value if key not in fields]
    found = [f"{where}.{key}: sent by the server, missing from {type_}" for key in extra]
    for key, field in fields.items():
        if key in value:
            found += problems(value[key], field.type, f"{where}.{key}")
        elif not field.optional:
            found.append(f"{where}.{key}: in {type_}, not sent by the server")
    return found


def check(value: Any, type_: str) -> None:
    found = problems(value, type_, type_)
    assert not found, "\n".join(found)
