// A viewer on the official Node socket.io-client (msgpack parser) taking part in the selling formats.
// argv[2]: JSON {url, show_id, token, auction_id, giveaway_id, keyword}. It joins, bids too low (expects
// bid_too_low with min_cents), bids min_cents, enters the giveaway twice (the second is not counted),
// chats the keyword, sends a bad bid; then waits for an `auction` event with its own bid and a
// `giveaway` event, prints one JSON report and exits 0 (1 on a timeout or a connection error).
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");

const plan = JSON.parse(process.argv[2]);
const socket = io(plan.url, { transports: ["websocket"], parser, reconnection: false, timeout: 10000 });
const report = { join: null, low: null, bid: null, enter: [], chat: null, bad: null, auction: [], giveaway: [] };

socket.on("auction", (auction) => { report.auction.push(auction); check(); });
socket.on("giveaway", (giveaway) => { report.giveaway.push(giveaway); check(); });
socket.on("connect_error", (error) => { console.error("connect_error", error.message); process.exit(1); });
setTimeout(() => { console.error("timeout", JSON.stringify(report)); process.exit(1); }, 30000);

let done = false;
function check() {
  if (done || report.bad === null) return;
  const mine = report.auction.some((a) => a.leader && report.join && a.leader.id === report.join.you.id);
  if (mine && report.giveaway.length > 0) {
    done = true;
    console.log(JSON.stringify(report));
    socket.close();
    process.exit(0);
  }
}

socket.on("connect", async () => {
  report.join = await socket.emitWithAck("join", { show_id: plan.show_id, token: plan.token });
  report.low = await socket.emitWithAck("bid", { auction_id: plan.auction_id, amount_cents: 1 });
  report.bid = await socket.emitWithAck("bid", { auction_id: plan.auction_id, amount_cents: report.low.error.min_cents });
  for (let n = 0; n < 2; n += 1) report.enter.push(await socket.emitWithAck("enter", { giveaway_id: plan.giveaway_id }));
  report.chat = await socket.emitWithAck("chat", { text: plan.keyword });
  report.bad = await socket.emitWithAck("bid", { auction_id: plan.auction_id, amount_cents: "ten" });
  check();
});
