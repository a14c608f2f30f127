// Many bidders on the official Node socket.io-client (msgpack parser) in one process, driven by the tests
// and by `python -m bench auction`.
// argv[2]: JSON {url, show_id, tokens: [viewer token], spread_ms, tries, start, increment}.
// Each bidder connects and joins; the process prints "ready" once all have joined, waits for a line on
// stdin (JSON {auction_id}: the auction opens once every process is ready), then each bidder bids once at a random moment within spread_ms: the lowest valid amount it
// knows (from the last `auction` event) plus 0–2 increments; refused as too low, it tries again with the
// `min_cents` of the refusal plus 0–2 increments, up to `tries` bids in all. Prints one JSON report:
// {acks: [{bidder, amount, ok, code, ms}], last_auction, connect_errors}, and exits 0.
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");
const readline = require("node:readline");

const plan = JSON.parse(process.argv[2]);
const report = { acks: [], last_auction: null, connect_errors: 0 };
let known = null; // the lowest valid bid we know of (min_bid_cents of the latest auction state)
const sockets = [];

function jitter() {
  return Math.floor(Math.random() * 3) * plan.increment;
}

function seen(auction) {
  if (!auction || !plan.auction_id || auction.id !== plan.auction_id) return;
  if (!report.last_auction || auction.bids >= report.last_auction.bids) report.last_auction = auction;
  if (auction.min_bid_cents !== null && (known === null || auction.min_bid_cents > known)) known = auction.min_bid_cents;
}

function connect(token, index) {
  return new Promise((resolve) => {
    const socket = io(plan.url, { transports: ["websocket"], parser, reconnection: false, timeout: 30000 });
    socket.on("auction", seen);
    socket.on("connect_error", () => { report.connect_errors += 1; resolve(null); });
    socket.on("connect", async () => {
      const joined = await socket.emitWithAck("join", { show_id: plan.show_id, token });
      if (joined.selling && joined.selling.auction) seen(joined.selling.auction);
      sockets[index] = socket;
      resolve(socket);
    });
  });
}

async function bidder(socket, index) {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * plan.spread_ms));
  let amount = (known === null ? plan.start : known) + jitter();
  for (let attempt = 0; attempt < plan.tries; attempt += 1) {
    const sent = performance.now();
    const ack = await socket.emitWithAck("bid", { auction_id: plan.auction_id, amount_cents: amount });
    const ms = performance.now() - sent;
    report.acks.push({ bidder: index, amount, ok: ack.ok, code: ack.ok ? null : ack.error.code, ms });
    if (ack.ok) { seen(ack.auction); return; }
    if (ack.error.code !== "bid_too_low") return;
    amount = ack.error.min_cents + jitter();
  }
}

async function main() {
  // Connect in batches so a process does not open hundreds of handshakes in the same millisecond.
  for (let first = 0; first < plan.tokens.length; first += 50) {
    const batch = plan.tokens.slice(first, first + 50);
    await Promise.all(batch.map((token, offset) => connect(token, first + offset)));
  }
  console.log("ready");
  const lines = readline.createInterface({ input: process.stdin });
  plan.auction_id = (await new Promise((resolve) => lines.once("line", (line) => resolve(JSON.parse(line))))).auction_id;
  await Promise.all(sockets.map((socket, index) => (socket ? bidder(socket, index) : null)));
  await new Promise((resolve) => setTimeout(resolve, 300)); // the last `auction` frame
  console.log(JSON.stringify(report));
  for (const socket of sockets) if (socket) socket.close();
  lines.close();
  process.exit(0);
}

setTimeout(() => { console.error("timeout"); process.exit(1); }, 120000);
main();
