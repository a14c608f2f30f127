"""A WHIP publisher and a WHEP player written against GStreamer's webrtcbin, for the interop tests.

Runs with the *system* Python (Debian's python3-gi and gir1.2-gst-plugins-bad-1.0), not livecart's venv:

    /usr/bin/python3 gst_webrtc.py publish URL TOKEN --codec vp8|h264 --seconds N
    /usr/bin/python3 gst_webrtc.py play URL --codec vp8|h264 --seconds N

It prints one JSON object per line on stdout: {"event": "answer"|"connected"|"stats"|"done"|"error", ...}.
`stats` (once a second, playing) carries the number of video frames decoded so far and their size.
No trickle ICE: the offer is sent once ICE gathering is complete, as most WHIP/WHEP clients do.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

VIDEO = {
    "vp8": {
        "encode": "vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=600000 ! rtpvp8pay pt=96",
        "caps": "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
        "decode": "rtpvp8depay ! vp8dec",
    },
    "h264": {
        "encode": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=600"
        " ! video/x-h264,profile=constrained-baseline"
        " ! rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency",
        "caps": "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
        "packetization-mode=(string)1,profile-level-id=(string)42e01f",
        "decode": "rtph264depay ! h264parse ! avdec_h264",
    },
}
AUDIO_CAPS = "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000"


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


class Session:
    """One webrtcbin peer: offer → (ICE gathering complete) → POST → answer; DELETE at the end."""

    def __init__(self, pipeline: Any, url: str, token: str | None) -> None:
        self.pipeline = pipeline
        self.webrtc = pipeline.get_by_name("webrtc")
        self.url = url
        self.token = token
        self.location: str | None = None
        self.loop = GLib.MainLoop()
        self.negotiating = False
        self.offered = False
        self.webrtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.webrtc.connect("notify::ice-gathering-state", self.on_gathering_state)
        self.webrtc.connect("notify::connection-state", self.on_connection_state)
        bus = pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)

    def on_error(self, _bus: Any, message: Any) -> None:
        error, debug = message.parse_error()
        say("error", message=f"{error.message} ({debug})")
        self.loop.quit()

    def on_negotiation_needed(self, _element: Any) -> None:
        if self.negotiating:  # one offer per session: WHIP/WHEP have no renegotiation
            return
        self.negotiating = True
        promise = Gst.Promise.new_with_change_func(self.on_offer_created, None)
        self.webrtc.emit("create-offer", None, promise)

    def on_offer_created(self, promise: Any, _data: Any) -> None:
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer")
        if offer is None:
            say("error", message=f"create-offer: {reply.to_string()}")
            self.loop.quit()
            return
        self.webrtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering_state(self, _element: Any, _spec: Any) -> None:
        if self.webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        if self.offered:
            return
        self.offered = True
        GLib.idle_add(self.send_offer)

    def on_connection_state(self, _element: Any, _spec: Any) -> None:
        state = self.webrtc.get_property("connection-state")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            say("connected")
        elif state == GstWebRTC.WebRTCPeerConnectionState.FAILED:
            say("error", message="the peer connection failed")
            self.loop.quit()

    def send_offer(self) -> bool:
        sdp = self.webrtc.get_property("local-description").sdp.as_text()
        headers = {"Content-Type": "application/sdp"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=sdp.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = response.read().decode()
                self.location = urllib.parse.urljoin(self.url, response.headers["Location"])
        except urllib.error.HTTPError as exc:
            say("error", message=f"POST {exc.code}: {exc.read().decode(errors='replace')}", status=exc.code)
            self.loop.quit()
            return False
        say("answer", sdp=answer)
        _, message = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.webrtc.emit("set-remote-description", description, Gst.Promise.new())
        return False

    def delete(self) -> None:
        if self.location is None:
            return
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        request = urllib.request.Request(self.location, headers=headers, method="DELETE")
        try:
            with urllib.request.urlopen(request, timeout=5):
                pass
        except (urllib.error.URLError, OSError) as exc:
            say("error", message=f"DELETE failed: {exc}")

    def run(self, seconds: float) -> None:
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(int(seconds * 1000), self.loop.quit)
        self.loop.run()
        self.delete()
        self.pipeline.set_state(Gst.State.NULL)


def publish(url: str, token: str, codec: str, seconds: float) -> None:
    pipeline = Gst.parse_launch(
        "webrtcbin name=webrtc bundle-policy=max-bundle "
        "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 "
        f"! videoconvert ! queue ! {VIDEO[codec]['encode']} ! queue ! webrtc. "
        "audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! opusenc "
        "! rtpopuspay pt=111 ! queue ! webrtc."
    )
    session = Session(pipeline, url, token)
    # The pads linked above made sendrecv transceivers: a publisher only sends.
    index = 0
    while (transceiver := session.webrtc.emit("get-transceiver", index)) is not None:
        transceiver.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        index += 1
    session.run(seconds)
    say("done")


class FrameCounter:
    def __init__(self) -> None:
        self.frames = 0
        self.width = 0
        self.height = 0
        self.lock = threading.Lock()

    def probe(self, pad: Any, info: Any) -> Any:
        with self.lock:
            self.frames += 1
            if not self.width:
                structure = pad.get_current_caps().get_structure(0)
                self.width = structure.get_value("width")
                self.height = structure.get_value("height")
        return Gst.PadProbeReturn.OK


def play(url: str, codec: str, seconds: float) -> None:
    pipeline = Gst.Pipeline.new("player")
    element = Gst.ElementFactory.make("webrtcbin", "webrtc")
    element.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
    pipeline.add(element)
    session = Session(pipeline, url, None)
    webrtc = session.webrtc
    recvonly = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
    webrtc.emit("add-transceiver", recvonly, Gst.Caps.from_string(VIDEO[codec]["caps"]))
    webrtc.emit("add-transceiver", recvonly, Gst.Caps.from_string(AUDIO_CAPS))
    counter = FrameCounter()

    def on_pad_added(_element: Any, pad: Any) -> None:
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        media = pad.get_current_caps().get_structure(0).get_value("media")
        if media == "video":
            chain = f"queue ! {VIDEO[codec]['decode']} ! videoconvert ! fakesink name=videosink sync=false"
        else:
            chain = "queue ! rtpopusdepay ! opusdec ! fakesink sync=false"
        sink_bin = Gst.parse_bin_from_description(chain, True)
        pipeline.add(sink_bin)
        sink_bin.sync_state_with_parent()
        pad.link(sink_bin.get_static_pad("sink"))
        if media == "video":
            sink_pad = sink_bin.get_by_name("videosink").get_static_pad("sink")
            sink_pad.add_probe(Gst.PadProbeType.BUFFER, counter.probe)

    webrtc.connect("pad-added", on_pad_added)

    def report() -> bool:
        with counter.lock:
            say("stats", frames=counter.frames, width=counter.width, height=counter.height)
        return True

    GLib.timeout_add(1000, report)
    session.run(seconds)
    report()
    say("done")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=["publish", "play"])
    parser.add_argument("url")
    parser.add_argument("token", nargs="?")
    parser.add_argument("--codec", choices=sorted(VIDEO), default="vp8")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    Gst.init(None)
    if args.mode == "publish":
        publish(args.url, args.token, args.codec, args.seconds)
    else:
        play(args.url, args.codec, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
