"""Publish synthetic H.264 + Opus over WHIP with FFmpeg's WHIP muxer, through PyAV (for the interop tests).

    python pyav_whip.py URL TOKEN --seconds N [--cert-file F --key-file F]

Runs in its own process: FFmpeg's muxer does its HTTP, ICE and DTLS inside blocking calls, and the
server under test may be an event loop in the test's process. Apart from the bearer token (and the
certificate when given) the muxer runs on its default options. The video is 320x240 at 30 fps
(libx264, baseline, no B-frames: FFmpeg's WHIP muxer refuses B-frames), the audio a 48 kHz stereo
Opus tone. Prints JSON lines on stdout: {"event": "published"|"done"|"error", ...}.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from fractions import Fraction
from typing import Any

import av

WIDTH, HEIGHT, FPS = 320, 240, 30
SAMPLE_RATE, SAMPLES_PER_FRAME = 48000, 960  # 20 ms Opus frames


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "t": time.monotonic(), **fields}), flush=True)


def video_frame(index: int) -> av.VideoFrame:
    """A grey picture with a white bar that moves one step per frame."""
    frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    bar = (index * 4) % WIDTH
    row = bytearray(b"\x50" * WIDTH)
    row[bar : bar + 8] = b"\xeb" * len(row[bar : bar + 8])
    luma = frame.planes[0]
    luma.update(bytes(row).ljust(luma.line_size, b"\x00") * HEIGHT)
    for plane in frame.planes[1:]:
        plane.update(b"\x80" * plane.buffer_size)
    frame.pts = index
    frame.time_base = Fraction(1, FPS)
    return frame


def audio_frame(index: int) -> av.AudioFrame:
    """20 ms of a 440 Hz tone, 16-bit stereo."""
    samples = bytearray()
    for n in range(SAMPLES_PER_FRAME):
        value = int(8000 * math.sin(2 * math.pi * 440 * (index * SAMPLES_PER_FRAME + n) / SAMPLE_RATE))
        samples += value.to_bytes(2, "little", signed=True) * 2
    frame = av.AudioFrame(format="s16", layout="stereo", samples=SAMPLES_PER_FRAME)
    frame.planes[0].update(bytes(samples))
    frame.sample_rate = SAMPLE_RATE
    frame.pts = index * SAMPLES_PER_FRAME
    frame.time_base = Fraction(1, SAMPLE_RATE)
    return frame


def publish(url: str, token: str, seconds: float, cert_file: str | None, key_file: str | None) -> None:
    options = {"authorization": token}
    if cert_file and key_file:
        options |= {"cert_file": cert_file, "key_file": key_file}
    output = av.open(url, mode="w", format="whip", options=options)
    video = output.add_stream("libx264", rate=FPS)
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.options = {"profile": "baseline", "preset": "ultrafast", "tune": "zerolatency", "bf": "0", "g": "60"}
    audio = output.add_stream("libopus", rate=SAMPLE_RATE, layout="stereo")
    started = time.monotonic()
    published = False
    audio_index = 0
    try:
        for index in range(int(seconds * FPS)):
            for packet in video.encode(video_frame(index)):
                output.mux(packet)
                if not published:
                    published = True
                    say("published")
            while audio_index * SAMPLES_PER_FRAME / SAMPLE_RATE <= index / FPS:
                output.mux(audio.encode(audio_frame(audio_index)))
                audio_index += 1
            time.sleep(max(0.0, started + (index + 1) / FPS - time.monotonic()))
        output.mux(video.encode())
        output.mux(audio.encode())
    finally:
        output.close()
    say("done", frames=int(seconds * FPS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--cert-file")
    parser.add_argument("--key-file")
    args = parser.parse_args()
    try:
        publish(args.url, args.token, args.seconds, args.cert_file, args.key_file)
    except av.FFmpegError as exc:
        say("error", message=str(exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
