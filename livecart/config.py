"""Settings read once from the environment, with a default and a help text for each.

`SETTINGS` is the one table of every setting; docs/configuration.md is checked against it by
tests/test_docs.py, so a setting cannot be added without being documented.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livecart.domain.client_ip import IPNetwork, parse_networks
from livecart.domain.signals import Thresholds
from livecart.redis_options import parse_sentinel_url

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting has a value livecart cannot use; the message is one line for the operator."""


@dataclass(frozen=True)
class Setting:
    field: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


def _port(value: str) -> int:
    port = _positive_int(value)
    if port > 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return port


def _optional_port(value: str) -> int:
    return 0 if value.strip() == "0" else _port(value)


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if number < 0:
        raise ValueError("must be zero or more")
    return number


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not number > 0 or number == float("inf"):
        raise ValueError("must be greater than zero")
    return number


def _non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError("must be a number") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError("must be zero or more")
    return number


def _store_url(value: str) -> str:
    if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
        return value
    if value.startswith(("redis://", "rediss://", "unix://")):
        return value
    if value.startswith("redis+sentinel://"):
        parse_sentinel_url(value)
        return value
    raise ValueError("must be sqlite:///PATH, redis://HOST:PORT/DB or redis+sentinel://HOST:PORT,HOST:PORT/MASTER/DB")


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return level


def _token(value: str) -> str:
    if len(value) < 16:
        raise ValueError("must be at least 16 characters")
    return value


