"""FFmpeg's WHIP muxer (the one in PyAV's wheels) publishes H.264 + Opus to livecart; a WHEP viewer plays it.

FFmpeg runs in its own process (tests/media/interop/pyav_whip.py), a real client of the app under test.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
import time
from pathlib import Path

import aiohttp
import av
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from livecart.media.clients import WhepViewer
from tests.media.conftest import ShowUnderTest
from tests.media.interop.process import run_client
from tests.media.test_whip_whep import eventually

SCRIPT = Path(__file__).parent / "interop" / "pyav_whip.py"
PUBLISH_SECONDS = 10
SETTLE_SECONDS = 2.0  # a joining viewer first gets the GOP cache at 3x real time: not a frame rate
MEASURE_SECONDS = 3.0
MIN_FPS = 25  # the publisher sends 30


def test_the_installed_pyav_bundles_ffmpegs_whip_muxer() -> None:
    assert "whip" in av.formats_available, f"PyAV {av.__version__} has no WHIP muxer (FFmpeg 8 has one)"


def p256_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ffmpeg-whip")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "whip-cert.pem", directory / "whip-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


async def publish_with_ffmpeg_and_watch(http: aiohttp.ClientSession, show: ShowUnderTest, *options: str) -> float:
    """FFmpeg publishes; once it is live a WHEP viewer joins. Returns the viewer's decoded fps."""
    # `--` ends the options: a token is URL-safe base64 and may start with "-" (argparse would read an option)
    command = [
        sys.executable,
        str(SCRIPT),
        "--seconds",
        str(PUBLISH_SECONDS),
        *options,
        "--",
        show.whip_url,
        show.host_token,
    ]
    async with run_client(command) as ffmpeg:
        await ffmpeg.wait_for("published", within=20)
        viewer = await WhepViewer.start(http, show.whep_url)
        try:
            await eventually(lambda: viewer.stats.video_frames > 0, within=5)
            await asyncio.sleep(SETTLE_SECONDS + MEASURE_SECONDS)
            now = time.monotonic()
            fps = viewer.stats.fps(now - MEASURE_SECONDS, now)
            print(f"FFmpeg {av.ffmpeg_version_info} → livecart → aiortc viewer: {fps:.1f} fps")
            assert "H264" in viewer.answer
            assert (viewer.stats.width, viewer.stats.height) == (320, 240)
            assert viewer.stats.audio_frames > 0
            assert fps >= MIN_FPS, f"the viewer decoded {fps:.1f} fps of FFmpeg's 30"
        finally:
            await viewer.stop()
        await ffmpeg.wait_for("done", within=PUBLISH_SECONDS + 10)
        assert await ffmpeg.finish(within=10) == 0, ffmpeg.describe()
    return fps


@pytest.mark.slow
async def test_ffmpeg_publishes_h264_and_opus_with_a_p256_certificate(
    http: aiohttp.ClientSession, show: ShowUnderTest, tmp_path: Path
) -> None:
    cert_file, key_file = p256_certificate(tmp_path)
    await publish_with_ffmpeg_and_watch(http, show, "--cert-file", str(cert_file), "--key-file", str(key_file))


@pytest.mark.slow
@pytest.mark.xfail(
    raises=AssertionError,
    reason="FFmpeg's default DTLS certificate is on P-224 (secp224r1); the OpenSSL 4 in cryptography's wheels "
    "has no TLS group P-224 (RFC 8422 deprecated it), so livecart, the DTLS client, rejects the server's key "
    "(illegal_parameter) and FFmpeg gives up. See docs/media.md, 'DTLS'.",
)
async def test_ffmpeg_publishes_h264_and_opus_on_its_default_options(
    http: aiohttp.ClientSession, show: ShowUnderTest
) -> None:
    await publish_with_ffmpeg_and_watch(http, show)
