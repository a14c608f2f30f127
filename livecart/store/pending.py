"""The orders this process placed and has not settled yet, kept in memory.

Nothing changes a PENDING order but paying or failing it, so the `Order` given to `place_order` is
exactly what the store holds until then: paying or failing it needs no read first (Redis: one round
trip instead of two in the checkout's hot path; SQLite: no order and lines read back in the `paid`
transaction). A miss — another node placed it, or this process restarted — reads the order from the
store. The status itself is always checked inside the store's script or transaction.
"""

from __future__ import annotations

from collections import OrderedDict

from livecart.domain.commerce import Order

MAX_PENDING_ORDERS = 10_000


class PendingOrders:
    def __init__(self, capacity: int = MAX_PENDING_ORDERS) -> None:
        self.capacity = capacity
        self._orders: OrderedDict[str, Order] = OrderedDict()

    def add(self, order: Order) -> None:
        self._orders[order.id] = order
        while len(self._orders) > self.capacity:
            self._orders.popitem(last=False)

    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id)

    def discard(self, order_id: str) -> None:
        self._orders.pop(order_id, None)
