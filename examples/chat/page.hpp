// The page chat_server serves at "/": log in with a name, join rooms, chat.
// It reconnects with backoff and resumes each room from the last sequence
// number it saw. All user text goes in through textContent, never innerHTML.
#pragma once

#include <string_view>

namespace example {

inline constexpr std::string_view chat_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>duplex chat</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
  header.top { display: flex; justify-content: space-between; align-items: baseline; padding: .5rem 1rem;
               border-bottom: 1px solid #ddd; }
  header.top h1 { font-size: 1.2rem; margin: 0; }
  #status { color: #666; font-size: .9rem; }
  #login-view { max-width: 24rem; margin: 4rem auto; padding: 0 1rem; }
  #login-error { color: #b00; min-height: 1.4em; }
  #chat-view { display: flex; height: calc(100vh - 3rem); }
  #chat-view[hidden], #login-view[hidden] { display: none; }
  aside { width: 14rem; border-right: 1px solid #ddd; padding: .5rem; overflow-y: auto; }
  aside h2 { font-size: 1rem; margin: .3rem 0; }
  #rooms { list-style: none; margin: 0; padding: 0; }
  #rooms li { display: flex; justify-content: space-between; align-items: center; padding: .1rem 0; }
  #rooms li button { flex: 1; text-align: left; background: none; border: 0; padding: .3rem; cursor: pointer; }
  #rooms li.joined button { font-weight: bold; }
  #rooms li.active { background: #eef4ff; border-radius: 4px; }
  #rooms .count { color: #666; font-size: .85rem; padding: 0 .4rem; }
  main { flex: 1; display: flex; flex-direction: column; padding: .5rem 1rem; min-width: 0; }
  .room-head { display: flex; gap: 1rem; align-items: baseline; }
  .room-head h2 { margin: .2rem 0; font-size: 1.1rem; }
  #members { color: #666; font-size: .9rem; flex: 1; }
  #logs { flex: 1; border: 1px solid #ccc; border-radius: 4px; overflow-y: auto; padding: .5rem; }
  .log div { white-space: pre-wrap; word-break: break-word; }
  .log time { color: #999; font-size: .8rem; margin-right: .4rem; }
  .log .from { font-weight: bold; margin-right: .3rem; }
  .log .notice, .log .info { color: #888; font-style: italic; }
  .log .error { color: #b00; }
  #typing { color: #888; font-style: italic; min-height: 1.4em; margin: .2rem 0; }
  form.row { display: flex; gap: .5rem; } form.row input { flex: 1; padding: .4rem; min-width: 0; }
</style>
</head>
<body>
<header class="top"><h1>duplex chat</h1><span id="status">not logged in</span></header>
<section id="login-view">
  <form id="login-form" class="row">
    <input id="name" autocomplete="username" placeholder="Your name (1-32 of A-Z a-z 0-9 _ -)" maxlength="32" autofocus>
    <button id="login" type="submit">Enter</button>
  </form>
  <p id="login-error"></p>
</section>
<section id="chat-view" hidden>
  <aside>
    <h2>Rooms</h2>
    <ul id="rooms"></ul>
    <form id="create-form" class="row">
      <input id="new-room" placeholder="new-room" maxlength="32" pattern="[a-z0-9\-]{1,32}">
      <button id="create" type="submit">Create</button>
    </form>
  </aside>
  <main>
    <div class="room-head"><h2 id="room-title">Pick a room</h2><span id="members"></span>
      <button id="leave" type="button" hidden>Leave</button></div>
    <div id="logs" aria-live="polite"></div>
    <p id="typing"></p>
    <form id="send-form" class="row"><input id="text" autocomplete="off" placeholder="Type a message" maxlength="4000">
      <button id="send" type="submit" disabled>Send</button></form>
  </main>
</section>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text; // never innerHTML: user text is untrusted
  return e;
};

let name = null;          // logged-in user
let epoch = null;         // server instance: a new one means its history is not ours
let socket = null;
let attempt = 0;          // reconnect attempts since the last open
let everConnected = false;
let lastTypingSent = 0;
let roomInfo = [];        // the server's room list
const joined = new Map(); // room -> { lastSeq, log, typing: Map(user -> timer) }
let active = null;

function setStatus(text) { $("status").textContent = text; }
function send(event) { if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event)); }

function ensureRoom(room) {
  let r = joined.get(room);
  if (!r) {
    const log = el("div", "log");
    log.dataset.room = room;
    log.hidden = true;
    $("logs").appendChild(log);
    r = { lastSeq: 0, log, typing: new Map() };
    joined.set(room, r);
  }
  return r;
}

function append(room, node) {
  const log = joined.get(room).log;
  const atBottom = $("logs").scrollTop + $("logs").clientHeight >= $("logs").scrollHeight - 4;
  log.appendChild(node);
  if (atBottom) $("logs").scrollTop = $("logs").scrollHeight;
}

function info(room, cls, text) { if (joined.has(room)) append(room, el("div", cls, text)); }

function clock(ms) {
  const t = el("time", "", new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  t.dateTime = new Date(ms).toISOString();
  return t;
}

function activate(room) {
  active = room;
  for (const [name_, r] of joined) r.log.hidden = name_ !== room;
  $("room-title").textContent = room ? "#" + room : "Pick a room";
  $("leave").hidden = !room;
  $("send").disabled = !room || !socket || socket.readyState !== WebSocket.OPEN;
  renderRooms();
  renderTyping();
  $("logs").scrollTop = $("logs").scrollHeight;
}

function renderRooms() {
  const list = $("rooms");
  list.replaceChildren();
  for (const room of roomInfo) {
    const li = el("li");
    li.dataset.room = room.name;
    if (joined.has(room.name)) li.classList.add("joined");
    if (room.name === active) li.classList.add("active");
    const button = el("button", "join", "#" + room.name);
    button.type = "button";
    button.onclick = () => join(room.name);
    li.append(button, el("span", "count", String(room.count)));
    list.appendChild(li);
  }
  const current = roomInfo.find((r) => r.name === active);
  $("members").textContent = current ? current.count + " here: " + current.users.join(", ") : "";
}

function renderTyping() {
  const r = active && joined.get(active);
  const users = r ? [...r.typing.keys()] : [];
  $("typing").textContent = users.length ? users.join(", ") + (users.length > 1 ? " are" : " is") + " typing…" : "";
}

function join(room) {
  if (!joined.has(room)) {
    ensureRoom(room);
    send({ type: "join", room });
  }
  activate(room);
}

function leave(room) {
  const r = joined.get(room);
  if (!r) return;
  send({ type: "leave", room });
  for (const timer of r.typing.values()) clearTimeout(timer);
  r.log.remove();
  joined.delete(room);
  activate(joined.size ? joined.keys().next().value : null);
}

function typingFrom(room, user) {
  const r = joined.get(room);
  if (!r) return;
  clearTimeout(r.typing.get(user));
  r.typing.set(user, setTimeout(() => { r.typing.delete(user); renderTyping(); }, 3000));
  renderTyping();
}
function stopTyping(room, user) {
  const r = joined.get(room);
  if (!r || !r.typing.has(user)) return;
  clearTimeout(r.typing.get(user));
  r.typing.delete(user);
  renderTyping();
}

// Sequenced room events (messages and notices): each once, in order.
function sequenced(event, node) {
  const r = joined.get(event.room);
  if (!r || typeof event.seq !== "number" || event.seq <= r.lastSeq) return;
  r.lastSeq = event.seq;
  node.dataset.seq = String(event.seq);
  append(event.room, node);
}

function onEvent(event) {
  switch (event.type) {
  case "welcome": {
    if (epoch !== null && event.epoch !== epoch)
      for (const [room, r] of joined) { r.log.replaceChildren(); r.lastSeq = 0; info(room, "info", "the server restarted"); }
    epoch = event.epoch;
    setStatus("connected as " + event.name);
    // Rejoin every room, each from the last message seen there.
    for (const [room, r] of joined) send({ type: "join", room, last_seq: r.lastSeq });
    break;
  }
  case "rooms": roomInfo = Array.isArray(event.rooms) ? event.rooms : []; renderRooms(); break;
  case "joined": {
    const r = joined.get(event.room);
    if (!r) break;
    if (event.resync) { r.log.replaceChildren(); r.lastSeq = 0; }
    else if (event.replayed > 0 && r.log.childElementCount > 0)
      info(event.room, "info", event.replayed + " missed event" + (event.replayed > 1 ? "s" : "") + " delivered");
    break;
  }
  case "message": {
    const line = el("div", "msg");
    line.append(clock(event.time), el("span", "from", event.from + ":"), el("span", "text", event.text));
    line.dataset.from = event.from;
    sequenced(event, line);
    stopTyping(event.room, event.from);
    break;
  }
  case "notice": {
    const line = el("div", "notice");
    line.append(clock(event.time), el("span", "", event.user + (event.event === "join" ? " joined" : " left")));
    sequenced(event, line);
    if (event.event === "leave") stopTyping(event.room, event.user);
    break;
  }
  case "typing": typingFrom(event.room, event.from); break;
  case "error":
    if (active) info(active, "error", event.error); else setStatus("error: " + event.error);
    break;
  }
}

async function fetchToken(user) {
  const response = await fetch("/login?name=" + encodeURIComponent(user), { method: "POST" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || "login failed");
  return body.token;
}

async function connect() {
  let token;
  try {
    token = await fetchToken(name); // a fresh token each time: the old one may have expired
  } catch (e) {
    return reconnectLater();
  }
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const ws = new WebSocket(scheme + location.host + "/ws?token=" + encodeURIComponent(token));
  socket = ws;
  ws.onopen = () => { attempt = 0; everConnected = true; activate(active); };
  ws.onmessage = (e) => { try { onEvent(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = (e) => {
    if (socket !== ws) return;
    $("send").disabled = true;
    reconnectLater(e.code);
  };
}

function reconnectLater(code) {
  // Exponential backoff with jitter, so a restarted server is not stormed.
  const delay = Math.min(15000, 1000 * 2 ** attempt) * (1 + Math.random() * 0.3);
  attempt = Math.min(attempt + 1, 10);
  setStatus((everConnected ? "disconnected" : "cannot connect") + (code ? " (" + code + ")" : "") +
            ", reconnecting in " + Math.round(delay / 1000) + " s…");
  setTimeout(connect, delay);
}

$("login-form").onsubmit = async (e) => {
  e.preventDefault();
  const wanted = $("name").value.trim();
  $("login-error").textContent = "";
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(wanted)) {
    $("login-error").textContent = "Names are 1-32 of A-Z, a-z, 0-9, _ and -.";
    return;
  }
  try {
    await fetchToken(wanted);
  } catch (err) {
    $("login-error").textContent = err.message;
    return;
  }
  name = wanted;
  $("login-view").hidden = true;
  $("chat-view").hidden = false;
  setStatus("connecting…");
  connect();
};

$("create-form").onsubmit = (e) => {
  e.preventDefault();
  const room = $("new-room").value.trim();
  if (!/^[a-z0-9-]{1,32}$/.test(room)) return;
  if (!joined.has(room)) {
    ensureRoom(room);
    send({ type: "create", room });
  }
  $("new-room").value = "";
  activate(room);
};

$("leave").onclick = () => leave(active);

$("text").oninput = () => {
  const now = Date.now();
  if (!active || !$("text").value || now - lastTypingSent < 1500) return;
  lastTypingSent = now;
  send({ type: "typing", room: active });
};

$("send-form").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (!active || !text) return;
  send({ type: "message", room: active, text });
  $("text").value = "";
  lastTypingSent = 0;
};

// For debugging from the console (and for tests): the current socket.
window.chat = { get socket() { return socket; }, get rooms() { return joined; } };
</script>
</body>
</html>
)html";

} // namespace example
