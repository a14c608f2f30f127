"""The shoppable replay over real HTTP: a real WHIP publisher's show is recorded while the host pins,
viewers chat and buy; then `GET /api/shows/{id}/replay` places every event on the recording's clock,
`GET /media/{show_id}` serves the file with range requests and caching headers (and nothing outside
the recordings directory), and the replay's purchase path sells like live, marked `source: "replay"`."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from aiortc.mediastreams import AudioStreamTrack

from livecart.config import Settings
from livecart.domain.events import Event, Pinned, Unpinned
from livecart.keys import SERVICES
from livecart.media.clients import WhipPublisher
from livecart.media.hub import MediaHub
from livecart.media.synthetic import EncodedLoopTrack
from tests.api.commerce_scene import Scene, checkout_body, make_scene, new_key
from tests.live.clients import LiveClient
from tests.media.test_recording import CLIPS, FPS, MIME, eventually, read_recording, recording_of
from tests.support import Api


@dataclass
class RecordedShow:
    scene: Scene
    viewer: dict[str, Any]
    path: Path
    pins: list[tuple[int, int]]  # per pin: the recording's time just before and just after the request
    unpin: tuple[int, int]
    live_order: dict[str, Any]
    events: list[Event]


async def recording_ms(hub: MediaHub, show_id: str) -> int:
    value = hub.recording_ms(show_id)
    assert value is not None, "the show is being recorded"
    return value


async def timed(hub: MediaHub, show_id: str, request: Any) -> tuple[int, int]:
    before = await recording_ms(hub, show_id)
    await request
    return before, await recording_ms(hub, show_id)


async def publish(
    http: aiohttp.ClientSession, client: TestClient[Any, Any], scene: Scene, codec: str = "vp8"
) -> WhipPublisher:
    track = EncodedLoopTrack(CLIPS[codec], FPS)
    publisher = await WhipPublisher.start(
        http,
        str(client.make_url(f"/whip/{scene.show_id}")),
        scene.host["token"],
        track,
        AudioStreamTrack(),
        video_codec=MIME[codec],
    )
    hub: MediaHub = client.app[SERVICES].media
    await eventually(lambda: (hub.recording_ms(scene.show_id) or 0) > 500)
    return publisher


async def record_a_show(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession, codec: str = "vp8"
) -> RecordedShow:
    """About 3 s of show: pin the first product, a chat message and a live sale, unpin it, pin the
    second, end the show, wait for the file."""
    scene = await make_scene(
        api,
        {"title": "Glow serum", "price_cents": 2900, "commission_bps": 1500},
        {"title": "Night cream", "price_cents": 4100},
    )
    events: list[Event] = []
    client.app[SERVICES].bus.subscribe(events.append)
    hub: MediaHub = client.app[SERVICES].media
    publisher = await publish(http, client, scene, codec)
    first, second = scene.products
    viewer = await scene.viewer("Sam Lee")
    room = await LiveClient(str(client.make_url("/"))).connect()
    await room.join(scene.show_id, viewer["token"])

    pins = [await timed(hub, scene.show_id, scene.pin(first))]
    said = await room.call("chat", {"text": "that glow!"})
    assert said["ok"], said
    await scene.add(viewer, first)
    live_order = await scene.checkout(viewer)
    await asyncio.sleep(0.6)
    unpin = await timed(
        hub,
        scene.show_id,
        api.call("DELETE", f"/api/shows/{scene.show_id}/pins/{first['id']}", 204, token=scene.host["token"]),
    )
    await asyncio.sleep(0.4)
    pins.append(await timed(hub, scene.show_id, scene.pin(second)))
    await asyncio.sleep(0.5)
    await room.close()

    recording = recording_of(hub, scene.show_id)
    await publisher.stop()  # DELETE: the show pauses
    await api.call("POST", f"/api/shows/{scene.show_id}/end", 200, token=scene.host["token"])  # it ends
    await asyncio.to_thread(recording.join, 10)  # the recording is finished
    assert recording.path is not None
    assert recording.failed is None
    await client.app[SERVICES].timeline.flush()
    return RecordedShow(scene, viewer, recording.path, pins, unpin, live_order, events)


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_nothing_recorded_is_a_404_and_an_unknown_show_too(api: Api) -> None:
    scene = await make_scene(api)

    nothing = await api.call("GET", f"/api/shows/{scene.show_id}/replay", 404)
    unknown = await api.call("GET", "/api/shows/shw_nope/replay", 404)
    media = await api.call("GET", f"/media/{scene.show_id}", 404)

    assert nothing["error"] == {
        "code": "not_found",
        "message": "nothing was recorded for this show",
        "show_id": scene.show_id,
    }
    assert unknown["error"]["code"] == "not_found"
    assert media["error"]["code"] == "not_found"


@pytest.mark.parametrize(("codec", "content_type"), [("vp8", "video/webm"), ("h264", "video/mp4")])
async def test_the_replay_places_pins_chat_and_sales_on_the_recordings_clock(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession, codec: str, content_type: str
) -> None:
    show = await record_a_show(api, client, http, codec)
    first, second = show.scene.products

    replay = await api.call("GET", f"/api/shows/{show.scene.show_id}/replay", 200)

    file = await asyncio.to_thread(read_recording, show.path, codec)
    assert replay["show_id"] == show.scene.show_id
    assert replay["media_url"] == f"/media/{show.scene.show_id}"
    assert replay["content_type"] == content_type
    assert abs(replay["duration_ms"] - file.duration_s * 1000) <= 0.01 * file.duration_s * 1000
    types = [event["type"] for event in replay["events"]]
    assert types == ["pin", "chat", "sale", "unpin", "pin"], [(e["type"], e["at_ms"]) for e in replay["events"]]
    pin1, chat, sale, unpin, pin2 = replay["events"]
    assert show.pins[0][0] <= pin1["at_ms"] <= show.pins[0][1]
    assert show.unpin[0] <= unpin["at_ms"] <= show.unpin[1]
    assert show.pins[1][0] <= pin2["at_ms"] <= show.pins[1][1]
    assert pin1["product"]["id"] == first["id"]
    assert pin2["product"]["id"] == second["id"]
    assert unpin["product_id"] == first["id"]
    assert chat["message"]["text"] == "that glow!"
    assert chat["message"]["name"] == "Sam Lee"
    assert pin1["at_ms"] <= chat["at_ms"] <= sale["at_ms"] <= unpin["at_ms"]
    assert (sale["product_id"], sale["qty"], sale["buyer"]) == (first["id"], 1, "Sam L.")
    assert replay["chapters"] == [
        {"at_ms": pin1["at_ms"], "until_ms": unpin["at_ms"], "product": pin1["product"]},
        {"at_ms": pin2["at_ms"], "until_ms": replay["duration_ms"], "product": pin2["product"]},
    ]
    # the room events carried the frame on air: the same clock every viewer's RTP timestamps are on
    stamped = [e for e in show.events if isinstance(e, Pinned | Unpinned)]
    assert len(stamped) == 3
    assert all(isinstance(e.media_time, int) and 0 <= e.media_time < 2**32 for e in stamped)
    assert (stamped[1].media_time - stamped[0].media_time) % 2**32 == pytest.approx(  # type: ignore[operator]
        (unpin["at_ms"] - pin1["at_ms"]) * 90, abs=90 * 70
    )  # 90 kHz; within two frames


async def test_media_serves_ranges_with_caching_headers(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession
) -> None:
    show = await record_a_show(api, client, http)
    url = f"/media/{show.scene.show_id}"
    data = show.path.read_bytes()
    size = len(data)

    whole = await api.request("GET", url)
    body = await whole.read()
    assert whole.status == 200
    assert body == data
    assert whole.headers["Content-Type"] == "video/webm"
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Cache-Control"] == "public, max-age=31536000, immutable"  # the show ended
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]

    part = await api.request("GET", url, headers={"Range": "bytes=100-1099"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{size}"
    assert await part.read() == data[100:1100]

    tail = await api.request("GET", url, headers={"Range": "bytes=-500"})
    assert tail.status == 206
    assert await tail.read() == data[-500:]
    assert tail.headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"

    beyond = await api.request("GET", url, headers={"Range": f"bytes={size}-"})
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"

    cached = await api.request("GET", url, headers={"If-None-Match": etag})
    assert cached.status == 304
    unchanged = await api.request("GET", url, headers={"If-Modified-Since": modified})
    assert unchanged.status == 304


async def test_media_while_live_is_the_growing_file_and_not_cached_for_good(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession
) -> None:
    scene = await make_scene(api)
    publisher = await publish(http, client, scene)
    await eventually(lambda: (client.app[SERVICES].media.recording_ms(scene.show_id) or 0) > 1500)

    first = await api.request("GET", f"/media/{scene.show_id}")
    first_body = await first.read()
    await asyncio.sleep(1.5)
    later = await api.request("GET", f"/media/{scene.show_id}", headers={"Range": f"bytes={len(first_body)}-"})
    replay = await api.call("GET", f"/api/shows/{scene.show_id}/replay", 200)
    await publisher.stop()

    assert first.status == 200
    assert first.headers["Cache-Control"] == "no-cache"
    assert first_body[:4] == b"\x1a\x45\xdf\xa3"  # an EBML (WebM) header
    assert later.status == 206, "the file grew while the show went on"
    assert len(await later.read()) > 0
    assert replay["duration_ms"] is None  # a growing recording has no duration yet


async def raw_get(client: TestClient[Any, Any], target: str) -> tuple[int, str, bytes]:
    """GET exactly `target` (no client-side normalising or re-encoding of the path)."""
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), body


TRAVERSALS = [
    "../secret.webm",
    "..%2Fsecret.webm",
    "%2e%2e%2fsecret.webm",
    "%2E%2E/%2E%2E/secret.webm",
    "..%5Csecret.webm",
    "%252e%252e%252fsecret.webm",
    "shw_x%00.webm",
    "..",
    "%2e%2e",
    ".",
    "secret",
    "shw_x/../../secret.webm",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_media_never_serves_a_file_outside_the_recordings(
    client: TestClient[Any, Any], settings: Settings, tmp_path: Path, path: str
) -> None:
    secret = b"SECRET-" + hashlib.sha256(path.encode()).hexdigest().encode()
    (tmp_path / "secret.webm").write_bytes(secret)  # beside the recordings directory
    (tmp_path / "secret").write_bytes(secret)
    recordings = Path(settings.recordings_dir or tmp_path / "recordings")
    await asyncio.to_thread(recordings.mkdir, parents=True, exist_ok=True)
    (recordings / "secret.webm").write_bytes(secret)  # not a show's recording: never served either

    status, head, body = await raw_get(client, f"/media/{path}")

    assert secret not in body, path
    assert "content-type: video/" not in head.lower(), (path, status)
    if ".." not in path and path != ".":  # a bare `..` is resolved by the server's URL parser first
        assert status in (400, 404), (path, status)


async def test_buying_from_the_replay_is_marked_replay_and_pays_the_host_the_same_commission(
    api: Api, client: TestClient[Any, Any], http: aiohttp.ClientSession
) -> None:
    show = await record_a_show(api, client, http)
    scene, (first, _second) = show.scene, show.scene.products
    status = (await api.call("GET", f"/api/shows/{scene.show_id}", 200))["status"]
    assert status == "ended"
    later = await scene.viewer("Ada Replay")
    path = f"/api/shows/{scene.show_id}"

    await api.call(
        "POST",
        f"{path}/cart/items",
        201,
        token=later["token"],
        json={"product_id": first["id"], "qty": 2, "source": "replay"},
    )
    order = await api.call(
        "POST",
        f"{path}/checkout",
        201,
        token=later["token"],
        json={**checkout_body(), "source": "replay"},
        headers={"Idempotency-Key": new_key()},
    )

    assert order["source"] == "replay"
    assert show.live_order["source"] == "live"
    assert order["status"] == "paid"
    assert order["total_cents"] == 2 * 2900
    assert order["commission_cents"] == 2 * 2900 * 1500 // 10000 == 2 * show.live_order["commission_cents"]
    earnings = await api.call("GET", f"/api/hosts/{scene.host['id']}/earnings", 200, token=scene.host["token"])
    assert earnings["earned_cents"] == show.live_order["commission_cents"] + order["commission_cents"]
    stats = await api.call("GET", f"{path}/stats", 200, token=scene.host["token"])
    [row] = [row for row in stats["products"] if row["product_id"] == first["id"]]
    assert row["by_source"] == {
        "live": {"orders": 1, "units": 1, "gross_cents": 2900, "net_cents": 2900},
        "replay": {"orders": 1, "units": 2, "gross_cents": 5800, "net_cents": 5800},
    }
    assert stats["totals"][0]["by_source"]["replay"]["gross_cents"] == 5800
    replay = await api.call("GET", f"{path}/replay", 200)
    assert [e["type"] for e in replay["events"]].count("sale") == 1, "a replay sale is not on the show's timeline"


async def test_the_replay_path_is_explicit(api: Api, client: TestClient[Any, Any]) -> None:
    scene = await make_scene(api, {}, {"sku": "never-pinned"})
    viewer = await scene.viewer()
    path = f"/api/shows/{scene.show_id}"

    never_broadcast = await api.call(
        "POST",
        f"{path}/cart/items",
        409,
        token=viewer["token"],
        json={"product_id": scene.products[0]["id"], "source": "replay"},
    )
    refused = await api.call(
        "POST",
        f"{path}/checkout",
        409,
        token=viewer["token"],
        json={**checkout_body(), "source": "replay"},
        headers={"Idempotency-Key": new_key()},
    )
    bad = await api.call(
        "POST",
        f"{path}/cart/items",
        400,
        token=viewer["token"],
        json={"product_id": scene.products[0]["id"], "source": "tv"},
    )

    assert never_broadcast["error"]["code"] == "not_replayable"
    assert never_broadcast["error"]["show_id"] == scene.show_id
    assert refused["error"]["code"] == "not_replayable"
    assert "source" in bad["error"]["fields"]
