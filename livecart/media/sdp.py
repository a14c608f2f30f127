"""SDP checks for WHIP/WHEP offers and the codecs a publisher negotiated (RFC 9725 section 4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCRtpCodecCapability, RTCRtpSender
from aiortc import sdp as aiortc_sdp
from aiortc.codecs import is_rtx

SDP_CONTENT_TYPE = "application/sdp"
MEDIA_KINDS = ("audio", "video")


class OfferError(ValueError):
    """An offer livecart cannot use; `status` is 400 (malformed) or 422 (well-formed but unsupported)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MediaCodec:
    """A codec as negotiated on one m-line."""

    kind: str
    mime_type: str
    clock_rate: int
    channels: int | None = None
    parameters: dict[str, str | int | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.mime_type.partition("/")[2]


def parse_offer(text: str) -> aiortc_sdp.SessionDescription:
    """Parse and sanity-check an SDP offer; raises OfferError(400) when it is not a usable one."""
    if not text.lstrip().startswith("v=0"):
        raise OfferError("the body is not an SDP offer (it must start with v=0)")
    try:
        description = aiortc_sdp.SessionDescription.parse(text)
    except Exception as exc:  # aiortc's parser fails in many ways (StopIteration on an unknown payload type)
        raise OfferError(f"the SDP offer cannot be parsed: {type(exc).__name__} {exc}") from None
    media = [m for m in description.media if m.kind in MEDIA_KINDS]
    if not media:
        raise OfferError("the SDP offer has no audio or video m-line")
    for m in media:
        if not m.rtp.muxId:  # JSEP (RFC 8829) gives every m-section a mid; aiortc cannot answer without one
            raise OfferError(f"the {m.kind} m-line has no a=mid")
        if m.ice is None or not m.ice.usernameFragment or not m.ice.password:
            raise OfferError(f"the {m.kind} m-line has no ICE ufrag/pwd")
        if m.dtls is None or not m.dtls.fingerprints:
            raise OfferError(f"the {m.kind} m-line has no DTLS fingerprint")
    mids = [m.rtp.muxId for m in description.media]
    if len(set(mids)) != len(mids):
        raise OfferError("two m-lines of the SDP offer share a mid")
    for group in description.group:  # aiortc fails deep inside createAnswer on a BUNDLE that does not match
        if group.semantic == "BUNDLE" and {str(item) for item in group.items} != set(mids):
            raise OfferError("the SDP offer's BUNDLE group must name exactly its m-lines' mids")
    return description


def offered_kinds(description: aiortc_sdp.SessionDescription) -> list[str]:
    return [m.kind for m in description.media if m.kind in MEDIA_KINDS]


def require_direction(description: aiortc_sdp.SessionDescription, allowed: tuple[str, ...], role: str) -> None:
    for m in description.media:
        direction = m.direction or "sendrecv"
        if m.kind in MEDIA_KINDS and direction not in allowed:
            wanted = " or ".join(allowed)
            raise OfferError(f"a {role} offer's {m.kind} m-line must be {wanted}, not {direction}")


def negotiated_codecs(answer: str) -> dict[str, MediaCodec]:
    """The codec each accepted m-line of an answer settled on (its first non-RTX codec)."""
    codecs: dict[str, MediaCodec] = {}
    for m in aiortc_sdp.SessionDescription.parse(answer).media:
        if m.kind not in MEDIA_KINDS or m.port == 0 or m.kind in codecs:
            continue
        for codec in m.rtp.codecs:
            if not is_rtx(codec):
                codecs[m.kind] = MediaCodec(
                    kind=m.kind,
                    mime_type=codec.mimeType,
                    clock_rate=codec.clockRate,
                    channels=codec.channels,
                    parameters=dict(codec.parameters),
                )
                break
    return codecs


def capabilities_for(codec: MediaCodec) -> list[RTCRtpCodecCapability]:
    """aiortc's send capabilities matching a publisher's codec (plus RTX for video), to force a viewer
    onto the publisher's codec. H.264 must match packetization-mode; the profile-level-id is
    matched by profile (aiortc offers 42001f and 42e01f)."""
    capabilities = RTCRtpSender.getCapabilities(codec.kind).codecs
    same_name = [c for c in capabilities if c.mimeType.lower() == codec.mime_type.lower()]
    matching = [c for c in same_name if _same_format(c, codec)]
    if codec.kind == "video":
        matching += [c for c in capabilities if is_rtx(c)]
    return matching


def _same_format(capability: RTCRtpCodecCapability, codec: MediaCodec) -> bool:
    if codec.mime_type.lower() != "video/h264":
        return True
    mode = str(codec.parameters.get("packetization-mode", "0"))
    return str(capability.parameters.get("packetization-mode", "0")) == mode
