"""What an account keeps for next time, and a show's poster frame: plain records, no I/O.

A saved card is the payment provider's token with what a person recognises it by (brand, last four
digits); the card number itself is never kept. A poster is one still image of the show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livecart.domain.models import rfc3339

POSTER_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# The first bytes of each accepted image type: a body is taken only when it starts like its type.
POSTER_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/webp": (b"RIFF",)}


@dataclass(frozen=True)
class SavedCard:
    token: str  # the payment provider's; never sent to clients
    brand: str
    last4: str
    created_at: datetime

    def public(self) -> dict[str, str | None]:
        return {"brand": self.brand, "last4": self.last4, "created_at": rfc3339(self.created_at)}


@dataclass(frozen=True)
class Poster:
    content_type: str
    data: bytes
    updated_at: datetime


def looks_like(content_type: str, data: bytes) -> bool:
    """Whether `data` starts as an image of `content_type` does (WebP: RIFF…WEBP)."""
    if not any(data.startswith(magic) for magic in POSTER_MAGIC.get(content_type, ())):
        return False
    return content_type != "image/webp" or data[8:12] == b"WEBP"
