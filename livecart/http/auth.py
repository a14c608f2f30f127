"""Bearer tokens: who is calling (`Authenticator`), and whether their role may do this (`require`)."""

from __future__ import annotations

import hmac

from aiohttp import web

from livecart import keys
from livecart.domain.errors import Forbidden, Unauthorized
from livecart.domain.models import ADMIN, Account, Role
from livecart.store.base import Store


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    token = token.strip()
    if not (token.isascii() and token.isprintable()):  # our tokens are URL-safe ASCII; raw bytes arrive escaped
        raise Unauthorized("the bearer token is not valid")
    return token


class Authenticator:
    """Turns a token into its account: the admin token (compared in constant time) or a stored one."""

    def __init__(self, store: Store, *, admin_token: str) -> None:
        self._store = store
        self._admin_token = admin_token.encode()

    def is_admin(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self._admin_token)

    async def account_for_token(self, token: str) -> Account | None:
        if self.is_admin(token):
            return ADMIN
        return await self._store.account_by_token(token)


async def optional_account(request: web.Request) -> Account | None:
    token = bearer_token(request)
    if token is None:
        return None
    account = await request.app[keys.SERVICES].auth.account_for_token(token)
    if account is None:
        raise Unauthorized("the bearer token is not valid")
    return account


async def require(request: web.Request, *roles: Role) -> Account:
    """The caller's account, which must have one of `roles` (admin always may)."""
    account = await optional_account(request)
    if account is None:
        raise Unauthorized("this needs a bearer token")
    return allowed(account, *roles)


def allowed(account: Account, *roles: Role) -> Account:
    """The account, when it has one of `roles` (admin always may); else Forbidden."""
    if account.role is not Role.ADMIN and account.role not in roles:
        allowed = " or ".join(role.value for role in roles) or "admin"
        raise Forbidden(f"only {allowed} may do this", role=account.role.value)
    return account
