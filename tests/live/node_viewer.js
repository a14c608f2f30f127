// A viewer on the official Node socket.io-client with socket.io-msgpack-parser, driven by the tests.
// argv[2]: JSON {url, show_id, token, chats: [text], ask: text, expect_chat: n, bad: [text]}.
// Prints one JSON report on stdout and exits 0; exits 1 on a timeout or a connection error.
const { io } = require("socket.io-client");
const parser = require("socket.io-msgpack-parser");

const plan = JSON.parse(process.argv[2]);
const socket = io(plan.url, { transports: ["websocket"], parser, reconnection: false, timeout: 10000 });
const report = { join: null, chat_acks: [], bad_acks: [], ask: null, upvote: null, chat: [], questions: [] };

socket.on("chat", (batch) => { for (const message of batch) report.chat.push(message); check(); });
socket.on("questions", (changed) => { for (const q of changed) report.questions.push(q); check(); });
socket.on("connect_error", (error) => { console.error("connect_error", error.message); process.exit(1); });
setTimeout(() => { console.error("timeout", JSON.stringify(report)); process.exit(1); }, 30000);

let done = false;
function check() {
  if (done || report.ask === null) return;
  const mine = report.questions.filter((q) => q.id === report.ask.question.id && q.votes >= 1);
  if (report.chat.length >= plan.expect_chat && mine.length > 0) {
    done = true;
    console.log(JSON.stringify(report));
    socket.close();
    process.exit(0);
  }
}

socket.on("connect", async () => {
  report.join = await socket.emitWithAck("join", { show_id: plan.show_id, token: plan.token });
  for (const text of plan.bad) report.bad_acks.push(await socket.emitWithAck("chat", { text }));
  for (const text of plan.chats) report.chat_acks.push(await socket.emitWithAck("chat", { text }));
  report.ask = await socket.emitWithAck("ask", { text: plan.ask });
  report.upvote = await socket.emitWithAck("upvote", { question_id: report.ask.question.id });
  check();
});
