// The page dashboard_server serves at "/": four live line charts drawn on
// canvases by its own script. It talks JSON-RPC 2.0 over /ws (see
// dashboard_service.hpp), reconnects with backoff, resumes from the last
// sample it saw, and starts over when the server restarted (another epoch).
// Text from the server goes in through textContent only.
#pragma once

#include <string_view>

namespace example {

inline constexpr std::string_view dashboard_page = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>duplex dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #f6f6f6; }
  header { display: flex; justify-content: space-between; align-items: baseline; padding: .5rem 1rem;
           border-bottom: 1px solid #ddd; background: #fff; }
  header h1 { font-size: 1.2rem; margin: 0; }
  #status { color: #666; }
  #status.down { color: #b00; }
  #charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 1rem; padding: 1rem; }
  figure { margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .5rem .75rem; }
  figcaption { display: flex; justify-content: space-between; gap: 1rem; font-weight: 600; margin-bottom: .3rem; }
  figcaption .value { font-weight: normal; font-variant-numeric: tabular-nums; color: #444; }
  canvas { display: block; width: 100%; height: 170px; }
  .legend { font-size: .85rem; color: #555; }
  .legend span::before { content: ""; display: inline-block; width: .8em; height: .8em; border-radius: 2px;
                         margin: 0 .3em 0 .6em; vertical-align: -1px; background: var(--color); }
  footer { padding: 0 1rem 1rem; color: #666; font-size: .85rem; }
</style>
</head>
<body>
<header><h1>duplex dashboard</h1><span id="status">connecting…</span></header>
<main id="charts"></main>
<footer><span id="info"></span> <span id="note"></span></footer>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const charts = [
  { id: "connections", title: "Open connections", digits: 0,
    series: [{ key: "connections", label: "open", color: "#1f77b4" }] },
  { id: "messages", title: "Messages per second", digits: 1,
    series: [{ key: "in_per_s", label: "in", color: "#2ca02c" }, { key: "out_per_s", label: "out", color: "#d62728" }] },
  { id: "cpu", title: "CPU (%)", digits: 1, series: [{ key: "cpu_percent", label: "cpu", color: "#9467bd" }] },
  { id: "rss", title: "Resident memory (MiB)", digits: 2, series: [{ key: "rss_mib", label: "rss", color: "#ff7f0e" }] },
];

// Everything the page knows; window.dashboard for the curious (and the tests).
const state = {
  epoch: null,          // the server instance the samples come from
  samples: [],          // in seq order, at most `history`
  lastSeq: 0,
  history: 300,
  socket: null,
  attempt: 0,           // reconnection attempts since the last open
  nextId: 1,
  pending: new Map(),   // JSON-RPC id -> {resolve, reject}
  restarts: 0,          // epochs seen after the first
  closeCodes: [],
  lastSubscribe: null,  // the last "subscribe" result
};
window.dashboard = state;

for (const chart of charts) {
  const figure = el("figure");
  figure.dataset.chart = chart.id;
  const caption = el("figcaption");
  caption.append(el("span", "", chart.title));
  chart.value = el("span", "value", "–");
  caption.append(chart.value);
  chart.canvas = el("canvas");
  chart.canvas.id = "chart-" + chart.id;
  const legend = el("div", "legend");
  for (const s of chart.series) {
    const item = el("span", "", s.label);
    item.style.setProperty("--color", s.color);
    legend.append(item);
  }
  figure.append(caption, chart.canvas, legend);
  $("charts").append(figure);
}

function setStatus(text, down) {
  $("status").textContent = text;
  $("status").className = down ? "down" : "";
}

// ---- drawing ------------------------------------------------------------------

// Drawn at the next animation frame, or after 250 ms when no frame comes: a
// headless browser, or one under load, may schedule no frames for seconds.
let drawPending = false;
function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  const run = () => { if (!drawPending) return; drawPending = false; draw(); };
  requestAnimationFrame(run);
  setTimeout(run, 250);
}

// A round upper bound for the y axis: 1, 2 or 5 times a power of ten.
function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (x <= m * p) return m * p;
  return 10 * p;
}

function draw() {
  const samples = state.samples;
  const last = samples.length ? samples[samples.length - 1].seq : 0;
  // At least a minute of slots, so a fresh chart does not stretch two points across.
  const slots = Math.max(60, Math.min(state.history, samples.length));
  for (const chart of charts) {
    const canvas = chart.canvas, ratio = window.devicePixelRatio || 1;
    const width = Math.round(canvas.clientWidth * ratio), height = Math.round(canvas.clientHeight * ratio);
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, width, height);
    const pad = { left: 44 * ratio, right: 6 * ratio, top: 8 * ratio, bottom: 16 * ratio };
    const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
    let max = 0;
    for (const s of samples) for (const series of chart.series) {
      const v = s[series.key];
      if (typeof v === "number" && v > max) max = v;
    }
    max = niceMax(max);
    // Grid and labels.
    ctx.font = `${11 * ratio}px system-ui, sans-serif`;
    ctx.fillStyle = "#777";
    ctx.strokeStyle = "#e4e4e4";
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + plotH * (1 - i / 4);
      ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
      ctx.fillText(String(+(max * i / 4).toFixed(2)), pad.left - 4 * ratio, y);
    }
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    if (samples.length) ctx.fillText("seq " + last, pad.left, height);
    // One line per series; a gap in the sequence numbers breaks the line.
    let points = 0;
    for (const series of chart.series) {
      ctx.beginPath();
      ctx.strokeStyle = series.color;
      ctx.lineWidth = 2 * ratio;
      ctx.lineJoin = "round";
      let previous = null;
      for (const s of samples) {
        const v = s[series.key];
        if (typeof v !== "number" || last - s.seq >= slots) { previous = null; continue; }
        const x = pad.left + plotW * (1 - (last - s.seq) / (slots - 1));
        const y = pad.top + plotH * (1 - Math.min(v, max) / max);
        if (previous !== null && s.seq === previous + 1) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        previous = s.seq;
        points++;
      }
      ctx.stroke();
    }
    canvas.dataset.points = String(points);
    const latest = samples[samples.length - 1];
    chart.value.textContent = latest ? chart.series.map((series) => {
      const v = latest[series.key];
      return (chart.series.length > 1 ? series.label + " " : "") + (typeof v === "number" ? v.toFixed(chart.digits) : "n/a");
    }).join(" · ") : "–";
  }
}

// ---- the connection -----------------------------------------------------------

function call(method, params) {
  return new Promise((resolve, reject) => {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return reject(new Error("not connected"));
    const id = state.nextId++;
    state.pending.set(id, { resolve, reject });
    state.socket.send(JSON.stringify({ jsonrpc: "2.0", method, params, id }));
  });
}

function addSample(s) {
  if (!s || !Number.isInteger(s.seq) || s.seq <= state.lastSeq) return; // already have it
  s.rss_mib = typeof s.rss_kib === "number" ? s.rss_kib / 1024 : null;
  state.samples.push(s);
  state.lastSeq = s.seq;
  if (state.samples.length > state.history) state.samples.splice(0, state.samples.length - state.history);
  scheduleDraw();
}

function startOver() {
  state.samples = [];
  state.lastSeq = 0;
  scheduleDraw();
}

function welcome(p) {
  if (p.epoch !== state.epoch) {
    if (state.epoch !== null) {
      state.restarts++;
      $("note").textContent = "The server restarted: starting over with its history.";
    }
    state.epoch = p.epoch;
    startOver();
  }
  if (Number.isInteger(p.history) && p.history > 0) state.history = p.history;
  $("info").textContent = `Server ${p.epoch}: a sample every ${p.interval_ms} ms, the last ${p.history} kept.`;
  call("subscribe", { epoch: state.epoch, after: state.lastSeq }).then((r) => {
    // With resync the history follows this response: drop what we have.
    if (r.resync) startOver();
    state.lastSubscribe = r;
    setStatus(r.resync ? `connected, ${r.replayed} samples of history`
                       : `connected, ${r.replayed} missed samples replayed`);
  }, (e) => setStatus("subscribe failed: " + e.message, true));
}

function receive(m) {
  if (!m || typeof m !== "object") return;
  if (m.method === "sample") return addSample(m.params);
  if (m.method === "welcome") return welcome(m.params || {});
  if (m.method === undefined && state.pending.has(m.id)) {
    const p = state.pending.get(m.id);
    state.pending.delete(m.id);
    if (m.error) p.reject(Object.assign(new Error(`${m.error.message} (${m.error.code})`), { code: m.error.code }));
    else p.resolve(m.result);
  }
}

function connect() {
  const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  state.socket = socket;
  setStatus(state.attempt ? `reconnecting (attempt ${state.attempt})…` : "connecting…", state.attempt > 0);
  socket.onopen = () => { state.attempt = 0; setStatus("connected"); };
  socket.onmessage = (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch (err) { return; }
    for (const one of Array.isArray(m) ? m : [m]) receive(one);
  };
  socket.onclose = (e) => {
    if (state.socket !== socket) return;
    state.socket = null;
    state.closeCodes.push(e.code);
    for (const p of state.pending.values()) p.reject(new Error("connection closed"));
    state.pending.clear();
    // Exponential backoff with jitter: 0.25 s, 0.5 s, 1 s ... at most 8 s.
    const delay = Math.min(8000, 250 * 2 ** state.attempt) * (0.75 + Math.random() * 0.5);
    state.attempt++;
    setStatus(`disconnected (${e.code}), reconnecting in ${(delay / 1000).toFixed(1)} s`, true);
    setTimeout(connect, delay);
  };
}

window.addEventListener("resize", scheduleDraw);
connect();
</script>
</body>
</html>
)html";

} // namespace example
