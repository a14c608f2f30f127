"""Contract: accounts and their bearer tokens (both stores)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livecart.clock import ManualClock
from livecart.domain.errors import NotFound
from livecart.domain.models import Role
from livecart.store import Store
from tests.store import factories
from tests.store.conftest import OpenStore


@pytest.mark.parametrize(("role", "prefix"), [(Role.HOST, "hst_"), (Role.BRAND, "brd_"), (Role.VIEWER, "vwr_")])
async def test_create_account_returns_the_account_and_a_token_that_finds_it(
    store: Store, role: Role, prefix: str
) -> None:
    before = datetime.now(UTC)
    account, token = await store.create_account(role, "Sam")

    assert account.id.startswith(prefix)
    assert (account.role, account.name) == (role, "Sam")
    assert before - timedelta(seconds=1) <= account.created_at <= datetime.now(UTC)
    assert len(token) >= 32
    assert await store.account_by_token(token) == account
    assert await store.get_account(account.id) == account


async def test_every_account_gets_its_own_id_and_token(store: Store) -> None:
    created = [await store.create_account(Role.VIEWER, "Sam") for _ in range(5)]

    assert len({account.id for account, _ in created}) == 5
    assert len({token for _, token in created}) == 5
    for account, token in created:
        assert await store.account_by_token(token) == account


async def test_unknown_tokens_and_ids_find_nothing(store: Store) -> None:
    account, token = await store.create_account(Role.HOST, "Mia")

    assert await store.account_by_token(token + "x") is None
    assert await store.account_by_token("") is None
    assert await store.get_account("hst_0000000000000000") is None
    assert await store.get_account(account.id + "0") is None


async def test_deleting_an_account_stops_its_token_at_once(store: Store) -> None:
    doomed, doomed_token = await store.create_account(Role.BRAND, "Gone Ltd")
    kept, kept_token = await store.create_account(Role.BRAND, "Still Here")

    await store.delete_account(doomed.id)

    assert await store.account_by_token(doomed_token) is None
    assert await store.get_account(doomed.id) is None
    assert await store.account_by_token(kept_token) == kept


async def test_deleting_an_unknown_or_deleted_account_raises_not_found(store: Store) -> None:
    account, _ = await store.create_account(Role.VIEWER, "Sam")
    await store.delete_account(account.id)

    with pytest.raises(NotFound):
        await store.delete_account(account.id)
    with pytest.raises(NotFound):
        await store.delete_account("vwr_0000000000000000")


async def test_concurrent_deletes_of_one_account_succeed_exactly_once(store: Store) -> None:
    account, _ = await store.create_account(Role.VIEWER, "Sam")

    results = await asyncio.gather(*(store.delete_account(account.id) for _ in range(10)), return_exceptions=True)

    assert sum(result is None for result in results) == 1
    assert all(isinstance(result, NotFound) for result in results if result is not None)


async def test_accounts_and_deletions_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    kept, kept_token = await store.create_account(Role.HOST, "Mia")
    gone, gone_token = await store.create_account(Role.HOST, "Ex")
    await store.delete_account(gone.id)
    await store.close()

    reopened = await open_stores()

    assert await reopened.account_by_token(kept_token) == kept
    assert await reopened.account_by_token(gone_token) is None
    assert await reopened.get_account(gone.id) is None


async def test_viewers_that_never_bought_expire_with_their_carts(open_stores: OpenStore) -> None:
    clock = ManualClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    store = await open_stores(clock)
    brand, host = await factories.brand(store), await factories.host(store)
    show = await factories.show(store, host.id)
    product = await factories.product(store, brand.id, stock=5)
    idle, token = await store.create_account(Role.VIEWER, "Idle")
    buyer = await factories.viewer(store, "Buyer")
    await store.add_to_cart(show.id, idle.id, product.id, 1, 5)
    await store.place_order(factories.order(show, buyer, (product, 1)), 5)
    await clock.advance(10 * 86_400)
    recent = await factories.viewer(store, "Recent")

    expired = await store.expire_idle_viewers(clock.now() - timedelta(days=5))

    assert expired == 1
    assert await store.get_account(idle.id) is None
    assert await store.account_by_token(token) is None
    assert await store.cart(show.id, idle.id) == []
    assert await store.get_account(buyer.id) is not None  # it placed an order: kept
    assert await store.get_account(recent.id) is not None
    assert await store.get_account(brand.id) is not None  # only viewers expire
    assert await store.expire_idle_viewers(clock.now() - timedelta(days=5)) == 0
