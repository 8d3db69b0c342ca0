// Headless Chromium, driven by Playwright, watches the dashboard example's
// page: samples arrive with increasing sequence numbers and are drawn; after a
// dropped connection the page resumes without a gap; after the server restarts
// on the same port (another epoch) it reconnects and starts over with the new
// server's history. Also checks the JSON-RPC side from Node (ws).
// run_peer.py cannot restart a server, so this script runs dashboard_server itself:
//   node browser_dashboard.js PATH/TO/dashboard_server
'use strict';
const { chromium } = require('playwright-core');
const WebSocket = require('ws');
const { spawn } = require('child_process');
const os = require('os');
const fs = require('fs');
const path = require('path');

const serverPath = process.argv[2];
const intervalMs = 100;
let failures = 0;
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + name); if (!ok) failures++; };
// A check that waits for something: a timeout or an error is a failure, and the run goes on.
const waitCheck = async (name, fn) => {
  try {
    await fn();
    check(name, true);
  } catch (e) {
    check(name + ': ' + e.message.split('\n')[0], false);
  }
};
const timeout = { timeout: 15000 };

// The servers this script started and has not seen exit: killed if it ends early.
const running = new Set();
process.on('exit', () => { for (const proc of running) proc.kill('SIGKILL'); });

// Start dashboard_server on `port` (0: a free one); resolves once it printed its address.
function startServer(port) {
  return new Promise((resolve, reject) => {
    const proc = spawn(serverPath, ['--port', String(port), '--interval-ms', String(intervalMs)],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    const server = { proc, lines: [], address: null };
    server.exited = new Promise((done) => proc.on('exit', (code, signal) => done(signal ? signal : code)));
    let buffered = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop();
      for (const line of parts) {
        server.lines.push(line);
        const match = /^listening on (\S+)$/.exec(line);
        if (match && !server.address) {
          server.address = match[1];
          resolve(server);
        }
      }
    });
    proc.on('error', reject);
    server.exited.then((status) => reject(new Error(`dashboard_server exited (${status}) before listening`)));
    setTimeout(() => reject(new Error('dashboard_server did not print its address within 20 s')), 20000).unref();
  });
}

// SIGTERM, then the exit status (or 'timeout' after 10 s, and SIGKILL).
async function stopServer(server) {
  server.proc.kill('SIGTERM');
  const status = await Promise.race([server.exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
  if (status === 'timeout') server.proc.kill('SIGKILL');
  return status;
}

// JSON-RPC from Node: the messages a fresh connection receives until `until(messages)` holds.
function rpcSession(address, requests, until) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${address}/ws`);
    const messages = [];
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no complete answer within 10 s')); }, 10000);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      messages.push(m);
      if (m.method === 'welcome') for (const r of requests(m.params)) ws.send(JSON.stringify(r));
      if (until(messages)) { clearTimeout(timer); ws.close(); resolve(messages); }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

// The HTTP status of an upgrade to /ws with these headers (ws's 'unexpected-response' for a refusal).
function upgradeStatus(address, headers) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${address}/ws`, { headers });
    const timer = setTimeout(() => { ws.terminate(); resolve('timeout'); }, 5000);
    ws.on('open', () => { clearTimeout(timer); ws.terminate(); resolve(101); });
    ws.on('unexpected-response', (request, response) => { clearTimeout(timer); ws.terminate(); resolve(response.statusCode); });
    ws.on('error', () => {});
  });
}

async function originChecks(address) {
  const foreign = await upgradeStatus(address, { Origin: 'http://evil.example' });
  check(`a page from another origin cannot open /ws: 403 (got ${foreign})`, foreign === 403);
  const own = await upgradeStatus(address, { Origin: `http://${address}` });
  check(`the dashboard's own origin can (got ${own})`, own === 101);
}

