"""Edge relay: a node that is not a show's origin pulls the show over WHEP and serves its own viewers.

With LIVECART_EDGE=1, `POST /whep/{show_id}` on a node that is not the origin no longer answers 307:
the node opens one viewer-shaped peer to the origin (`EdgeSource`, an aiortc WHEP client whose
receivers are tapped with `ReceiverTap`, so the media is never decoded), feeds the encoded frames
into a local `Broadcast`'s relay, and attaches the local viewer there. The origin serves one viewer
(the edge) however many watch through it. Keyframe requests of the edge's viewers go upstream as a
PLI on the pull. The pull stops when the last local viewer leaves, or when the origin stops sending
(show ended, origin gone): then the local viewers' peers are closed too.

`EdgeSource` is a `TappedSource` like the WHIP publisher, and a `Broadcast` (relay, viewers) is built
with it in the publisher's place; the hub is not involved (an edge is not an origin: it is not
advertised, and losing the pull never ends the show).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from yarl import URL

from livecart.media.aiortc_adapter import enlarge_receive_buffers
from livecart.media.broadcast import Broadcast, TappedSource, Viewer
from livecart.media.hub import AtCapacity
from livecart.media.native_writer import writer_factory
from livecart.media.sdp import SDP_CONTENT_TYPE, negotiated_codecs

log = logging.getLogger(__name__)

PULL_TIMEOUT_S = 10.0  # the origin must answer the edge's WHEP offer within this
CONNECT_S = 10.0  # the pull has this long to bring its first packet
SILENCE_S = 3.0  # no RTP from the origin for this long: the show ended or the origin is gone
WATCH_INTERVAL_S = 0.25
RECEIVE_BUFFER_BYTES = 1024 * 1024


class PullFailed(Exception):
    """The origin could not be pulled from (unreachable, or it refused the edge's offer)."""


class EdgeSource(TappedSource):
    """The edge's upstream peer, in the place of a WHIP publisher: frames go to the local relay."""

    connect_seconds = CONNECT_S
    silence_seconds = SILENCE_S

    def __init__(self, pc: RTCPeerConnection, session_id: str) -> None:
        super().__init__(pc, session_id)
        self.location = ""

    @classmethod
    async def pull(cls, http: aiohttp.ClientSession, url: str, config: RTCConfiguration) -> EdgeSource:
        """Send a recvonly offer to the origin's WHEP endpoint and tap what it answers with."""
        source = cls(RTCPeerConnection(config), "edge")
        try:
            for kind in ("video", "audio"):
                source.tap(kind, source.pc.addTransceiver(kind, direction="recvonly").receiver)
            await source.pc.setLocalDescription(await source.pc.createOffer())
            enlarge_receive_buffers(source.pc, RECEIVE_BUFFER_BYTES)
            headers = {"Content-Type": SDP_CONTENT_TYPE}
            timeout = aiohttp.ClientTimeout(total=PULL_TIMEOUT_S)
            async with http.post(
                url, data=source.pc.localDescription.sdp, headers=headers, timeout=timeout
            ) as response:
                answer = await response.text()
                if response.status != 201:
                    raise PullFailed(f"{url} answered {response.status}: {answer[:200]}")
                source.location = str(response.url.join(URL(response.headers.get("Location", ""))))
            await source.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            source.codecs = negotiated_codecs(answer)
            if "video" not in source.codecs:
                raise PullFailed(f"{url} sends no video")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            await source.close()
            raise PullFailed(f"pulling {url} failed: {type(exc).__name__} {exc}") from None
        except BaseException:
            await source.close()
            raise
        return source

    async def leave_origin(self, http: aiohttp.ClientSession) -> None:
        """End the pull's session at the origin (WHEP DELETE), once; the peer is closed separately."""
        location, self.location = self.location, ""
        if location:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.delete(location, timeout=aiohttp.ClientTimeout(total=2)):
                    pass


class EdgeRelays:
    """Every show this node pulls from its origin, and the local viewers of each."""

    def __init__(
        self, config: RTCConfiguration, *, max_viewers: int, viewer_connect_s: float = 10.0, fastpath: str = "auto"
    ) -> None:
        self._config = config
        self._make_writer = writer_factory(fastpath)
        self.max_viewers = max_viewers
        self.viewer_connect_s = viewer_connect_s  # LIVECART_WHEP_CONNECT_S
        self._pulls: dict[str, Broadcast] = {}
        self._sources: dict[str, EdgeSource] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._http: aiohttp.ClientSession | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def viewer_count(self) -> int:
        return sum(len(broadcast.viewers) for broadcast in self._pulls.values())

    def pulling(self, show_id: str) -> bool:
        return show_id in self._pulls

    def start(self) -> None:
        if self._watchdog is None:
            self._http = aiohttp.ClientSession()
            self._watchdog = asyncio.ensure_future(self._watch())

    async def watch(self, show_id: str, origin_url: str, offer: str, *, other_viewers: int = 0) -> Viewer:
        """Attach a local viewer, starting the pull first if this is the show's first one here.
        Raises AtCapacity, PullFailed, OfferError."""
        if self.viewer_count + other_viewers >= self.max_viewers:
            raise AtCapacity(show_id)
        assert self._http is not None, "EdgeRelays.start() was not called"
        lock = self._locks.setdefault(show_id, asyncio.Lock())
        async with lock:
            broadcast = self._pulls.get(show_id)
            if broadcast is None:
                source = await EdgeSource.pull(self._http, f"{origin_url}/whep/{show_id}", self._config)
                # the pull stands in for the publisher
                broadcast = Broadcast(show_id, "", source, self._make_writer)
                self._pulls[show_id] = broadcast
                self._sources[show_id] = source
                log.info("edge: pulling show %s from %s", show_id, origin_url)
            try:
                return await broadcast.add_viewer(self._config, offer)
            except BaseException:
                if not broadcast.viewers:
                    await self._stop(show_id, "its first viewer's offer failed")
                raise

    async def leave(self, show_id: str, session_id: str) -> bool:
        broadcast = self._pulls.get(show_id)
        if broadcast is None or not await broadcast.remove_viewer(session_id):
            return False
        if not broadcast.viewers:
            await self._stop(show_id, "its last viewer here left")
        return True

    async def _stop(self, show_id: str, why: str) -> None:
        broadcast = self._pulls.pop(show_id, None)
        source = self._sources.pop(show_id, None)
        if broadcast is None or source is None:
            return
        log.info("edge: stopped pulling show %s: %s", show_id, why)
        await broadcast.close()  # closes the pull's peer too
        if self._http is not None:
            await source.leave_origin(self._http)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            now = time.monotonic()
            for show_id, broadcast in list(self._pulls.items()):
                try:
                    for session_id in broadcast.dead_viewers(now, self.viewer_connect_s):
                        await broadcast.remove_viewer(session_id)
                    source = self._sources.get(show_id)
                    if source is not None and not source.alive(now):
                        await self._stop(show_id, "the origin stopped sending")
                    elif not broadcast.viewers and not self._locks[show_id].locked():
                        await self._stop(show_id, "no viewers here")
                except Exception:
                    log.exception("edge watchdog failed on show %s", show_id)

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        for show_id in list(self._pulls):
            await self._stop(show_id, "this node is stopping")
        if self._http is not None:
            await self._http.close()
            self._http = None
