"""Domain errors. Each has a machine-readable `code` (PROTOCOL.md); the API maps codes to statuses."""

from __future__ import annotations

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


class LimitExceeded(Conflict):
    code = "limit_exceeded"


class CurrencyMismatch(Conflict):
    code = "currency_mismatch"


class CartEmpty(Conflict):
    code = "cart_empty"


class PriceChanged(Conflict):
    code = "price_changed"


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"


class RefundExceedsPurchase(Conflict):
    code = "refund_exceeds_purchase"


# Connect (campaigns, co-hosts, payouts): refinements of 409 `conflict` and 403 `forbidden`.


class SharesExceedTotal(Conflict):
    code = "shares_exceed_total"


class CampaignNotActive(Conflict):
    code = "campaign_not_active"


class CampaignFull(Conflict):
    code = "campaign_full"


class UnitsCapReached(Conflict):
    code = "units_cap_reached"


class NotApproved(Forbidden):
    code = "not_approved"
