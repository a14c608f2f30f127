"""`PendingOrders` for the Redis store's modules (the class is shared with SQLite: livecart/store/pending.py)."""

from livecart.store.pending import PendingOrders

__all__ = ["PendingOrders"]
