// The page echo_server serves at "/": it connects back over WebSocket and echoes.
#pragma once

#include <string_view>

namespace example {

inline constexpr std::string_view echo_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>duplex echo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #log { border: 1px solid #ccc; border-radius: 4px; height: 18rem; overflow-y: auto; padding: .5rem; }
  #log div { white-space: pre-wrap; word-break: break-word; }
  .out { color: #555; } .in { color: #0a6; } .sys { color: #888; font-style: italic; }
  form { display: flex; gap: .5rem; margin-top: .5rem; } input { flex: 1; padding: .4rem; }
</style>
</head>
<body>
<h1>duplex echo</h1>
<p id="status">connecting…</p>
<div id="log" aria-live="polite"></div>
<form id="form"><input id="text" autocomplete="off" placeholder="Type a message" autofocus>
<button id="send" type="submit" disabled>Send</button></form>
<script>
"use strict";
const log = document.getElementById("log");
const status = document.getElementById("status");
const send = document.getElementById("send");
function line(cls, text) {
  const div = document.createElement("div");
  div.className = cls;
  div.textContent = text; // never innerHTML: messages are untrusted
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
}
const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const ws = new WebSocket(scheme + location.host + "/echo");
ws.onopen = () => {
  status.textContent = "connected to " + ws.url + (ws.extensions ? " with " + ws.extensions : "");
  send.disabled = false;
};
ws.onmessage = (e) => line("in", "← " + e.data);
ws.onclose = (e) => { status.textContent = "closed (" + e.code + ")"; send.disabled = true; line("sys", "connection closed " + e.code); };
document.getElementById("form").onsubmit = (e) => {
  e.preventDefault();
  const input = document.getElementById("text");
  if (!input.value) return;
  ws.send(input.value);
  line("out", "→ " + input.value);
  input.value = "";
};
</script>
</body>
</html>
)html";

} // namespace example