async function rpcChecks(address) {
  await originChecks(address);
  const response = (messages, id) => messages.find((m) => m.id === id);
  const samplesAfter = (messages, id) => messages.slice(messages.indexOf(response(messages, id)) + 1)
    .filter((m) => m.method === 'sample');
  let epoch = null;
  const messages = await rpcSession(address, (welcome) => {
    epoch = welcome.epoch;
    return [
      { jsonrpc: '2.0', method: 'no.such.method', id: 1 },
      { jsonrpc: '2.0', method: 'subscribe', params: { after: -1 }, id: 2 },
      { jsonrpc: '2.0', method: 'info', id: 3 },
      // Sequence numbers of another server instance: the server resyncs.
      { jsonrpc: '2.0', method: 'subscribe', params: { epoch: 'another-epoch', after: 2 }, id: 4 },
    ];
  }, (all) => {
    if (![1, 2, 3, 4].every((id) => response(all, id))) return false;
    const replayed = (response(all, 4).result || {}).replayed || 0;
    return samplesAfter(all, 4).length >= Math.max(3, replayed + 1); // the history and a live one
  });
  const welcome = messages[0];
  check(`the server's first message is the welcome notification (${JSON.stringify(welcome)})`,
        welcome.jsonrpc === '2.0' && welcome.method === 'welcome' && welcome.id === undefined &&
        /^[0-9a-f]{16}$/.test(welcome.params.epoch) && welcome.params.interval_ms === intervalMs &&
        welcome.params.history === 300);
  const unknown = response(messages, 1);
  check(`an unknown method gets -32601 (${JSON.stringify(unknown)})`, unknown.error && unknown.error.code === -32601);
  const badAfter = response(messages, 2);
  check(`subscribe with after -1 gets -32602 (${JSON.stringify(badAfter)})`,
        badAfter.error && badAfter.error.code === -32602);
  const info = response(messages, 3);
  check(`info answers with the epoch and this connection (${JSON.stringify(info)})`,
        info.result && info.result.epoch === epoch && info.result.connections >= 1 && Number.isInteger(info.result.last));
  const resync = response(messages, 4);
  const history = samplesAfter(messages, 4).map((m) => m.params.seq);
  check(`subscribe with another epoch resyncs (${JSON.stringify(resync)})`,
        resync.result && resync.result.resync === true && resync.result.epoch === epoch);
  check(`the whole history follows the resync response, from seq 1 (${history.slice(0, 5).join(',')}...)`,
        history[0] === 1 && history.every((s, i) => i === 0 || s === history[i - 1] + 1) &&
        history.length >= resync.result.replayed);
  check('no sample came before the subscription',
        messages.slice(0, messages.indexOf(resync)).every((m) => m.method !== 'sample'));
}

// What the page holds, and what its canvases drew.
function pageState(page) {
  return page.evaluate(() => {
    const d = window.dashboard;
    const charts = [...document.querySelectorAll('figure[data-chart]')].map((figure) => {
      const canvas = figure.querySelector('canvas');
      const colors = [...figure.querySelectorAll('.legend span')].map((s) => s.style.getPropertyValue('--color').trim());
      const rgb = colors.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
      const counts = rgb.map(() => 0);
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] < 200) continue;
        rgb.forEach((c, k) => {
          if (Math.abs(pixels[i] - c[0]) + Math.abs(pixels[i + 1] - c[1]) + Math.abs(pixels[i + 2] - c[2]) < 40) counts[k]++;
        });
      }
      return { id: figure.dataset.chart, points: Number(canvas.dataset.points || 0), colored: counts,
               value: figure.querySelector('figcaption .value').textContent };
    });
    return { epoch: d.epoch, seqs: d.samples.map((s) => s.seq), last: d.samples[d.samples.length - 1] || null,
             restarts: d.restarts, closeCodes: d.closeCodes.slice(), lastSubscribe: d.lastSubscribe,
             status: document.getElementById('status').textContent, note: document.getElementById('note').textContent,
             info: document.getElementById('info').textContent, charts };
  });
}

const contiguous = (seqs) => seqs.every((s, i) => Number.isInteger(s) && s > 0 && (i === 0 || s === seqs[i - 1] + 1));

// Waits until every chart drew at least `n` points per series (the page draws
// at the next frame, or 250 ms later), or 5 s passed; the checks below judge.
function chartsDrawn(page, n) {
  return page.waitForFunction((n) => [...document.querySelectorAll('figure[data-chart]')].every((figure) =>
    Number(figure.querySelector('canvas').dataset.points || 0) >= n * figure.querySelectorAll('.legend span').length),
  n, { timeout: 5000 }).catch(() => {});
}

// Every chart drew at least `n` points per series, and its series' colours are on the canvas.
function checkCharts(what, state, n) {
  for (const chart of state.charts) {
    const series = chart.colored.length;
    check(`${what}: the ${chart.id} chart drew ${chart.points} points in ${series} series (at least ${n} each)`,
          series >= 1 && chart.points >= n * series);
    // The chart's lines are drawn. Not every series needs pixels of its own: one
    // flat at zero lies under another series drawn over it there (the points
    // of every series are counted above).
    check(`${what}: the ${chart.id} chart's lines are on the canvas (${chart.colored.join(', ')} pixels)`,
          Math.max(...chart.colored) >= 20);
    check(`${what}: the ${chart.id} chart shows the latest value (${chart.value})`, /\d/.test(chart.value));
  }
}

