"""What a viewer keeps for the next purchase: the shipping address, and a card saved as the payment
provider's token (the number goes to the provider once and is never stored by livecart)."""

from __future__ import annotations

from collections.abc import Mapping

from livecart.clock import Clock
from livecart.commerce.payments import PaymentProvider
from livecart.domain.errors import Conflict
from livecart.domain.profiles import SavedCard
from livecart.store import Store


class NoSavedCard(Conflict):
    code = "no_payment_method"


class Wallet:
    def __init__(self, store: Store, payments: PaymentProvider, clock: Clock) -> None:
        self.store = store
        self.payments = payments
        self.clock = clock

    async def address(self, account_id: str) -> dict[str, str] | None:
        return await self.store.shipping_address(account_id)

    async def save_address(self, account_id: str, address: Mapping[str, str]) -> dict[str, str]:
        await self.store.save_shipping_address(account_id, address)
        return dict(address)

    async def card(self, account_id: str) -> SavedCard | None:
        return await self.store.payment_method(account_id)

    async def save_card(self, account_id: str, card_number: str) -> SavedCard:
        """Tokenize the card with the provider and keep the token (PaymentDeclined when refused)."""
        token = await self.payments.tokenize(card_number)
        card = SavedCard(token=token.token, brand=token.brand, last4=token.last4, created_at=self.clock.now())
        await self.store.save_payment_method(account_id, card)
        return card

    async def forget_card(self, account_id: str) -> None:
        await self.store.forget_payment_method(account_id)

    async def token_to_charge(self, account_id: str) -> str:
        """The saved card's token, for a checkout that pays with it; 409 `no_payment_method` without one."""
        card = await self.store.payment_method(account_id)
        if card is None:
            raise NoSavedCard("no card is saved on this account; send the card number")
        return card.token
