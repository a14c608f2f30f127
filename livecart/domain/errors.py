"""Domain errors. Each has a machine-readable `code` (PROTOCOL.md); the API maps codes to statuses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class LivecartError(Exception):
    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(LivecartError):
    code = "bad_request"


class Unauthorized(LivecartError):
    code = "unauthorized"


class Forbidden(LivecartError):
    code = "forbidden"


class NotFound(LivecartError):
    code = "not_found"


class Conflict(LivecartError):
    code = "conflict"


class OutOfStock(LivecartError):
    code = "out_of_stock"


class PaymentDeclined(LivecartError):
    code = "payment_declined"


class IdempotencyMismatch(LivecartError):
    code = "idempotency_mismatch"


class RateLimited(LivecartError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float, **details: Any) -> None:
        super().__init__(message, retry_after=round(retry_after, 3), **details)
        self.retry_after = retry_after


class PayloadTooLarge(LivecartError):
    code = "payload_too_large"


class UnsupportedMediaType(LivecartError):
    code = "unsupported_media_type"


class RequestTimeout(LivecartError):
    code = "request_timeout"


# Commerce refinements of 409 `conflict`: each keeps the status of its base class (api/errors.py looks
# the status up along the class hierarchy) but names the rule that was broken.


class NotInLineup(Conflict):
    code = "not_in_lineup"


class ShowEnded(Conflict):
    code = "show_ended"


class NotPinned(Conflict):
    code = "not_pinned"


class NotReplayable(Conflict):
    code = "not_replayable"


class LimitExceeded(Conflict):
    code = "limit_exceeded"


class CurrencyMismatch(Conflict):
    code = "currency_mismatch"


class NotForSale(Conflict):
    """A product whose brand's account was deleted (or a show whose host's was) is no longer sold."""

    code = "not_for_sale"


class CartEmpty(Conflict):
    code = "cart_empty"


class PriceChanged(Conflict):
    code = "price_changed"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class RefundExceedsPurchase(Conflict):
    code = "refund_exceeds_purchase"


# Review refinements of 409 `conflict` (docs/protocol.md#reviews).


class NotABuyer(Conflict):
    """Only the buyer of a paid, not fully refunded order line of the product may review it."""

    code = "not_a_buyer"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"


class ReviewTooEarly(Conflict):
    code = "review_too_early"


class AlreadyReplied(Conflict):
    code = "already_replied"


class ShippingSet(Conflict):
    code = "shipping_set"


# -- Constructors ----------------------------------------------------------------------------------
# One function per error the stores (and the services above them) raise, so the message and the
# details of an error are written once and both stores answer alike (tests/store checks them on both).


def no_such_account(account_id: str) -> NotFound:
    return NotFound("no such account", account_id=account_id)


def no_such_product(product_id: str) -> NotFound:
    return NotFound("no such product", product_id=product_id)


def no_such_show(show_id: str) -> NotFound:
    return NotFound("no such show", show_id=show_id)


def no_such_webhook(webhook_id: str) -> NotFound:
    return NotFound("no such webhook", webhook_id=webhook_id)


def no_such_delivery(delivery_id: str) -> NotFound:
    return NotFound("no such delivery", delivery_id=delivery_id)


def no_such_order(order_id: str) -> NotFound:
    return NotFound("no such order", order_id=order_id)


def no_such_question(question_id: str) -> NotFound:
    return NotFound("no such question", question_id=question_id)


def no_such_idempotency_key(key: str) -> NotFound:
    return NotFound("no such idempotency key", idempotency_key=key)


def invalid_product(fields: Mapping[str, str]) -> BadRequest:
    """`fields`: field name → what is wrong with it."""
    return BadRequest("the product is not valid", fields=dict(fields))


def null_product_fields(names: Sequence[str]) -> BadRequest:
    return BadRequest("these fields cannot be null", fields={name: "cannot be null" for name in names})


def duplicate_sku(sku: str) -> Conflict:
    return Conflict("this brand already has a product with that SKU", sku=sku)


def show_transition_refused(current: str, new: str) -> Conflict:
    return Conflict(f"a {current} show cannot become {new}", status=current)


def order_exists(order_id: str) -> Conflict:
    return Conflict("an order with this id already exists", order_id=order_id)


def order_not_pending(order_id: str, status: str) -> Conflict:
    return Conflict(f"the order is {status}, not pending", order_id=order_id)


def cart_checked_out() -> CartEmpty:
    return CartEmpty("the cart was already checked out (or is being checked out now)")


def price_changed(product_ids: Sequence[str]) -> PriceChanged:
    return PriceChanged("a price or commission changed since the cart was priced; retry", product_ids=list(product_ids))


def buyer_limit_exceeded(product_ids: Sequence[str], limit: int) -> LimitExceeded:
    return LimitExceeded(f"at most {limit} units of a product per buyer", product_ids=list(product_ids), limit=limit)


def cart_line_limit_exceeded(product_id: str, max_qty: int, in_cart: int) -> LimitExceeded:
    return LimitExceeded(
        f"this cart line may hold at most {max_qty} units", product_ids=[product_id], max_qty=max_qty, in_cart=in_cart
    )


def out_of_stock(available: Mapping[str, int]) -> OutOfStock:
    """`available`: the stock of every line that is short, by product id."""
    return OutOfStock(
        "not enough stock for every item; nothing was bought", product_ids=list(available), available=dict(available)
    )


def order_not_refundable(status: str) -> Conflict:
    return Conflict(f"a {status} order cannot be refunded", status=status)


def refund_raced() -> Conflict:
    return Conflict("another refund of this order happened meanwhile; retry", retry=True)


def not_bought(product_id: str) -> RefundExceedsPurchase:
    return RefundExceedsPurchase("this product was not bought in this order", product_id=product_id)


def refund_exceeds_purchase(product_id: str, bought: int, refunded: int, requested: int) -> RefundExceedsPurchase:
    return RefundExceedsPurchase(
        f"{bought - refunded} units of this product can still be refunded",
        product_id=product_id,
        bought=bought,
        refunded=refunded,
        requested=requested,
    )


def shipping_set(order_id: str) -> ShippingSet:
    return ShippingSet("this order already has a shipping address", order_id=order_id)


def idempotency_mismatch(key: str) -> IdempotencyMismatch:
    return IdempotencyMismatch("this Idempotency-Key was used with a different request body", idempotency_key=key)


def idempotency_in_progress(key: str) -> IdempotencyInProgress:
    return IdempotencyInProgress(
        "a request with this Idempotency-Key is still in progress; retry later", idempotency_key=key
    )


# Connect (campaigns, co-hosts, payouts): refinements of 409 `conflict` and 403 `forbidden`.


class SharesExceedTotal(Conflict):
    code = "shares_exceed_total"


class CampaignNotActive(Conflict):
    code = "campaign_not_active"


class CampaignFull(Conflict):
    code = "campaign_full"


class UnitsCapReached(Conflict):
    code = "units_cap_reached"


class NotAttributed(Conflict):
    code = "not_attributed"


class NotApproved(Forbidden):
    code = "not_approved"


# Connect constructors: both stores (and the services) raise through these.


def no_such_campaign(campaign_id: str) -> NotFound:
    return NotFound("no such campaign", campaign_id=campaign_id)


def no_such_application(application_id: str) -> NotFound:
    return NotFound("no such application", application_id=application_id)


def no_such_invitation(invitation_id: str) -> NotFound:
    return NotFound("no such invitation", invitation_id=invitation_id)


def already_joined(campaign_id: str, host_id: str) -> Conflict:
    return Conflict(
        "this host already applied to the campaign or was invited", campaign_id=campaign_id, host_id=host_id
    )


def already_decided(what: str, status: str) -> Conflict:
    return Conflict(f"this {what} is already {status}", status=status)


def campaign_full(max_hosts: int | None) -> CampaignFull:
    return CampaignFull("this campaign has all the hosts it wants", max_hosts=max_hosts)


def units_cap_reached(units_cap: int, units_sold: int) -> UnitsCapReached:
    return UnitsCapReached(
        "this campaign has sold every unit it offered", units_cap=units_cap, units_left=units_cap - units_sold
    )


def no_such_link(code: str) -> NotFound:
    return NotFound("no such link", link_code=code)


def link_code_taken(code: str) -> Conflict:
    return Conflict("this link code is taken", code=code)


def already_cohost(host_id: str) -> Conflict:
    return Conflict("this host is already a co-host of the show", host_id=host_id)


def not_invited_cohost(host_id: str) -> NotFound:
    return NotFound("this host is not invited to co-host the show", host_id=host_id)


def shares_exceed_total(taken_bps: int) -> SharesExceedTotal:
    return SharesExceedTotal(
        "co-host shares of a show sum to at most 10000 basis points", available_bps=10_000 - taken_bps
    )


def no_such_payout(payout_id: str) -> NotFound:
    return NotFound("no such payout", payout_id=payout_id)


def payout_in_progress(payout_id: str) -> Conflict:
    return Conflict("another payout of this host is in progress", payout_id=payout_id, retry=True)


def payout_ledger_moved(host_id: str) -> Conflict:
    return Conflict("the host's ledger changed while the payout was planned", host_id=host_id, retry=True)


def payout_settled(payout_id: str, status: str) -> Conflict:
    return Conflict(f"this payout is already {status}", payout_id=payout_id, status=status)


def invalid_field(name: str, message: str) -> BadRequest:
    """One field of a request body is not valid (`fields`: name → what is wrong, as elsewhere)."""
    return BadRequest(message, fields={name: message})


def no_such_review(review_id: str) -> NotFound:
    return NotFound("no such review", review_id=review_id)


def already_reviewed(order_id: str, product_id: str) -> AlreadyReviewed:
    return AlreadyReviewed("this order line has already been reviewed", order_id=order_id, product_id=product_id)


def already_replied(review_id: str) -> AlreadyReplied:
    return AlreadyReplied("the brand has already replied to this review", review_id=review_id)
