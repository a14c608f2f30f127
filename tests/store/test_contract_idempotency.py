"""Contract: idempotency records — claim, finish, replay, release (both stores)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from livecart.clock import ManualClock
from livecart.domain.commerce import StoredResponse
from livecart.domain.errors import IdempotencyInProgress, IdempotencyMismatch, NotFound
from livecart.domain.models import utcnow
from livecart.store import Store
from livecart.store.redis import idempotency as redis_idempotency
from tests.store import factories
from tests.store.conftest import OpenStore

PAID = StoredResponse(status=201, body='{"order": {"id": "ord_1", "total_cents": 1900}}')


async def test_an_unseen_key_is_claimed_and_then_in_progress(store: Store) -> None:
    assert await store.claim_idempotency_key("vwr_1", "key-1", "hash-a") is None

    with pytest.raises(IdempotencyInProgress) as in_progress:
        await store.claim_idempotency_key("vwr_1", "key-1", "hash-a")
    with pytest.raises(IdempotencyMismatch) as mismatch:
        await store.claim_idempotency_key("vwr_1", "key-1", "hash-b")
    assert in_progress.value.details == mismatch.value.details == {"idempotency_key": "key-1"}


async def test_a_finished_key_replays_its_response_for_the_same_body_only(store: Store) -> None:
    await store.claim_idempotency_key("vwr_1", "key-1", "hash-a")
    await store.save_idempotent_response("vwr_1", "key-1", PAID)

    assert await store.claim_idempotency_key("vwr_1", "key-1", "hash-a") == PAID
    assert await store.claim_idempotency_key("vwr_1", "key-1", "hash-a") == PAID
    with pytest.raises(IdempotencyMismatch):
        await store.claim_idempotency_key("vwr_1", "key-1", "hash-b")


async def test_keys_are_per_viewer(store: Store) -> None:
    await store.claim_idempotency_key("vwr_1", "key-1", "hash-a")
    await store.save_idempotent_response("vwr_1", "key-1", PAID)

    assert await store.claim_idempotency_key("vwr_2", "key-1", "hash-b") is None


async def test_a_response_body_is_kept_byte_for_byte(store: Store) -> None:
    odd = StoredResponse(status=402, body='{"error": {"message": "déclinée — “card” \\n"}}  ')
    await store.claim_idempotency_key("vwr_1", "key é:1", "hash-a")
    await store.save_idempotent_response("vwr_1", "key é:1", odd)

    assert await store.claim_idempotency_key("vwr_1", "key é:1", "hash-a") == odd


async def test_saving_for_an_unclaimed_key_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.save_idempotent_response("vwr_1", "never-claimed", PAID)
    assert await store.claim_idempotency_key("vwr_1", "never-claimed", "hash-a") is None


async def test_releasing_a_running_claim_lets_a_retry_run(store: Store) -> None:
    await store.claim_idempotency_key("vwr_1", "key-1", "hash-a")

    await store.release_idempotency_key("vwr_1", "key-1")

    assert await store.claim_idempotency_key("vwr_1", "key-1", "hash-b") is None


async def test_releasing_a_finished_or_unknown_key_changes_nothing(store: Store) -> None:
    await store.claim_idempotency_key("vwr_1", "key-1", "hash-a")
    await store.save_idempotent_response("vwr_1", "key-1", PAID)

    await store.release_idempotency_key("vwr_1", "key-1")
    await store.release_idempotency_key("vwr_1", "unknown")

    assert await store.claim_idempotency_key("vwr_1", "key-1", "hash-a") == PAID


async def test_concurrent_claims_of_one_key_let_exactly_one_request_run(store: Store) -> None:
    results = await asyncio.gather(
        *(store.claim_idempotency_key("vwr_1", "key-1", "hash-a") for _ in range(20)), return_exceptions=True
    )

    assert sum(result is None for result in results) == 1
    assert all(isinstance(result, IdempotencyInProgress) for result in results if result is not None)


async def test_stale_claims_without_an_order_are_released(open_stores: OpenStore) -> None:
    clock = ManualClock(datetime.now(UTC))
    store = await open_stores(clock)
    brand = await factories.brand(store)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    product = await factories.product(store, brand.id)
    buyer = await factories.viewer(store)
    await store.claim_idempotency_key(buyer.id, "abandoned", "hash-a")
    await store.claim_idempotency_key(buyer.id, "with-order", "hash-b")
    await store.place_order(factories.order(show, buyer, (product, 1), key="with-order"), 10)
    await store.claim_idempotency_key(buyer.id, "finished", "hash-c")
    await store.save_idempotent_response(buyer.id, "finished", PAID)
    cutoff = clock.now() + timedelta(milliseconds=1)
    await clock.advance(0.01)
    await store.claim_idempotency_key(buyer.id, "fresh", "hash-d")

    assert await store.release_stale_idempotency_keys(cutoff) == 1

    assert await store.claim_idempotency_key(buyer.id, "abandoned", "hash-x") is None
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key(buyer.id, "with-order", "hash-b")
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key(buyer.id, "fresh", "hash-d")
    assert await store.claim_idempotency_key(buyer.id, "finished", "hash-c") == PAID
    assert await store.release_stale_idempotency_keys(cutoff) == 0


async def test_idempotency_records_survive_reopening_the_store(store: Store, open_stores: OpenStore) -> None:
    await store.claim_idempotency_key("vwr_1", "done", "hash-a")
    await store.save_idempotent_response("vwr_1", "done", PAID)
    await store.claim_idempotency_key("vwr_1", "running", "hash-b")
    await store.close()

    reopened = await open_stores()

    assert await reopened.claim_idempotency_key("vwr_1", "done", "hash-a") == PAID
    with pytest.raises(IdempotencyInProgress):
        await reopened.claim_idempotency_key("vwr_1", "running", "hash-b")


async def test_finished_records_older_than_the_retention_are_forgotten_running_ones_kept(
    open_stores: OpenStore,
) -> None:
    clock = ManualClock(datetime.now(UTC))
    store = await open_stores(clock)
    host = await factories.host(store)
    show = await factories.show(store, host.id)
    brand = await factories.brand(store)
    product = await factories.product(store, brand.id)
    buyer = await factories.viewer(store)
    await store.claim_idempotency_key(buyer.id, "paid-long-ago", "hash-a")
    await store.save_idempotent_response(buyer.id, "paid-long-ago", PAID)
    await store.claim_idempotency_key(buyer.id, "still-running", "hash-b")
    await store.place_order(factories.order(show, buyer, (product, 1), key="still-running"), 10)
    await store.claim_idempotency_key(buyer.id, "released", "hash-c")
    await store.release_idempotency_key(buyer.id, "released")
    cutoff = clock.now() + timedelta(milliseconds=1)
    await clock.advance(0.01)
    await store.claim_idempotency_key(buyer.id, "paid-just-now", "hash-d")
    await store.save_idempotent_response(buyer.id, "paid-just-now", PAID)

    assert await store.purge_idempotency_records(cutoff) == 1

    assert await store.claim_idempotency_key(buyer.id, "paid-long-ago", "hash-other") is None, "a new request"
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key(buyer.id, "still-running", "hash-b")
    assert await store.claim_idempotency_key(buyer.id, "paid-just-now", "hash-d") == PAID
    assert await store.purge_idempotency_records(cutoff) == 0


async def test_purging_walks_past_many_running_claims(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_idempotency, "PURGE_BATCH", 5)  # Redis walks its index in batches
    for number in range(12):
        await store.claim_idempotency_key("vwr_1", f"running-{number}", "hash")
        await store.claim_idempotency_key("vwr_1", f"done-{number}", "hash")
        await store.save_idempotent_response("vwr_1", f"done-{number}", PAID)
    assert await store.purge_idempotency_records(utcnow() + timedelta(seconds=1)) == 12
    with pytest.raises(IdempotencyInProgress):
        await store.claim_idempotency_key("vwr_1", "running-11", "hash")
    assert await store.claim_idempotency_key("vwr_1", "done-11", "hash") is None
