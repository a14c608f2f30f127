"""Checkout with a required `Idempotency-Key` (the use case is livecart/commerce/checkout.py).

The key is scoped to the viewer. The request is identified by a SHA-256 of the show id and the
canonical JSON of the validated body. The first response after the key is claimed is saved and
replayed byte for byte (with `Idempotent-Replayed: true`) for the same key and body; the same key
with another body gets 422 `idempotency_mismatch`; while the first request runs, 409
`idempotency_in_progress`. A request rejected before the key is claimed (401, 400) saves nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from livecart import keys
from livecart.api.carts import viewer
from livecart.api.schemas import Name
from livecart.api.shows import show_or_404
from livecart.commerce.checkout import CheckoutRequest
from livecart.commerce.wallet import Wallet
from livecart.domain.client_ip import client_ip
from livecart.domain.commerce import OrderSource, StoredResponse
from livecart.domain.errors import BadRequest, Forbidden, NotFound, Unauthorized
from livecart.domain.models import Account, Role, Show
from livecart.http.auth import allowed, bearer_token
from livecart.http.errors import status_for
from livecart.http.parsing import Body, parse

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, like Stripe's keys

Line = Annotated[str, Field(min_length=1, max_length=200)]


class Shipping(Body):
    name: Name
    line1: Line
    line2: Line | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


CARD_NUMBER = r"^[0-9][0-9 ]{10,22}[0-9]$"


class Payment(Body):
    """`{method: "test", card_number, save?}`: pay with a card number (`save: true` keeps the card, as the
    provider's token, once the order is paid); `{method: "saved"}`: pay with the card saved on the account."""

    method: Literal["test", "saved"]
    card_number: Annotated[str | None, Field(pattern=CARD_NUMBER, validate_default=True)] = None
    save: bool = False

    @field_validator("card_number")
    @classmethod
    def number_for_a_card(cls, value: str | None, info: ValidationInfo) -> str | None:
        method = info.data.get("method")
        if method == "test" and value is None:
            raise PydanticCustomError("missing", "Field required")
        if method == "saved" and value is not None:
            raise PydanticCustomError("extra_forbidden", "not with the saved card")
        return value

    def canonical(self) -> dict[str, Any]:
        """What identifies the payment in the request hash (fields left at their default are left out, so
        a body hashes as it did before `save` and `saved` existed)."""
        dumped: dict[str, Any] = {"method": self.method}
        if self.card_number is not None:
            dumped["card_number"] = self.card_number
        if self.save:
            dumped["save"] = True
        return dumped


class CheckoutBody(Body):
    shipping: Shipping
    payment: Payment
    # The total the buyer was shown. Optional in the API (a client that omits it accepts the current
    # price, whatever it is); the pages always send it. A different total is 409 price_changed.
    expected_total_cents: Annotated[int, Field(ge=0, le=10**15)] | None = None
    source: Literal["live", "replay"] = "live"  # "replay": the replay's purchase path (docs/protocol.md)


def idempotency_key(request: web.Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        raise BadRequest("checkout needs an Idempotency-Key header", fields={IDEMPOTENCY_HEADER: "required"})
    if not IDEMPOTENCY_KEY.match(key):
        raise BadRequest(
            "the Idempotency-Key header is not valid",
            fields={IDEMPOTENCY_HEADER: "1 to 255 visible ASCII characters, e.g. a UUID"},
        )
    return key


def request_hash(show_id: str, body: CheckoutBody) -> str:
    canonical = json.dumps(
        # a live checkout hashes as before `source` existed, and a card payment as before `save` and `saved`:
        # keys claimed before an upgrade still match
        {
            "show_id": show_id,
            "body": {
                **body.model_dump(exclude={"source"} if body.source == "live" else None),
                "payment": body.payment.canonical(),
            },
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def client_ip_of(request: web.Request) -> str | None:
    """The buyer's address, with `X-Forwarded-For` believed only from LIVECART_TRUSTED_PROXIES."""
    trusted = request.app[keys.SETTINGS].trusted_proxies
    return client_ip(request.remote, request.headers.getall("X-Forwarded-For", ()), trusted)


def send(response: StoredResponse, *, replayed: bool) -> web.Response:
    sent = web.Response(status=response.status, text=response.body, content_type="application/json")
    if replayed:
        sent.headers["Idempotent-Replayed"] = "true"
    return sent


async def buyer_and_show(request: web.Request) -> tuple[Account, Show, bool]:
    """The viewer checking out, the show (404 when none) and whether it has deals, from one store call
    (`checkout_caller`); the same answers, in the same order, as `viewer(request)` then `show_or_404`."""
    services = request.app[keys.SERVICES]
    token = bearer_token(request)
    if token is None or services.auth.is_admin(token):  # no token: 401; admin: 403 (not a viewer)
        return await viewer(request), await show_or_404(request), True
    show_id = request.match_info["show_id"]
    caller = await services.store.checkout_caller(token, show_id)
    if caller.account is None:
        raise Unauthorized("the bearer token is not valid")
    account = allowed(caller.account, Role.VIEWER)
    if account.role is not Role.VIEWER:
        raise Forbidden("only a viewer has a cart", role=account.role.value)
    if caller.show is None:
        raise NotFound("no such show", show_id=show_id)
    return account, caller.show, caller.has_deals


@routes.post("/api/shows/{show_id}/checkout")
async def checkout(request: web.Request) -> web.Response:
    account, show, has_deals = await buyer_and_show(request)
    key = idempotency_key(request)
    body = await parse(request, CheckoutBody)
    services = request.app[keys.SERVICES]
    await services.connect.check_buyer(account, show)  # a link's storefront: attributed only
    shipping = {name: value for name, value in body.shipping.model_dump().items() if value is not None}
    card = await card_to_charge(services.wallet, account.id, body.payment)
    # held deal units are bought first, at the deal price (deals are bought live; a replay checkout buys the cart)
    if body.source == "live" and has_deals and await services.selling.viewer_holds(show.id, account.id):
        response, replayed = await services.selling.checkout_deals(
            show, account, key, request_hash(show.id, body), shipping, card,
            client_ip_of(request), status_for, body.expected_total_cents,
        )  # fmt: skip
    else:
        response, replayed = await services.checkout.run(
            show,
            account,
            key,
            request_hash(show.id, body),
            CheckoutRequest(
                shipping=shipping,
                card_number=card,
                client_ip=client_ip_of(request),
                expected_total_cents=body.expected_total_cents,
                source=OrderSource(body.source),
            ),
            status_for,
        )
    services.metrics.checkouts.labels(str(response.status), str(replayed).lower()).inc()
    await keep_card_if_asked(services.wallet, account.id, body.payment, response, replayed)
    return send(response, replayed=replayed)


async def card_to_charge(wallet: Wallet, account_id: str, payment: Payment) -> str:
    """The card number sent, or for `{method: "saved"}` the saved card's token (charged like a card);
    409 `no_payment_method` when none is saved."""
    if payment.card_number is None:
        return await wallet.token_to_charge(account_id)
    return payment.card_number


async def keep_card_if_asked(
    wallet: Wallet, account_id: str, payment: Payment, response: StoredResponse, replayed: bool
) -> None:
    """`save: true`: keep the card that just paid (a first answer of 201 only)."""
    if payment.card_number is not None and payment.save and response.status == 201 and not replayed:
        await save_card_quietly(wallet, account_id, payment.card_number)


async def save_card_quietly(wallet: Wallet, account_id: str, card_number: str) -> None:
    """Keep the card that just paid; the order is paid either way, so a failure is only logged."""
    try:
        await wallet.save_card(account_id, card_number)
    except Exception:
        log.warning("could not save the card of %s after its checkout", account_id, exc_info=True)
