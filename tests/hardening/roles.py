"""The cast of the authorization matrices: one account per role, and every role's token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support import ADMIN_TOKEN, Api

ACCOUNTS = [
    ("viewer", "viewer"),
    ("other_viewer", "viewer"),
    ("host", "host"),
    ("other_host", "host"),
    ("brand", "brand"),
    ("other_brand", "brand"),
]


@dataclass
class Cast:
    people: dict[str, dict[str, Any]]  # role → account (with its token)
    tokens: dict[str, str | None]  # every role of the matrix, anonymous (None) and admin included


async def cast_of_roles(api: Api) -> Cast:
    people = {role: await api.create_account(kind, role) for role, kind in ACCOUNTS}
    tokens: dict[str, str | None] = {role: person["token"] for role, person in people.items()}
    tokens |= {"anonymous": None, "admin": ADMIN_TOKEN}
    return Cast(people, tokens)
