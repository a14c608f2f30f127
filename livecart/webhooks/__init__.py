"""Webhooks: brands' and the admin's endpoints, and the worker that delivers the store's outbox to them."""
