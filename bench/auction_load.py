"""One auction under many concurrent bidders through running `livecart serve` processes: the scene over
HTTP, the bidders on the stock Node socket.io-client in several processes (bench/auction_bidders.js),
and what the store decided afterwards. Used by `python -m bench auction` and by the tests
(tests/live/test_auction_load.py, tests/cluster/test_auction_cluster.py), which check `problems()`."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.harness import ROOT, cpu_seconds, percentile
from livecart.clock import SystemClock
from livecart.domain.auctions import Bid
from livecart.domain.commerce import Order
from livecart.domain.models import ShowStatus
from livecart.store import open_store

BIDDERS_JS = Path(__file__).with_name("auction_bidders.js")
START_CENTS, INCREMENT_CENTS = 1000, 10


@dataclass
class AuctionRun:
    bidders: int
    processes: int
    acks: list[dict[str, Any]]  # every bid's ack as a client saw it: {bidder, amount, ok, code, ms}
    bids: list[Bid]  # the accepted bids as the store keeps them, in order
    auction: dict[str, Any]  # GET /api/auctions/{id} once settled
    orders: list[Order]  # the show's orders
    bidding_s: float  # from "go" to the last report
    server_cpu_s: float  # CPU-seconds of the server processes over the bidding
    connect_errors: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [ack for ack in self.acks if ack["ok"]]

    def summary(self) -> dict[str, Any]:
        times = [ack["ms"] for ack in self.acks]
        return {
            "bidders": self.bidders, "processes": self.processes, "bids_sent": len(self.acks),
            "accepted": len(self.accepted), "accepted_per_s": len(self.accepted) / self.bidding_s,
            "bids_per_s": len(self.acks) / self.bidding_s,
            "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
            "server_cpu_s": self.server_cpu_s,
            "cpu_us_per_bid": 1e6 * self.server_cpu_s / max(1, len(self.acks)),
            "bidding_s": self.bidding_s, "final_cents": self.auction.get("price_cents"),
        }  # fmt: skip


def problems(run: AuctionRun) -> list[str]:
    """What is wrong with the outcome (empty: every accepted bid higher than the one before, one leader,
    exactly one winner with one order at the winning price, the clients' acks and the store agreeing)."""
    found: list[str] = []
    amounts = [bid.amount_cents for bid in run.bids]
    if any(later <= earlier for earlier, later in itertools.pairwise(amounts)):
        found.append("an accepted bid was not higher than the one before")
    if sorted(ack["amount"] for ack in run.accepted) != sorted(amounts):
        found.append(f"{len(run.accepted)} bids acknowledged as accepted, {len(amounts)} kept by the store")
    if run.connect_errors:
        found.append(f"{run.connect_errors} bidders could not connect")
    if len(run.acks) < run.bidders:
        found.append(f"only {len(run.acks)} bids for {run.bidders} bidders")
    refused = {ack["code"] for ack in run.acks if not ack["ok"]} - {"bid_too_low"}
    if refused:
        found.append(f"refusals other than bid_too_low: {sorted(refused)}")
    auction = run.auction
    if auction.get("status") != "sold":
        found.append(f"the auction ended {auction.get('status')}, not sold")
    elif not run.bids or auction["winner"]["id"] != run.bids[-1].bidder_id:
        found.append("the winner is not the last accepted bidder")
    winning = [order for order in run.orders if auction.get("order_id") == order.id]
    if len(run.orders) != 1 or len(winning) != 1:
        found.append(f"{len(run.orders)} orders in the show, {len(winning)} of them the auction's")
    elif run.bids and winning[0].total_cents != run.bids[-1].amount_cents:
        found.append("the order is not at the winning bid")
    return found


async def _call(http: aiohttp.ClientSession, method: str, url: str, token: str | None, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
        if response.status >= 300:
            raise RuntimeError(f"{method} {url}: {response.status} {text}")
        return json.loads(text)


def _node() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not (ROOT / "node_modules" / "socket.io-client").is_dir():
        raise RuntimeError("needs node and node_modules (make setup)")
    return node


async def run_auction(
    urls: list[str], store_url: str, admin_token: str, server_pids: list[int], *, bidders: int = 1000,
    processes: int = 4, spread_s: float = 5.0, tries: int = 2, duration_s: int = 10,
) -> AuctionRun:  # fmt: skip
    """Open one auction and let `bidders` viewers (split over `processes` Node processes, spread over
    `urls` round robin) bid within `spread_s`; wait for the server to settle it; read the store."""
    node = _node()
    base = urls[0]
    connector = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        brand = await _call(http, "POST", f"{base}/api/brands", admin_token, {"name": "Bench Brand"})
        host = await _call(http, "POST", f"{base}/api/hosts", admin_token, {"name": "Bench Host"})
        product = await _call(http, "POST", f"{base}/api/products", brand["token"], {
            "sku": "AUC-1", "title": "Vintage bag", "price_cents": 5000, "currency": "EUR", "stock": 5,
            "commission_bps": 1000})  # fmt: skip
        show = await _call(http, "POST", f"{base}/api/shows", host["token"], {"title": "Auction night"})
        await _call(http, "POST", f"{base}/api/shows/{show['id']}/lineup", host["token"], {"product_id": product["id"]})
        store = await open_store(store_url, clock=SystemClock())
        try:
            await store.set_show_status(show["id"], ShowStatus.LIVE)
        finally:
            await store.close()
        viewers = await asyncio.gather(*(
            _call(http, "POST", f"{base}/api/viewers", None, {"name": f"Bidder {n} Lee"}) for n in range(bidders)
        ))  # fmt: skip
        tokens = [viewer["token"] for viewer in viewers]
        workers = []
        for index in range(processes):
            plan = {"url": urls[index % len(urls)], "show_id": show["id"],
                    "tokens": tokens[index::processes], "spread_ms": spread_s * 1000, "tries": tries,
                    "start": START_CENTS, "increment": INCREMENT_CENTS}  # fmt: skip
            workers.append(await asyncio.create_subprocess_exec(
                node, str(BIDDERS_JS), json.dumps(plan), cwd=ROOT, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ},
            ))  # fmt: skip
        try:
            for worker in workers:
                assert worker.stdout is not None
                line = await asyncio.wait_for(worker.stdout.readline(), 120)
                if line.strip() != b"ready":
                    raise RuntimeError(f"a bidder process said {line!r}")
            # Every bidder is in the room: the auction opens now and leaves them `duration_s`.
            auction = await _call(http, "POST", f"{base}/api/shows/{show['id']}/auctions", host["token"], {
                "product_id": product["id"], "start_cents": START_CENTS, "increment_cents": INCREMENT_CENTS,
                "duration_s": duration_s})  # fmt: skip
            go = json.dumps({"auction_id": auction["id"]}).encode() + b"\n"
            cpu_before = sum(cpu_seconds(pid) for pid in server_pids)
            started = time.perf_counter()
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write(go)
                await worker.stdin.drain()
            outputs = [await asyncio.wait_for(worker.communicate(), 120) for worker in workers]
            bidding_s = time.perf_counter() - started
            server_cpu_s = sum(cpu_seconds(pid) for pid in server_pids) - cpu_before
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.kill()
                    await worker.wait()
        reports = []
        for (stdout, stderr), worker in zip(outputs, workers, strict=True):
            if worker.returncode != 0:
                raise RuntimeError(f"a bidder process failed: {stderr.decode()[-2000:]}")
            reports.append(json.loads(stdout.decode().strip().splitlines()[-1]))
        deadline = time.monotonic() + 60
        while True:
            settled = await _call(http, "GET", f"{base}/api/auctions/{auction['id']}", None)
            if settled["status"] != "open" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    store = await open_store(store_url, clock=SystemClock())
    try:
        bids = await store.auction_bids(auction["id"])
        orders = await store.show_orders(show["id"])
    finally:
        await store.close()
    acks = [dict(ack, process=index) for index, report in enumerate(reports) for ack in report["acks"]]
    return AuctionRun(
        bidders=bidders, processes=processes, acks=acks, bids=bids, auction=settled, orders=orders,
        bidding_s=bidding_s, server_cpu_s=server_cpu_s,
        connect_errors=sum(int(report["connect_errors"]) for report in reports),
    )  # fmt: skip
