"""Contract: `checkout_inputs`, the reads a checkout prices with in one call, equals the separate reads
it replaces (cart, products, pins, units bought, the host's applications, co-hosts) on both stores."""

from __future__ import annotations

from livecart.domain import campaigns as rules
from livecart.domain.campaigns import Application
from livecart.domain.ids import new_id
from livecart.domain.models import utcnow
from livecart.store import Store
from tests.store import factories
from tests.store.test_contract_campaigns import campaign


async def test_a_first_checkout_reads_an_empty_cart_and_nothing_else(store: Store) -> None:
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    buyer = await factories.viewer(store)

    inputs = await store.checkout_inputs(show.id, buyer.id, host.id)

    assert (inputs.cart, inputs.products, inputs.pinned, inputs.bought) == ([], {}, set(), {})
    assert (inputs.applications, inputs.cohosts) == ([], [])


async def test_the_inputs_equal_the_separate_reads(store: Store) -> None:
    brand = await factories.brand(store)
    host, mia, leo = [await factories.host(store, name) for name in ("Ava", "Mia", "Leo")]
    show = await factories.show(store, host.id)
    buyer, other = await factories.viewer(store, "Sam"), await factories.viewer(store, "Kim")
    products = [await factories.product(store, brand.id, sku=f"SKU-{i}", stock=50) for i in range(3)]
    for product in products[:2]:
        await store.pin_product(show.id, product.id)
    await store.add_to_cart(show.id, buyer.id, products[1].id, 2, 10)
    await store.add_to_cart(show.id, buyer.id, products[0].id, 1, 10)
    await store.add_to_cart(show.id, other.id, products[2].id, 4, 10)  # another buyer's cart is not read
    first = await store.place_order(factories.order(show, buyer, (products[1], 1), key="k1"), 10)
    assert first[products[1].id] == 49
    offered = await campaign(store, brand, product_ids=[products[0].id])
    applied = await store.apply_to_campaign(
        Application(new_id("app"), offered.id, host.id, "pitch", rules.first_status(offered), utcnow()), None
    )
    await store.invite_cohost(show.id, mia.id, 2000)
    await store.invite_cohost(show.id, leo.id, 1000)
    await store.accept_cohost(show.id, leo.id)

    inputs = await store.checkout_inputs(show.id, buyer.id, host.id)

    cart = await store.cart(show.id, buyer.id)
    assert inputs.cart == cart
    assert [item.product_id for item in cart] == [products[1].id, products[0].id]
    assert inputs.products == {item.product_id: await store.get_product(item.product_id) for item in cart}
    assert inputs.products[products[1].id].stock == 49
    assert inputs.pinned == await store.pinned_during(show.id) == {products[0].id, products[1].id}
    assert inputs.bought == await store.units_bought(buyer.id, [products[1].id, products[0].id])
    assert inputs.bought == {products[1].id: 1, products[0].id: 0}
    assert inputs.applications == await store.host_applications(host.id) == [applied]
    assert inputs.cohosts == await store.cohosts(show.id)
    assert [(one.host_id, one.share_bps) for one in inputs.cohosts] == [(mia.id, 2000), (leo.id, 1000)]


async def test_a_price_change_is_read_at_once(store: Store) -> None:
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    buyer = await factories.viewer(store)
    product = await factories.product(store, brand.id)
    await store.add_to_cart(show.id, buyer.id, product.id, 1, 10)
    await store.checkout_inputs(show.id, buyer.id, host.id)
    changed = await store.update_product(product.id, {"price_cents": product.price_cents + 100})

    inputs = await store.checkout_inputs(show.id, buyer.id, host.id)
    assert inputs.products == {product.id: changed}
    assert inputs.products[product.id].price_cents == product.price_cents + 100