(async () => {
  let server = await startServer(0);
  const address = server.address;
  const port = Number(address.split(':').pop());
  check(`dashboard_server listens on ${address}`, port > 0);
  await rpcChecks(address).catch((e) => check('JSON-RPC from Node: ' + e.message, false));

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'duplex-chromium-'));
  // A fresh profile, and no background networking: this machine has no internet.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`http://${address}/`);

    // Samples arrive and are drawn.
    await waitCheck('the page gets 15 samples', () => page.waitForFunction(() =>
      window.dashboard.samples.length >= 15 && document.getElementById('status').textContent.startsWith('connected'),
    null, timeout));
    await chartsDrawn(page, 10);
    let state = await pageState(page);
    const firstEpoch = state.epoch;
    check(`the samples carry increasing sequence numbers, none missing (${state.seqs.slice(-5).join(',')})`,
          state.seqs.length >= 15 && contiguous(state.seqs));
    check(`the page shows the server's epoch (${state.info})`, /^[0-9a-f]{16}$/.test(firstEpoch) &&
          state.info.includes(firstEpoch));
    const last = state.last || {};
    check(`a sample counts this page's connection (${JSON.stringify(last)})`, last.connections >= 1);
    // Each sample goes out to this page, 1000 / intervalMs a second.
    check(`a sample counts the messages sent (out ${last.out_per_s}/s)`, last.out_per_s > 0);
    check(`a sample has CPU % and resident memory (${last.cpu_percent} %, ${last.rss_kib} KiB)`,
          typeof last.cpu_percent === 'number' && last.cpu_percent >= 0 && last.rss_kib > 1000);
    checkCharts('first server', state, 10);

    // A dropped connection: the page reconnects with backoff and resumes without a gap.
    const before = state.seqs[state.seqs.length - 1];
    await page.evaluate(() => { window.dashboard.lastSubscribe = null; window.dashboard.socket.close(4000, 'test: drop'); });
    await waitCheck('the page notices the drop', () => page.waitForFunction(() =>
      window.dashboard.closeCodes.includes(4000), null, timeout));
    await waitCheck('the page reconnects and resumes', () => page.waitForFunction(() =>
      window.dashboard.lastSubscribe !== null, null, timeout));
    await page.waitForFunction((n) => window.dashboard.lastSeq >= n + 10, before, timeout).catch(() => {});
    state = await pageState(page);
    const resumed = state.lastSubscribe || {};
    check(`the server replayed the missed samples (${JSON.stringify(resumed)})`,
          resumed.resync === false && resumed.replayed >= 1 && resumed.epoch === firstEpoch);
    check(`after the resume no sample is missing or twice (${state.seqs.length} samples up to ${state.seqs.slice(-1)})`,
          contiguous(state.seqs) && state.seqs[state.seqs.length - 1] >= before + 10);

    // The server restarts on the same port: another epoch.
    const statusCode = await stopServer(server);
    check(`SIGTERM stops dashboard_server with exit 0 (${statusCode})`, statusCode === 0);
    check(`dashboard_server printed one line (${JSON.stringify(server.lines)})`,
          server.lines.length === 1 && server.lines[0] === `listening on ${address}`);
    await waitCheck('the page was told 1001 (going away)', () => page.waitForFunction(() =>
      window.dashboard.closeCodes.includes(1001), null, timeout));
    await waitCheck('the page says it is disconnected', () => page.waitForFunction(() =>
      document.getElementById('status').textContent.startsWith('disconnected'), null, timeout));
    const timeBefore = state.last ? state.last.time : 0;
    await page.waitForTimeout(1000); // a failed attempt or two against the closed port
    server = await startServer(port);
    check(`dashboard_server started again on ${server.address}`, server.address === address);
    await waitCheck('the page reconnects to the new server and gets 15 samples', () => page.waitForFunction((epoch) =>
      window.dashboard.epoch !== epoch && window.dashboard.samples.length >= 15 &&
      document.getElementById('status').textContent.startsWith('connected'), firstEpoch, { timeout: 30000 }));
    await chartsDrawn(page, 10);
    state = await pageState(page);
    check(`the epoch changed (${firstEpoch} -> ${state.epoch})`,
          /^[0-9a-f]{16}$/.test(state.epoch) && state.epoch !== firstEpoch && state.restarts === 1);
    check(`the page started over with the new server's history (${state.seqs.slice(0, 3).join(',')}...${state.seqs.slice(-1)})`,
          state.seqs[0] === 1 && contiguous(state.seqs) && state.lastSubscribe && state.lastSubscribe.epoch === state.epoch);
    check(`the page says the server restarted (${state.note})`, state.note.includes('restarted'));
    check(`the page saw the closed port while the server was down (${state.closeCodes.join(',')})`,
          state.closeCodes.filter((c) => c === 1006).length >= 1);
    checkCharts('after the restart', state, 10);
    check(`the new samples come after the old ones in time (${timeBefore} < ${state.seqs.length && state.last.time})`,
          timeBefore > 0 && state.last && state.last.time > timeBefore);
    check(`no script errors on the page (${pageErrors.join('; ')})`, pageErrors.length === 0);
  } catch (e) {
    check('browser session: ' + e.message.split('\n')[0], false);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
    const statusCode = await stopServer(server);
    check(`SIGTERM stops the restarted dashboard_server with exit 0 (${statusCode})`, statusCode === 0);
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log('FAIL ' + e.message); process.exit(1); });
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 120000).unref();
