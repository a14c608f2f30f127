"""Types of the relay's C fast path, livecart/media/_fastsend.c (built by setup.py when it can be)."""

from collections.abc import Sequence

HISTORY_PACKETS: int
PROFILE_AES128_CM_SHA1_80: int
PROFILE_AEAD_AES_128_GCM: int
PROFILE_AEAD_AES_256_GCM: int

def gso_enabled() -> bool: ...

class Srtp:
    """The SRTP session keys of one direction, from the master key and salt (libsrtp's profile numbers)."""

    def __init__(self, profile: int, key_and_salt: bytes) -> None: ...
    def protect(self, packet: bytes, roc: int = 0) -> bytes: ...

class Writer:
    """One viewer's RTP stream: headers, SRTP, the NACK history and a descriptor of its UDP socket."""

    sequence: int
    packets_sent: int
    def __init__(
        self,
        srtp: Srtp,
        ssrc: int,
        payload_type: int,
        first_byte: int,
        extension: bytes,
        abs_send_time_at: int,
        sequence: int,
        timestamp_origin: int,
        rtx_ssrc: int = 0,
    ) -> None: ...
    def connect(self, fd: int, host: str, port: int) -> None: ...
    def send(self, payloads: Sequence[bytes], timestamp: int, abs_send_time: int) -> bool: ...
    def build(self, payloads: Sequence[bytes], timestamp: int, abs_send_time: int) -> list[bytes]: ...
    def holds(self, sequence: int) -> bool: ...
    def retransmit(
        self, sequence: int, rtx_payload_type: int, rtx_sequence: int, abs_send_time: int
    ) -> bytes | None: ...
    def close(self) -> None: ...
