"""Identifiers and tokens."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 24


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier such as `prd_3f9a1c2b7d4e5f60`."""
    return f"{prefix}_{secrets.token_hex(8)}"


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Tokens are stored only as SHA-256 digests: a leaked database does not leak credentials."""
    return hashlib.sha256(token.encode()).hexdigest()
