"""Benchmark reference: the stock aiortc way to fan out, for comparison with livecart's relay.

WHIP in, `aiortc.contrib.media.MediaRelay` out: the publisher is decoded once and every viewer's
sender encodes the decoded frames again. `python -m bench.video_reencode_server PORT`; no auth,
one show; the same WHIP/WHEP requests as livecart (`/whip/x`, `/whep/x`).
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaBlackhole, MediaRelay
from aiortc.mediastreams import MediaStreamTrack

PEERS = web.AppKey("peers", list[RTCPeerConnection])
TRACKS = web.AppKey("tracks", dict[str, MediaStreamTrack])
RELAY = web.AppKey("relay", MediaRelay)
DRAINS = web.AppKey("drains", list[MediaBlackhole])
TASKS = web.AppKey("tasks", list[asyncio.Future[None]])


async def answer(pc: RTCPeerConnection, request: web.Request) -> web.Response:
    await pc.setRemoteDescription(RTCSessionDescription(sdp=await request.text(), type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return web.Response(
        status=201,
        text=pc.localDescription.sdp,
        content_type="application/sdp",
        headers={"Location": f"{request.path}/{id(pc)}"},
    )


async def whip(request: web.Request) -> web.Response:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    request.app[PEERS].append(pc)

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        request.app[TRACKS][track.kind] = track
        # Keep the decoded source drained at its own pace even with no viewer (no backlog to catch up on).
        drain = MediaBlackhole()
        drain.addTrack(request.app[RELAY].subscribe(track, buffered=False))
        request.app[DRAINS].append(drain)
        request.app[TASKS].append(asyncio.ensure_future(drain.start()))

    return await answer(pc, request)


async def whep(request: web.Request) -> web.Response:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    request.app[PEERS].append(pc)
    for kind, track in request.app[TRACKS].items():
        pc.addTransceiver(request.app[RELAY].subscribe(track, buffered=False), direction="sendonly")
        del kind
    return await answer(pc, request)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def close_peers(app: web.Application) -> None:
    drains: list[MediaBlackhole] = app[DRAINS]
    for drain in drains:
        await drain.stop()
    peers: list[RTCPeerConnection] = app[PEERS]
    for pc in peers[:]:
        await pc.close()


def make_app() -> web.Application:
    app = web.Application()
    app[PEERS] = []
    app[TRACKS] = {}
    app[RELAY] = MediaRelay()
    app[DRAINS] = []
    app[TASKS] = []
    app.router.add_post("/whip/x", whip)
    app.router.add_post("/whep/x", whep)
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(close_peers)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
