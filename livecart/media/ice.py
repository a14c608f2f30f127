"""ICE servers (STUN/TURN): handed to our own peer connections and announced to WHIP/WHEP clients
as `Link: <url>; rel="ice-server"` headers (RFC 9725 section 4.6)."""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCIceServer

from livecart.config import Settings


def ice_servers(settings: Settings) -> list[RTCIceServer]:
    servers = []
    for url in settings.ice_servers:
        if url.startswith(("turn:", "turns:")):
            servers.append(
                RTCIceServer(
                    urls=url, username=settings.turn_username or None, credential=settings.turn_credential or None
                )
            )
        else:
            servers.append(RTCIceServer(urls=url))
    return servers


def rtc_configuration(settings: Settings) -> RTCConfiguration:
    # An empty list (not None): aiortc would otherwise fall back to a public Google STUN server.
    return RTCConfiguration(iceServers=ice_servers(settings))


def link_headers(settings: Settings) -> list[str]:
    links = []
    for server in ice_servers(settings):
        link = f'<{server.urls}>; rel="ice-server"'
        if server.username and server.credential:
            link += f'; username="{server.username}"; credential="{server.credential}"'
            link += '; credential-type="password"'
        links.append(link)
    return links
