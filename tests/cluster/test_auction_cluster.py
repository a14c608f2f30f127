"""Two `livecart serve` processes on one redis-server take 1,000 concurrent bidders on one auction (half
connected to each node, from several Node socket.io-client processes): one rising sequence of accepted
bids, one leader, settled exactly once (both nodes run the timer) with one winner and one order."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.auction_load import problems, run_auction
from tests.cluster.nodes import cluster_env
from tests.conftest import ServerProcess
from tests.hardening.flash_sale import CROWD_ENV
from tests.support import ADMIN_TOKEN, need_binary

pytestmark = [pytest.mark.redis, pytest.mark.slow]


async def test_two_nodes_on_redis_decide_a_thousand_concurrent_bids_as_one_sequence(
    redis_url: str, server_process: Callable[..., ServerProcess]
) -> None:
    need_binary("node", "nodejs")
    env = cluster_env(
        redis_url,
        LIVECART_AUCTION_EXTEND_S="2",
        LIVECART_LOG_LEVEL="WARNING",
        LIVECART_PUBLISHER_GRACE_SECONDS="600",
        **CROWD_ENV,
    )  # no publisher: the orphan look must wait
    nodes = [server_process(env) for _ in range(2)]

    run = await run_auction(
        [node.url for node in nodes],
        redis_url,
        ADMIN_TOKEN,
        [node.process.pid for node in nodes],
        bidders=1000,
        processes=4,
        spread_s=5.0,
        duration_s=8,
    )

    print(f"\nauction, 2 nodes (Redis): {run.summary()}")
    assert problems(run) == []
    assert {ack["process"] % 2 for ack in run.acks} == {0, 1}  # bids came in through both nodes
    for node in nodes:
        assert "Traceback" not in node.log.read_text()
