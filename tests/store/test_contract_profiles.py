"""Contract: what an account keeps for its next purchase (address, the provider's card token) and each
show's poster frame (both stores)."""

from __future__ import annotations

from datetime import UTC, datetime

from livecart.domain.models import Role
from livecart.domain.profiles import Poster, SavedCard
from livecart.store import Store
from tests.store.conftest import OpenStore

ADDRESS = {"name": "Sam Buyer", "line1": "1 Rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


async def test_an_address_is_kept_per_account_and_replaced_by_the_next(store: Store, open_stores: OpenStore) -> None:
    sam, _ = await store.create_account(Role.VIEWER, "Sam")
    alex, _ = await store.create_account(Role.VIEWER, "Alex")
    assert await store.shipping_address(sam.id) is None

    await store.save_shipping_address(sam.id, ADDRESS)
    assert await store.shipping_address(sam.id) == ADDRESS
    assert await store.shipping_address(alex.id) is None

    moved = {**ADDRESS, "line1": "2 Avenue Foch", "line2": "Bât. B"}
    await store.save_shipping_address(sam.id, moved)
    again = await open_stores()  # another node, or after a restart
    assert await again.shipping_address(sam.id) == moved


async def test_a_card_is_kept_as_its_token_and_can_be_forgotten(store: Store, open_stores: OpenStore) -> None:
    sam, _ = await store.create_account(Role.VIEWER, "Sam")
    assert await store.payment_method(sam.id) is None
    saved_at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    card = SavedCard(token="tok_test_abc", brand="visa", last4="4242", created_at=saved_at)

    await store.save_payment_method(sam.id, card)
    await store.save_shipping_address(sam.id, ADDRESS)
    assert await (await open_stores()).payment_method(sam.id) == card

    newer = SavedCard(token="tok_test_def", brand="visa", last4="1881", created_at=datetime(2026, 5, 2, tzinfo=UTC))
    await store.save_payment_method(sam.id, newer)
    assert await store.payment_method(sam.id) == newer

    await store.forget_payment_method(sam.id)
    await store.forget_payment_method(sam.id)  # nothing left: no error
    assert await store.payment_method(sam.id) is None
    assert await store.shipping_address(sam.id) == ADDRESS  # the address stays


async def test_a_show_keeps_its_latest_poster_byte_for_byte(store: Store, open_stores: OpenStore) -> None:
    host, _ = await store.create_account(Role.HOST, "Mia")
    show = await store.create_show(host.id, "Friday", None)
    other = await store.create_show(host.id, "Saturday", None)
    assert await store.show_poster(show.id) is None

    first = Poster(content_type="image/png", data=PNG, updated_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    await store.save_show_poster(show.id, first)
    assert await (await open_stores()).show_poster(show.id) == first
    assert await store.show_poster(other.id) is None

    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 10
    assert await store.show_poster_times([show.id, other.id, "shw_unknown"]) == {show.id: first.updated_at}
    later = Poster(content_type="image/jpeg", data=jpeg, updated_at=datetime(2026, 5, 1, 12, 0, 30, tzinfo=UTC))
    await store.save_show_poster(show.id, later)
    assert await store.show_poster(show.id) == later
    assert await store.show_poster_times([show.id, show.id]) == {show.id: later.updated_at}
    assert await store.show_poster_times([]) == {}
