"""Typed application keys: how handlers reach the resources `create_app` wires."""

from __future__ import annotations

from aiohttp import web

from livecart.bus import EventBus
from livecart.config import Settings
from livecart.metrics import Metrics
from livecart.store import Store

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
BUS = web.AppKey("bus", EventBus)
METRICS = web.AppKey("metrics", Metrics)
# The web pages' HTML by page name, with the offered services filled in at start-up (livecart/web.py).
WEB_PAGES = web.AppKey("web_pages", dict[str, str])
