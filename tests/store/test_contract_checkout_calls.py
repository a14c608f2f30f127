"""Contract: the two calls a checkout starts with on both stores — `checkout_caller` (the token's account,
the show, whether it has deals) and `claim_checkout` (the Idempotency-Key claim with the reads that price
the cart) — answer exactly as the separate calls they stand for."""

from __future__ import annotations

import pytest

from livecart.domain import campaigns as rules
from livecart.domain import deals
from livecart.domain.campaigns import Application
from livecart.domain.commerce import StoredResponse
from livecart.domain.errors import IdempotencyInProgress, IdempotencyMismatch
from livecart.domain.ids import new_id
from livecart.domain.models import Role, utcnow
from livecart.store import Store
from livecart.store.base import CheckoutInputs
from tests.store import factories
from tests.store.test_contract_campaigns import campaign


async def test_the_caller_is_the_token_s_account_and_the_show(store: Store) -> None:
    buyer, token = await store.create_account(Role.VIEWER, "Sam")
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    caller = await store.checkout_caller(token, show.id)

    assert caller.account == await store.account_by_token(token) == buyer
    assert caller.show == await store.get_show(show.id) == show
    assert caller.has_deals is False


async def test_an_unknown_token_or_show_reads_as_none(store: Store) -> None:
    buyer, token = await store.create_account(Role.VIEWER, "Sam")
    host = await factories.host(store)
    show = await factories.show(store, host.id)

    assert (await store.checkout_caller("not-a-token", show.id)).account is None
    missing = await store.checkout_caller(token, "shw_missing")
    assert (missing.account, missing.show, missing.has_deals) == (buyer, None, False)
    await store.delete_account(buyer.id)
    assert (await store.checkout_caller(token, show.id)).account is None


async def test_a_show_with_a_deal_says_so(store: Store) -> None:
    _, token = await store.create_account(Role.VIEWER, "Sam")
    brand, host = await factories.brand(store), await factories.host(store)
    show, other = await factories.show(store, host.id), await factories.show(store, host.id, "Other")
    product = await factories.product(store, brand.id)
    await store.create_deal(
        deals.new_deal(
            deal_id=new_id("del"), show_id=show.id, host_id=host.id, product_id=product.id, brand_id=brand.id,
            currency="EUR", price_cents=990, quantity=3, duration_s=60, now=utcnow(),
        )
    )  # fmt: skip

    assert (await store.checkout_caller(token, show.id)).has_deals is True
    assert await store.show_deals(show.id)
    assert (await store.checkout_caller(token, other.id)).has_deals is False


async def test_a_claimed_checkout_reads_what_checkout_inputs_reads(store: Store) -> None:
    brand = await factories.brand(store)
    host, mia, leo = [await factories.host(store, name) for name in ("Ava", "Mia", "Leo")]
    show = await factories.show(store, host.id)
    buyer, other = await factories.viewer(store), await factories.viewer(store, "Kim")
    products = [await factories.product(store, brand.id, sku=f"SKU-{i}", stock=7) for i in range(3)]
    await store.pin_product(show.id, products[0].id)
    await store.add_to_cart(show.id, buyer.id, products[1].id, 2, 10)
    await store.add_to_cart(show.id, buyer.id, products[0].id, 1, 10)
    await store.add_to_cart(show.id, other.id, products[2].id, 4, 10)  # another buyer's cart is not read
    await store.place_order(factories.order(show, buyer, (products[1], 1), key="k0"), 10)
    offered = await campaign(store, brand, product_ids=[products[0].id])
    await store.apply_to_campaign(
        Application(new_id("app"), offered.id, host.id, "pitch", rules.first_status(offered), utcnow()), None
    )
    await store.invite_cohost(show.id, mia.id, 2000)
    await store.invite_cohost(show.id, leo.id, 1000)
    await store.accept_cohost(show.id, leo.id)

    inputs = await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id)

    assert isinstance(inputs, CheckoutInputs)
    assert inputs == await store.checkout_inputs(show.id, buyer.id, host.id)
    assert set(inputs.products) == {products[0].id, products[1].id}
    assert [(item.product_id, item.qty) for item in inputs.cart] == [(products[1].id, 2), (products[0].id, 1)]
    assert inputs.bought == {products[1].id: 1, products[0].id: 0}
    assert len(inputs.applications) == 1
    assert len(inputs.cohosts) == 2


async def test_a_claimed_checkout_holds_the_key_like_a_claim(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    buyer = await factories.viewer(store)
    await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id)

    with pytest.raises(IdempotencyInProgress):
        await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id)
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key(buyer.id, "key-1", "hash-1")
    with pytest.raises(IdempotencyMismatch):
        await store.claim_checkout(buyer.id, "key-1", "hash-2", show.id, host.id)

    await store.save_idempotent_response(buyer.id, "key-1", StoredResponse(201, '{"id": "ord_1"}'))
    assert await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id) == StoredResponse(
        201, '{"id": "ord_1"}'
    )
    with pytest.raises(IdempotencyMismatch):
        await store.claim_checkout(buyer.id, "key-1", "hash-2", show.id, host.id)


async def test_a_key_claimed_alone_is_not_claimed_again_with_the_reads(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    buyer, other = await factories.viewer(store), await factories.viewer(store, "Kim")
    assert await store.claim_idempotency_key(buyer.id, "key-1", "hash-1") is None

    with pytest.raises(IdempotencyInProgress):
        await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id)
    await store.release_idempotency_key(buyer.id, "key-1")
    assert isinstance(await store.claim_checkout(buyer.id, "key-1", "hash-1", show.id, host.id), CheckoutInputs)
    # keys are per viewer
    assert isinstance(await store.claim_checkout(other.id, "key-1", "hash-2", show.id, host.id), CheckoutInputs)
