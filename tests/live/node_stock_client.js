// A viewer on the official Node socket.io-client with its default options (long-polling first, then the
// upgrade to websocket; the default JSON parser), driven by tests/live/test_stock_clients.py.
// argv[2]: JSON {url, show_id, token, text, expect: [chat text]}. Prints one JSON report and exits 0;
// exits 1 on a timeout or a connection error.
const { io } = require("socket.io-client");

const plan = JSON.parse(process.argv[2]);
const socket = io(plan.url, { reconnection: false });
const report = { first_transport: socket.io.engine.transport.name, upgraded_to: null, join: null, chat_ack: null, chat: [], pins: [] };

socket.on("connect_error", (error) => { console.error("connect_error", error.message); process.exit(1); });
setTimeout(() => { console.error("timeout", JSON.stringify(report)); process.exit(1); }, 30000);
socket.io.engine.on("upgrade", (transport) => { report.upgraded_to = transport.name; finish(); });
socket.on("chat", (batch) => { for (const message of batch) report.chat.push(message.text); finish(); });
socket.on("pin", (pin) => { report.pins.push(pin.product.id); finish(); });

let done = false;
function finish() {
  if (done || report.chat_ack === null || report.upgraded_to === null || report.pins.length === 0) return;
  if (!plan.expect.every((text) => report.chat.includes(text))) return;
  done = true;
  console.log(JSON.stringify(report));
  socket.close();
  process.exit(0);
}

socket.on("connect", async () => {
  report.join = await socket.emitWithAck("join", { show_id: plan.show_id, token: plan.token });
  console.log(JSON.stringify({ joined: true }));
  report.chat_ack = await socket.emitWithAck("chat", { text: plan.text });
  finish();
});
