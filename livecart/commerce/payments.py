"""Payment providers: the `PaymentProvider` protocol and the built-in test provider.

A provider charges a card for an order. Charges are idempotent by `reference` (the order id): asking
twice for the same reference returns the first charge and never charges twice, which is what makes
checkout recovery safe (docs/commerce.md). Payouts to hosts are idempotent the same way, by the payout
id, which is what makes payout recovery safe.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from livecart.domain.errors import PaymentDeclined
from livecart.domain.ids import new_id

# The common card-network test numbers (PROTOCOL.md).
TEST_CARD_OK = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"
TOKEN_PREFIX = "tok_test_"


@dataclass(frozen=True)
class Charge:
    id: str
    reference: str
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class CardToken:
    """A card as the provider keeps it for later charges: its token, and what a person recognises it by."""

    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class Transfer:
    """Money sent to a host's account by a payout."""

    id: str
    reference: str  # the payout id
    party_id: str
    amount_cents: int
    currency: str


class PaymentProvider(Protocol):
    async def charge(self, *, reference: str, amount_cents: int, currency: str, card_number: str) -> Charge:
        """Charge the card (`card_number`: a card number, or a token this provider issued with
        `tokenize`); the same `reference` again returns the first charge (no second charge).

        Raises PaymentDeclined (`decline_code`) when the card is refused; nothing is charged then.
        """

    async def find_charge(self, reference: str) -> Charge | None:
        """The charge made for `reference`, if any (checkout recovery asks after a crash)."""

    async def refund(self, *, charge_id: str, amount_cents: int) -> None:
        """Give `amount_cents` of a charge back to the buyer."""

    async def tokenize(self, card_number: str) -> CardToken:
        """Keep the card with the provider and return its token (what may be stored on our side).

        Raises PaymentDeclined (`invalid_number`) for a number the provider does not accept.
        """

    async def payout(self, *, reference: str, party_id: str, amount_cents: int, currency: str) -> Transfer:
        """Send `amount_cents` to the host `party_id`; the same `reference` again returns the first
        transfer (no second payment)."""

    async def find_payout(self, reference: str) -> Transfer | None:
        """The transfer made for `reference`, if any (payout recovery asks after a crash)."""


class TestPaymentProvider:
    """Test provider: 4242424242424242 succeeds, 4000000000000002 is declined, others are invalid.

    Like a real provider it tokenizes cards (`tok_test_…`, opaque, random) and charges a token it issued
    as it would the card; a token it does not know is declined (`unknown_token`).

    `latency_s` simulates the round trip to a real provider (0 by default). With `path`, every charge,
    refund and payout is appended to that file (one JSON line, fsynced before the call returns) and
    read back on start-up, so the provider outlives a crash of the process as a real one would;
    without it, they live in memory and die with the process.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, latency_s: float = 0.0, path: Path | None = None) -> None:
        self.latency_s = latency_s
        self.path = path
        self.charges: dict[str, Charge] = {}
        self.refunded: dict[str, int] = {}
        self.tokens: dict[str, str] = {}  # token → card number (the provider's side, never livecart's)
        self.transfers: dict[str, Transfer] = {}
        self._paying: dict[str, asyncio.Lock] = {}  # one payout call at a time per reference
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                self._apply(line)

    def _apply(self, line: str) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return  # a line torn by a crash while it was written: that call never returned
        if "token" in record:
            self.tokens[record["token"]] = record["card_number"]
        elif "payout" in record:
            self.transfers[record["payout"]["reference"]] = Transfer(**record["payout"])
        elif "refund" in record:
            self.refunded[record["refund"]] = self.refunded.get(record["refund"], 0) + record["amount_cents"]
        else:
            self.charges[record["reference"]] = Charge(**record)

    async def _record(self, record: dict[str, object]) -> None:
        if self.path is not None:
            await asyncio.to_thread(_append_synced, self.path, json.dumps(record))

    async def charge(self, *, reference: str, amount_cents: int, currency: str, card_number: str) -> Charge:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        existing = self.charges.get(reference)
        if existing is not None:
            return existing
        number = card_number.replace(" ", "")
        if number.startswith(TOKEN_PREFIX):
            if number not in self.tokens:
                raise PaymentDeclined(
                    "the payment provider does not know this saved card", decline_code="unknown_token"
                )
            number = self.tokens[number]
        if number == TEST_CARD_DECLINED:
            raise PaymentDeclined("the card was declined", decline_code="card_declined")
        if number != TEST_CARD_OK:
            raise PaymentDeclined(
                f"unknown test card; use {TEST_CARD_OK} (succeeds) or {TEST_CARD_DECLINED} (declined)",
                decline_code="invalid_number",
            )
        charge = Charge(id=new_id("ch"), reference=reference, amount_cents=amount_cents, currency=currency)
        self.charges[reference] = charge
        if self.path is not None:  # in memory only: nothing to write (asdict costs ~10 µs a charge)
            await self._record(asdict(charge))
        return charge

    async def find_charge(self, reference: str) -> Charge | None:
        return self.charges.get(reference)

    async def refund(self, *, charge_id: str, amount_cents: int) -> None:
        self.refunded[charge_id] = self.refunded.get(charge_id, 0) + amount_cents
        await self._record({"refund": charge_id, "amount_cents": amount_cents})

    async def payout(self, *, reference: str, party_id: str, amount_cents: int, currency: str) -> Transfer:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if amount_cents <= 0:
            raise ValueError("a payout sends a positive amount")
        async with self._paying.setdefault(reference, asyncio.Lock()):
            existing = self.transfers.get(reference)
            if existing is not None:
                return existing
            transfer = Transfer(new_id("tr"), reference, party_id, amount_cents, currency)
            await self._record({"payout": asdict(transfer)})  # on disk before anyone hears it was paid
            self.transfers[reference] = transfer
            return transfer

    async def find_payout(self, reference: str) -> Transfer | None:
        return self.transfers.get(reference)

    async def tokenize(self, card_number: str) -> CardToken:
        number = card_number.replace(" ", "")
        if number not in (TEST_CARD_OK, TEST_CARD_DECLINED):
            raise PaymentDeclined(
                f"unknown test card; use {TEST_CARD_OK} (succeeds) or {TEST_CARD_DECLINED} (declined)",
                decline_code="invalid_number",
            )
        token = TOKEN_PREFIX + secrets.token_urlsafe(18)
        self.tokens[token] = number
        await self._record({"token": token, "card_number": number})
        return CardToken(token=token, brand="visa", last4=number[-4:])


def _append_synced(path: Path, line: str) -> None:
    with path.open("a") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
