"""Typed application keys: how handlers reach the resources `create_app` wires."""

from __future__ import annotations

from aiohttp import web

from livecart.bus import EventBus
from livecart.checkout import Checkout
from livecart.cluster.node import ClusterNode
from livecart.config import Settings
from livecart.live.service import LiveService
from livecart.media.edge import EdgeRelays
from livecart.media.hub import MediaHub
from livecart.metrics import Metrics
from livecart.payments import PaymentProvider
from livecart.store import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
BUS = web.AppKey("bus", EventBus)
METRICS = web.AppKey("metrics", Metrics)
PAYMENTS = web.AppKey("payments", PaymentProvider)
CHECKOUT = web.AppKey("checkout", Checkout)
LIVE = web.AppKey("live", LiveService)
MEDIA = web.AppKey("media", MediaHub)
EDGE = web.AppKey("edge", EdgeRelays)  # only with LIVECART_EDGE=1
# The web pages' HTML by page name, with the offered services filled in at start-up (livecart/web.py).
WEB_PAGES = web.AppKey("web_pages", dict[str, str])
CLUSTER = web.AppKey("cluster", ClusterNode)
