"""livecart's DTLS client (it answers every offer with a=setup:active) handshakes with the certificates
and suites real WebRTC peers use: in-memory DTLS 1.2 handshakes against OpenSSL servers set up like them.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable

import pytest
from aiortc import RTCCertificate, RTCConfiguration, RTCPeerConnection
from aiortc.rtcdtlstransport import SRTP_PROFILES
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from OpenSSL import SSL
from OpenSSL._util import ffi, lib

from livecart.media.aiortc_adapter import DTLS_CIPHER_SUITES, AiortcChanged, dtls_suites, interoperable_dtls, verify

ServerKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
# GStreamer's dtls plugin (gstdtlsagent.c) sets this cipher list on its OpenSSL context.
GSTREAMER_CIPHERS = b"ALL:!ADH:!LOW:!EXP:!MD5:@STRENGTH"


async def livecart_context() -> SSL.Context:
    """The SSL context a livecart peer connection's DTLS transport builds in start()."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    interoperable_dtls(pc)
    certificate = pc._RTCPeerConnection__certificates[0]  # type: ignore[attr-defined]
    context: SSL.Context = certificate._create_ssl_context(SRTP_PROFILES)
    await pc.close()
    return context


def aiortc_context() -> SSL.Context:
    context: SSL.Context = RTCCertificate.generateCertificate()._create_ssl_context(SRTP_PROFILES)
    return context


def server_context(key: ServerKey, ciphers: bytes | None = None, groups: bytes | None = None) -> SSL.Context:
    """A DTLS server like a WebRTC peer that was offered a=setup:actpass and answered passive."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peer")])
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
    context = SSL.Context(SSL.DTLS_METHOD)
    context.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *args: True)
    context.use_certificate(certificate)
    context.use_privatekey(key)
    context.set_tlsext_use_srtp(b"SRTP_AES128_CM_SHA1_80")
    if ciphers is not None:
        context.set_cipher_list(ciphers)
    if groups is not None:
        assert lib.SSL_CTX_set1_curves_list(context._context, groups) == 1, f"this OpenSSL has no group {groups!r}"
    return context


def handshake(client_context: SSL.Context, server_context: SSL.Context) -> tuple[SSL.Connection, SSL.Connection]:
    """Run a DTLS handshake over memory BIOs; raises SSL.Error with OpenSSL's reason when it fails."""
    client, server = SSL.Connection(client_context), SSL.Connection(server_context)
    client.set_connect_state()
    server.set_accept_state()
    for _ in range(30):
        for connection in (client, server):
            with contextlib.suppress(SSL.WantReadError):
                connection.do_handshake()
        moved = False
        for source, target in ((client, server), (server, client)):
            try:
                target.bio_write(source.bio_read(65536))
                moved = True
            except SSL.WantReadError:
                pass
        if not moved:
            break
    assert client.get_finished() is not None, "the handshake stalled"
    assert server.get_finished() is not None, "the handshake stalled"
    return client, server


def group_name(connection: SSL.Connection) -> str:
    name = lib.SSL_get0_group_name(connection._ssl)
    return "" if name == ffi.NULL else ffi.string(name).decode()


def rsa_2048() -> ServerKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key(curve: ec.EllipticCurve) -> Callable[[], ServerKey]:
    return lambda: ec.generate_private_key(curve)


async def test_livecart_offers_ecdhe_rsa_suites_next_to_aiortcs_ecdhe_ecdsa_ones() -> None:
    offered = dtls_suites(await livecart_context())
    assert offered == list(DTLS_CIPHER_SUITES)
    assert set(dtls_suites(aiortc_context())) < set(offered), "livecart never offers less than aiortc"
    assert [s for s in offered if s.startswith("ECDHE-RSA-")] == [
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-RSA-AES256-SHA",
    ]
    assert all(s.startswith(("ECDHE-ECDSA-", "ECDHE-RSA-")) for s in offered), "forward secrecy only"


@pytest.mark.parametrize(
    ("peer", "key", "ciphers", "suite"),
    [
        ("GStreamer webrtcbin (RSA-2048)", rsa_2048, GSTREAMER_CIPHERS, "ECDHE-RSA-AES128-GCM-SHA256"),
        ("Chromium (ECDSA P-256)", ec_key(ec.SECP256R1()), None, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        ("ECDSA P-384", ec_key(ec.SECP384R1()), None, "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ],
)
async def test_livecart_completes_dtls_with_the_peer_certificate(
    peer: str, key: Callable[[], ServerKey], ciphers: bytes | None, suite: str
) -> None:
    client, _ = handshake(await livecart_context(), server_context(key(), ciphers))
    assert client.get_cipher_name() == suite, peer
    assert client.get_selected_srtp_profile() == b"SRTP_AES128_CM_SHA1_80"


def test_without_livecart_s_suites_an_rsa_peer_finds_no_shared_cipher() -> None:
    with pytest.raises(SSL.Error, match=r"no shared cipher|handshake failure"):
        handshake(aiortc_context(), server_context(rsa_2048(), GSTREAMER_CIPHERS))


@pytest.mark.parametrize(
    ("group", "openssl_name"),
    [
        ("X25519", "x25519"),
        ("P-256", "secp256r1"),
        ("X448", "x448"),
        ("P-384", "secp384r1"),
        ("P-521", "secp521r1"),
    ],
)
async def test_livecart_offers_the_key_exchange_group(group: str, openssl_name: str) -> None:
    # The server prefers `group`; it also needs P-256, the curve of livecart's own (client) certificate.
    server = server_context(rsa_2048(), GSTREAMER_CIPHERS, f"{group}:P-256".encode())
    server.set_options(SSL.OP_CIPHER_SERVER_PREFERENCE)
    client, _ = handshake(await livecart_context(), server)
    assert group_name(client) == openssl_name


@pytest.mark.xfail(
    raises=SSL.Error,
    reason="FFmpeg 8's default DTLS certificate is on P-224; OpenSSL 4 (cryptography's wheels since 47) has no "
    "TLS group secp224r1, so a TLS 1.2 client cannot accept a server key on it (wrong curve)",
)
async def test_livecart_accepts_a_p224_server_certificate_as_ffmpeg_makes_by_default() -> None:
    handshake(await livecart_context(), server_context(ec.generate_private_key(ec.SECP224R1())))


def test_verify_names_a_dtls_suite_aiortc_offers_that_livecart_would_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    original = RTCCertificate._create_ssl_context

    def create_ssl_context(self: RTCCertificate, srtp_profiles: list[object]) -> SSL.Context:
        context = original(self, srtp_profiles)  # type: ignore[arg-type]
        context.set_cipher_list(b"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
        return context

    monkeypatch.setattr(RTCCertificate, "_create_ssl_context", create_ssl_context)
    with pytest.raises(AiortcChanged, match="ECDHE-ECDSA-AES256-GCM-SHA384"):
        verify()
