"""Typed application keys: how handlers reach what `create_app` wires.

Handlers reach every service through `app[SERVICES]` (livecart/services.py). `Services` is imported for
the type checker only: this module is imported by every handler and must import none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from livecart.config import Settings

if TYPE_CHECKING:
    from livecart.services import Services

SETTINGS = web.AppKey("settings", Settings)
SERVICES: web.AppKey[Services] = web.AppKey("services")
# The web pages' HTML by page name, with the offered services filled in at start-up (livecart/web.py).
WEB_PAGES = web.AppKey("web_pages", dict[str, str])
