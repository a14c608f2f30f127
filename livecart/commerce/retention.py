"""What checkout keeps only for a while: finished Idempotency-Key records, the client addresses of
orders and reviews, and viewer accounts that never bought (with their carts).

Applied by checkout recovery at start-up and then every minute (client addresses at most hourly:
on Redis it walks every show).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from livecart.clock import Clock, SystemClock
from livecart.store.base import Store

log = logging.getLogger(__name__)

CLIENT_IP_PURGE_INTERVAL_S = 3600.0


@dataclass
class Retention:
    """How long checkout keeps what it only needs for a while; applied at start-up, then with recovery."""

    idempotency: timedelta  # finished Idempotency-Key records (LIVECART_IDEMPOTENCY_RETENTION_H)
    client_ip: timedelta  # orders' client addresses (LIVECART_CLIENT_IP_RETENTION_DAYS)
    clock: Clock = field(default_factory=SystemClock)
    idle_viewers: timedelta | None = None  # viewers that never bought (LIVECART_ANONYMOUS_EXPIRY_DAYS)
    client_ip_every_s: float = CLIENT_IP_PURGE_INTERVAL_S
    _client_ip_done_at: float | None = field(default=None, init=False)

    async def apply(self, store: Store) -> tuple[int, int]:
        """Returns (idempotency records forgotten, client addresses erased from orders and reviews)."""
        purged = await store.purge_idempotency_records(self.clock.now() - self.idempotency)
        if purged:
            log.info("forgot %d idempotency records older than %s", purged, self.idempotency)
        erased = 0
        now = self.clock.monotonic()
        if self._client_ip_done_at is None or now - self._client_ip_done_at >= self.client_ip_every_s:
            self._client_ip_done_at = now
            erased = await store.forget_client_addresses(self.clock.now() - self.client_ip)
            if erased:
                log.info("erased the client address of %d orders older than %s", erased, self.client_ip)
            reviews = await store.forget_review_addresses(self.clock.now() - self.client_ip)
            if reviews:
                log.info("erased the client address of %d reviews older than %s", reviews, self.client_ip)
            erased += reviews
            if self.idle_viewers is not None:
                expired = await store.expire_idle_viewers(self.clock.now() - self.idle_viewers)
                if expired:
                    log.info("deleted %d viewer accounts older than %s that never bought", expired, self.idle_viewers)
        return purged, erased
