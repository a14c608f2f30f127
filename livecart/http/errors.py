"""One middleware maps every failure to the PROTOCOL.md error body: {"error": {code, message, ...}}."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from livecart import keys
from livecart.domain import errors
from livecart.store import STORE_UNAVAILABLE

log = logging.getLogger(__name__)

STATUS_BY_CODE = {
    errors.BadRequest.code: 400,
    errors.Unauthorized.code: 401,
    errors.PaymentDeclined.code: 402,
    errors.Forbidden.code: 403,
    errors.NotFound.code: 404,
    errors.Conflict.code: 409,
    errors.OutOfStock.code: 409,
    errors.RequestTimeout.code: 408,
    errors.PayloadTooLarge.code: 413,
    errors.UnsupportedMediaType.code: 415,
    errors.IdempotencyMismatch.code: 422,
    errors.RateLimited.code: 429,
}

# aiohttp's own HTTP errors (unknown route, wrong method, body over the limit) in our body shape.
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
}

UNAVAILABLE_RETRY_AFTER_S = 1  # a request that found the store unreachable (503) may be retried this soon

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(code: str, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **details}}


def status_for(error: errors.LivecartError) -> int:
    """The status of the error's code, or of its nearest base class's (a refined `Conflict` is a 409)."""
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 400


def error_response(error: errors.LivecartError) -> web.Response:
    status = status_for(error)
    response = web.json_response(error_body(error.code, error.message, **error.details), status=status)
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(max(1, round(error.retry_after + 0.5)))
    if isinstance(error, errors.Unauthorized):
        response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, errors.RequestTimeout):
        response.force_close()  # no keep-alive after a body that did not arrive
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response: web.StreamResponse
    try:
        response = await handler(request)
    except errors.LivecartError as error:
        response = error_response(error)
    except web.HTTPException as http_error:
        if http_error.status < 400:
            raise
        code = CODE_BY_STATUS.get(http_error.status, "error")
        message = http_error.reason if http_error.status != 413 else "request body is too large"
        response = web.json_response(error_body(code, message), status=http_error.status)
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in http_error.headers:
                response.headers[name] = http_error.headers[name]
    except STORE_UNAVAILABLE as unavailable:
        log.warning("store unavailable on %s %s: %s", request.method, request.path, unavailable)
        response = web.json_response(
            error_body("unavailable", "the store is unreachable; try again shortly"), status=503
        )
        response.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = web.json_response(error_body("internal", "internal server error"), status=500)
    _observe(request, response.status, time.perf_counter() - started)
    return response


def _observe(request: web.Request, status: int, seconds: float) -> None:
    metrics = request.app[keys.SERVICES].metrics
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    metrics.http_requests.labels(request.method, route, str(status)).inc()
    metrics.http_latency.labels(request.method, route).observe(seconds)