def _bps(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError("must be a whole number of basis points") from None
    if not 0 <= number <= 10_000:
        raise ValueError("must be from 0 to 10000 basis points (10000 = 100%)")
    return number


def _node_url(value: str) -> str:
    if value.startswith(("http://", "https://")):
        return value.rstrip("/")
    raise ValueError("must be an http:// or https:// URL, e.g. https://node-a.example.com:{port}")


def _fanout_url(value: str) -> str:
    if value == "local" or value.startswith(("redis://", "rediss://", "unix://")):
        return value
    raise ValueError("must be redis://HOST:PORT/DB or local")


def _rate(value: str) -> tuple[int, float]:
    messages, _, seconds = value.partition("/")
    try:
        parsed = (int(messages), float(seconds))
    except ValueError:
        raise ValueError("must be MESSAGES/SECONDS, e.g. 5/10") from None
    if parsed[0] <= 0 or parsed[1] <= 0:
        raise ValueError("both numbers must be greater than zero")
    return parsed


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be 1 or 0")


def _fastpath(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in ("auto", "off"):
        raise ValueError("must be auto or off")
    return lowered


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "LIVECART_HOST", "127.0.0.1", "Address to listen on (`--host` overrides)."),
    Setting("port", "PORT", "8080", "TCP port to listen on (`--port` overrides).", _port),
    Setting(
        "public_url",
        "LIVECART_PUBLIC_URL",
        "",
        "Base URL people reach this node at (links printed by `demo`, WHEP redirects). Default: http://HOST:PORT.",
    ),
    Setting(
        "admin_token",
        "LIVECART_ADMIN_TOKEN",
        "",
        "Bearer token of the admin role (at least 16 characters). Generated and printed at start-up if unset.",
        _token,
    ),
    Setting(
        "store",
        "LIVECART_STORE",
        "sqlite:///livecart.db",
        "Where state lives: `sqlite:///PATH` (embedded, one node) or `redis://HOST:PORT/DB` (several nodes).",
        _store_url,
    ),
    Setting("log_level", "LIVECART_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR.", _log_level),
    Setting(
        "max_body_bytes",
        "LIVECART_MAX_BODY_BYTES",
        "65536",
        "Largest HTTP request body accepted; larger bodies get 413 `payload_too_large`.",
        _positive_int,
    ),
    Setting(
        "poster_max_bytes",
        "LIVECART_POSTER_MAX_BYTES",
        "262144",
        "Largest show poster frame (`PUT /api/shows/{id}/poster`, a JPEG, PNG or WebP still) accepted; "
        "larger ones get 413 `payload_too_large`.",
        _positive_int,
    ),
    Setting(
        "cors_origins",
        "LIVECART_CORS_ORIGINS",
        "",
        "Comma-separated origins allowed to call the API and Socket.IO from other sites (empty: same origin only).",
        _csv,
    ),
    Setting(
        "embed_origins",
        "LIVECART_EMBED_ORIGINS",
        "",
        "Comma-separated origins of sites allowed to frame the embeddable player (`/embed.js`, CSP "
        "`frame-ancestors` of `/embed/{show_id}` only); empty: only this site.",
        _csv,
    ),
    Setting(
        "trusted_proxies",
        "LIVECART_TRUSTED_PROXIES",
        "",
        "Comma-separated addresses or CIDR networks of reverse proxies whose `X-Forwarded-For` is believed "
        "(empty: none; the client is the socket peer).",
        parse_networks,
    ),
    Setting(
        "max_qty_per_buyer",
        "LIVECART_MAX_QTY_PER_BUYER",
        "5",
        "Most units of one product one buyer may hold in a cart and buy in total (409 `limit_exceeded` beyond).",
        _positive_int,
    ),
    Setting(
        "platform_fee_bps",
        "LIVECART_PLATFORM_FEE_BPS",
        "0",
        "Platform fee per sale line in basis points, taken from the brand's share and booked to the ledger "
        "(0: no fee entries).",
        _bps,
    ),
    Setting(
        "fanout_url",
        "LIVECART_FANOUT_URL",
        "",
        "Redis server through which live rooms span several processes (`redis://HOST:PORT/DB`), or `local`. "
        "Default: the store URL when it is Redis, else in-process.",
        _fanout_url,
    ),
    Setting(
        "chat_rate",
        "LIVECART_CHAT_RATE",
        "5/10",
        "Chat and question rate limit per viewer: MESSAGES/SECONDS (token bucket).",
        _rate,
    ),
    Setting(
        "chat_frame_ms",
        "LIVECART_CHAT_FRAME_MS",
        "200",
        "How often a room's batched chat and reactions go out, in milliseconds.",
        _positive_int,
    ),
    Setting(
        "live_backlog",
        "LIVECART_LIVE_BACKLOG",
        "256",
        "Packets queued for a slow live client before chat is dropped (oldest first) or the client cut off.",
        _positive_int,
    ),
    Setting(
        "ice_servers",
        "LIVECART_ICE_SERVERS",
        "",
        "Comma-separated STUN/TURN URLs (`stun:host:3478,turn:host:3478?transport=udp`) used by the media "
        'server and announced to WHIP/WHEP clients in `Link: rel="ice-server"` headers.',
        _csv,
    ),
    Setting("turn_username", "LIVECART_TURN_USERNAME", "", "Username for the TURN URLs in LIVECART_ICE_SERVERS."),
    Setting("turn_credential", "LIVECART_TURN_CREDENTIAL", "", "Password for those TURN URLs."),
    Setting(
        "max_viewers",
        "LIVECART_MAX_VIEWERS",
        "500",
        "Most WHEP viewers this node serves at once (all shows); beyond it WHEP answers 503 + Retry-After.",
        _positive_int,
    ),
    Setting(
        "media_fastpath",
        "LIVECART_MEDIA_FASTPATH",
        "auto",
        "auto: viewers' RTP is written, SRTP-protected and sent by the relay's C fast path when it was built "
        "(`pip install` compiles it when gcc, the Python and OpenSSL headers are there); off: always by the "
        "pure-Python path. /metrics names the one in use (`livecart_media_rtp_path`).",
        _fastpath,
    ),
    Setting(
        "edge",
        "LIVECART_EDGE",
        "0",
        "1: on a node that is not a show's origin, WHEP viewers are served here from one pull of the show "
        "from its origin (an edge relay) instead of being redirected (307) to the origin.",
        _flag,
    ),
    Setting(
        "webhook_allow_private",
        "LIVECART_WEBHOOK_ALLOW_PRIVATE",
        "0",
        "1: webhook deliveries may go to private, loopback and link-local addresses (tests, an internal "
        "receiver). Otherwise every address a webhook URL resolves to must be public, or the attempt fails.",
        _flag,
    ),
    Setting(
        "webhook_retry_s",
        "LIVECART_WEBHOOK_RETRY_S",
        "30",
        "Wait before a failed webhook delivery's first retry; each retry waits twice as long (at most 1 h), "
        "for 24 h after the event.",
        _positive_float,
    ),
    Setting(
        "webhook_timeout_s",
        "LIVECART_WEBHOOK_TIMEOUT_S",
        "10",
        "How long one webhook delivery attempt may take (connect, send, answer); the endpoint is leased for "
        "this plus 5 s, so a node that dies mid-delivery holds it up no longer.",
        _positive_float,
    ),
    Setting(
        "publisher_grace_seconds",
        "LIVECART_PUBLISHER_GRACE_SECONDS",
        "10",
        "How long a show stays live after its WHIP publisher is lost, waiting for the host to publish again.",
        _positive_float,
    ),
    Setting(
        "pause_end_s",
        "LIVECART_PAUSE_END_S",
        "600",
        "Seconds a paused show (its publisher gone) waits for a publisher before it is ended.",
        _positive_float,
    ),
    Setting(
        "whep_connect_s",
        "LIVECART_WHEP_CONNECT_S",
        "10",
        "Seconds a WHEP viewer has to complete ICE; a session that has not connected by then is dropped "
        "(until it connects it does not count against LIVECART_MAX_VIEWERS).",
        _positive_float,
    ),
    Setting(
        "whep_offer_rate",
        "LIVECART_WHEP_OFFER_RATE",
        "20/60",
        "WHEP offers per client address: OFFERS/SECONDS (token bucket); beyond it 429 rate_limited.",
        _rate,
    ),
    Setting(
        "account_rate",
        "LIVECART_ACCOUNT_RATE",
        "60/60",
        "Viewer accounts (POST /api/viewers) per client address: COUNT/SECONDS; beyond it 429 rate_limited.",
        _rate,
    ),
    Setting(
        "cart_add_rate",
        "LIVECART_CART_ADD_RATE",
        "120/60",
        "Cart adds per client address: COUNT/SECONDS; beyond it 429 rate_limited.",
        _rate,
    ),
    Setting(
        "anonymous_expiry_days",
        "LIVECART_ANONYMOUS_EXPIRY_DAYS",
        "30",
        "Days after which a viewer account that never bought anything is deleted, with its carts.",
        _positive_int,
    ),
    Setting(
        "max_sockets",
        "LIVECART_MAX_SOCKETS",
        "5000",
        "Most Socket.IO connections this process holds; beyond it new connections are refused.",
        _positive_int,
    ),
    Setting(
        "recordings",
        "LIVECART_RECORDINGS",
        "recordings",
        "Directory where live shows are recorded (one file per show, no re-encoding); a relative path is "
        "beside the SQLite database (with Redis: the working directory). Empty: recording off.",
    ),
    Setting(
        "redis_timeout_s",
        "LIVECART_REDIS_TIMEOUT_S",
        "5",
        "Seconds a Redis connect or command may take (store, fan-out, cluster registry) before it fails "
        "(HTTP 503 `unavailable`, an `unavailable` ack) instead of waiting on a hung server.",
        _positive_float,
    ),
    Setting(
        "redis_min_replicas",
        "LIVECART_REDIS_MIN_REPLICAS",
        "0",
        "Replicas that must have a money write (order paid, ledger, refund) before it is acknowledged "
        "(Redis WAIT); 0: acknowledged once on the primary.",
        _non_negative_int,
    ),
    Setting(
        "recovery_grace_s",
        "LIVECART_RECOVERY_GRACE_S",
        "120",
        "Seconds a checkout may stay pending before checkout recovery settles it (Redis; SQLite settles "
        "everything pending at start-up).",
        _positive_int,
    ),
    Setting(
        "idempotency_retention_h",
        "LIVECART_IDEMPOTENCY_RETENTION_H",
        "24",
        "Hours a finished checkout's Idempotency-Key is kept for replays; after that the record is "
        "forgotten and the same key runs as a new request.",
        _positive_int,
    ),
    Setting(
        "client_ip_retention_days",
        "LIVECART_CLIENT_IP_RETENTION_DAYS",
        "30",
        "Days an order keeps the client address it came from (for the fake-order signals); older ones are erased.",
        _positive_int,
    ),
    Setting(
        "return_window_days",
        "LIVECART_RETURN_WINDOW_DAYS",
        "14",
        "Days after payment during which a host's commission on an order stays pending (refunds are "
        "expected); then it becomes available for payout. 0: available at once.",
        _non_negative_int,
    ),
    Setting(
        "payout_min_cents",
        "LIVECART_PAYOUT_MIN_CENTS",
        "0",
        "Smallest payout, in minor units of its currency: a host's available balance (less what it owes) "
        "below it waits for a later payout run.",
        _non_negative_int,
    ),
    Setting(
        "attribution_days",
        "LIVECART_ATTRIBUTION_DAYS",
        "7",
        "Days a viewer who arrived through a host's share link stays attributed to that host: a purchase "
        "in that window credits the host the campaign commission.",
        _positive_int,
    ),
    Setting(
        "review_after_h",
        "LIVECART_REVIEW_AFTER_H",
        "0",
        "Hours after payment before the buyer may review an order line (e.g. 72 to wait for delivery); "
        "earlier: 409 `review_too_early`.",
        _non_negative_float,
    ),
    Setting(
        "signal_new_account_h",
        "LIVECART_SIGNAL_NEW_ACCOUNT_H",
        "24",
        "Signals: a review is listed when its author's account was created less than this many hours before the order.",
        _positive_float,
    ),
    Setting(
        "signal_review_burst",
        "LIVECART_SIGNAL_REVIEW_BURST",
        "4",
        "Signals: a product with more than this many reviews within one hour is listed as a burst.",
        _positive_int,
    ),
    Setting(
        "signal_shared_address",
        "LIVECART_SIGNAL_SHARED_ADDRESS",
        "3",
        "Signals: a client address (label) from which at least this many accounts bought or reviewed is listed.",
        _positive_int,
    ),
    Setting(
        "signal_shared_shipping",
        "LIVECART_SIGNAL_SHARED_SHIPPING",
        "3",
        "Signals: a shipping address (label) to which at least this many buyers' paid orders go is listed.",
        _positive_int,
    ),
    Setting(
        "signal_quick_refund_h",
        "LIVECART_SIGNAL_QUICK_REFUND_H",
        "24",
        "Signals: an order refunded in full within this many hours after payment (when the host was "
        "credited) counts as a quick full refund.",
        _positive_float,
    ),
    Setting(
        "signal_quick_refunds",
        "LIVECART_SIGNAL_QUICK_REFUNDS",
        "2",
        "Signals: a host with at least this many quick full refunds is listed.",
        _positive_int,
    ),
    Setting(
        "auction_extend_s",
        "LIVECART_AUCTION_EXTEND_S",
        "10",
        "Anti-sniping: a bid accepted with less than this many seconds left moves the auction's end to now + "
        "this many seconds.",
        _positive_int,
    ),
    Setting(
        "auction_pay_s",
        "LIVECART_AUCTION_PAY_S",
        "600",
        "Seconds an auction's winner has to pay; then the offer passes to the runner-up (at their highest "
        "bid) for as long again, then the auction ends unsold.",
        _positive_int,
    ),
    Setting(
        "deal_hold_s",
        "LIVECART_DEAL_HOLD_S",
        "120",
        "Seconds a flash-deal unit reserved by a viewer is held at the deal price; unbought, it goes back to the "
        "deal and to stock.",
        _positive_int,
    ),
    Setting(
        "test_payments_file",
        "LIVECART_TEST_PAYMENTS_FILE",
        "",
        "File where the built-in test payment provider records its charges (empty: in memory only).",
    ),
    Setting(
        "http_idle_timeout_s",
        "LIVECART_HTTP_IDLE_TIMEOUT",
        "15",
        "Seconds an HTTP connection may stay open without a complete request (idle keep-alive, or request "
        "headers arriving too slowly) before it is closed.",
        _positive_float,
    ),
    Setting(
        "http_body_timeout_s",
        "LIVECART_HTTP_BODY_TIMEOUT",
        "10",
        "Seconds a client has to send a request body once its headers arrived (408 `request_timeout` beyond).",
        _positive_float,
    ),
    Setting(
        "workers",
        "LIVECART_WORKERS",
        "1",
        "Processes `serve` starts on this machine, sharing the port (`--workers` overrides). "
        "More than 1 needs Redis fan-out.",
        _positive_int,
    ),
    Setting(
        "worker_ports",
        "LIVECART_WORKER_PORTS",
        "0",
        "With several workers: the first of N consecutive ports, one per worker, at which each worker is "
        "also reached directly (WHIP/WHEP sessions, WHEP redirects). Default (0): PORT + 1.",
        _optional_port,
    ),
    Setting(
        "direct_port",
        "LIVECART_DIRECT_PORT",
        "0",
        "A second port at which this process alone listens (set for each worker by `--workers`); "
        "0: none, the process is reached at PORT.",
        _optional_port,
    ),
    Setting(
        "node_url",
        "LIVECART_NODE_URL",
        "",
        "URL at which this process is reached directly (WHEP redirects to the origin); `{port}` is replaced "
        "by the process's own port. Default: http://HOST:{port}.",
        _node_url,
    ),
    Setting(
        "node_ttl_s",
        "LIVECART_NODE_TTL_S",
        "10",
        "Seconds within which a dead node stops being advertised and its shows end (it heartbeats every TTL/4).",
        _positive_float,
    ),
)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    admin_token: str = ""
    store: str = "sqlite:///livecart.db"
    log_level: str = "INFO"
    max_body_bytes: int = 65536
    poster_max_bytes: int = 262144
    cors_origins: tuple[str, ...] = ()
    embed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[IPNetwork, ...] = ()
    max_qty_per_buyer: int = 5
    platform_fee_bps: int = 0
    fanout_url: str = ""
    chat_rate: tuple[int, float] = (5, 10.0)
    chat_frame_ms: int = 200
    live_backlog: int = 256
    ice_servers: tuple[str, ...] = ()
    turn_username: str = ""
    turn_credential: str = ""
    max_viewers: int = 500
    media_fastpath: str = "auto"
    edge: bool = False
    publisher_grace_seconds: float = 10.0
    webhook_allow_private: bool = False
    webhook_retry_s: float = 30.0
    webhook_timeout_s: float = 10.0
    pause_end_s: float = 600.0
    whep_connect_s: float = 10.0
    whep_offer_rate: tuple[int, float] = (20, 60.0)
    account_rate: tuple[int, float] = (60, 60.0)
    cart_add_rate: tuple[int, float] = (120, 60.0)
    anonymous_expiry_days: int = 30
    max_sockets: int = 5000
    recordings: str = "recordings"
    redis_timeout_s: float = 5.0
    redis_min_replicas: int = 0
    recovery_grace_s: int = 120
    idempotency_retention_h: int = 24
    client_ip_retention_days: int = 30
    return_window_days: int = 14
    payout_min_cents: int = 0
    attribution_days: int = 7
    review_after_h: float = 0.0
    signal_new_account_h: float = 24.0
    signal_review_burst: int = 4
    signal_shared_address: int = 3
    signal_shared_shipping: int = 3
    signal_quick_refund_h: float = 24.0
    signal_quick_refunds: int = 2
    auction_extend_s: int = 10
    auction_pay_s: int = 600
    deal_hold_s: int = 120
    test_payments_file: str = ""
    http_idle_timeout_s: float = 15.0
    http_body_timeout_s: float = 10.0
    workers: int = 1
    worker_ports: int = 0
    direct_port: int = 0
    node_url: str = ""
    node_ttl_s: float = 10.0
    admin_token_generated: bool = False

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def signal_thresholds(self) -> Thresholds:
        """The LIVECART_SIGNAL_* settings, as the signals read them."""
        return Thresholds(
            new_account_h=self.signal_new_account_h,
            review_burst=self.signal_review_burst,
            shared_address=self.signal_shared_address,
            shared_shipping=self.signal_shared_shipping,
            quick_refund_h=self.signal_quick_refund_h,
            quick_refunds=self.signal_quick_refunds,
        )

    @property
    def own_port(self) -> int:
        """The port at which this process alone is reached (a worker's direct port, else `port`)."""
        return self.direct_port or self.port

    @property
    def node_base_url(self) -> str:
        """Where this process is reached directly: LIVECART_NODE_URL with `{port}`, else http://HOST:PORT."""
        if self.node_url:
            return self.node_url.replace("{port}", str(self.own_port)).rstrip("/")
        return f"http://{self.host}:{self.own_port}"  # never the public URL: that may lead to any node

    @property
    def recordings_dir(self) -> Path | None:
        """Where shows are recorded (LIVECART_RECORDINGS), None when recording is off."""
        if not self.recordings.strip():
            return None
        path = Path(self.recordings)
        if path.is_absolute() or not self.store.startswith("sqlite:///"):
            return path
        return Path(self.store.removeprefix("sqlite:///")).parent / path

    @property
    def first_worker_port(self) -> int:
        return self.worker_ports or self.port + 1

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Read every setting from `env`; `overrides` (command-line flags) win when not None.

        Raises ConfigError naming the variable and what is wrong with it.
        """
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            override = overrides.get(setting.field)
            if override is not None:
                values[setting.field] = override
                continue
            raw = env.get(setting.env, setting.default)
            if raw == "" and setting.default == "":
                values[setting.field] = setting.parse(raw) if setting.parse in (_csv, parse_networks) else ""
                continue
            try:
                values[setting.field] = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.env}={raw!r}: {exc}") from None
        if not values["admin_token"]:
            values["admin_token"] = secrets.token_urlsafe(24)
            values["admin_token_generated"] = True
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def fanout_url(settings: Settings) -> str:
    """Where live rooms meet across processes: LIVECART_FANOUT_URL, else the store when it is Redis."""
    if settings.fanout_url:
        return "" if settings.fanout_url == "local" else settings.fanout_url
    if settings.store.startswith(("redis://", "rediss://", "unix://")):
        return settings.store
    return ""
