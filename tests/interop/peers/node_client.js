// Node `ws` client against a duplex server.
// usage: node node_client.js BASE_URL [--deflate] [--no-reject]
// On BASE_URL/echo: text and binary round trips of exactly 0, 125, 126, 65535,
// 65536 and 1 MiB bytes (text mixes 1- to 4-byte UTF-8 characters), a ping
// whose pong must carry its payload, and a close with 4001 "bye" whose echoed
// code is checked. permessage-deflate is negotiated only with --deflate;
// without it, one more connection offers deflate (as ws does by default) and
// must still echo, the server having declined. Unless --no-reject,
// BASE_URL/reject must refuse the handshake with 403.
// Prints one line per check; exit status 0 only if all passed.
'use strict';
const WebSocket = require('ws');
const base = process.argv[2];
const deflate = process.argv.includes('--deflate');
let failures = 0;
process.exitCode = 1; // an exit before the last check (nothing left to wait on) is a failure
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + name); if (!ok) failures++; };

function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}
const next = (ws) => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));

// Valid UTF-8 of exactly `size` bytes: a, é, €, 😀 (1+2+3+4 bytes), ASCII padding.
function textOf(size) {
  const text = 'aé€😀'.repeat(Math.floor(size / 10));
  return text + 'a'.repeat(size - Buffer.byteLength(text));
}

(async () => {
  const ws = await open(base + '/echo', { perMessageDeflate: deflate, maxPayload: 2 ** 21 });
  check(`deflate negotiated=${Boolean(ws.extensions)} as asked`, Boolean(ws.extensions) === deflate);
  for (const size of [0, 125, 126, 65535, 65536, 1 << 20]) {
    const text = textOf(size);
    ws.send(text);
    let m = await next(ws);
    check(`text ${Buffer.byteLength(text)} bytes`, !m.isBinary && m.data.toString() === text);
    const bin = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bin[i] = (i * 31) & 0xff;
    ws.send(bin);
    m = await next(ws);
    check(`binary ${size} bytes`, m.isBinary && Buffer.compare(m.data, bin) === 0);
  }
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping('ping-payload');
  const payload = (await pong).toString();
  check(`pong with the ping's payload (${JSON.stringify(payload)})`, payload === 'ping-payload');
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  ws.close(4001, 'bye');
  const [code, reason] = await closed;
  check(`close 4001 echoed (got ${code} ${JSON.stringify(reason)})`, code === 4001);
  if (!deflate) {
    const offered = await open(base + '/echo', { perMessageDeflate: true });
    offered.send('offered deflate');
    const m = await next(offered);
    check(`deflate offered, declined (${JSON.stringify(offered.extensions)}), echo works`,
      offered.extensions === '' && m.data.toString() === 'offered deflate');
    const done = new Promise((resolve) => offered.once('close', resolve));
    offered.close(1000);
    await done;
  }
  if (!process.argv.includes('--no-reject')) {
    try {
      (await open(base + '/reject', { perMessageDeflate: deflate })).terminate();
      check('rejected handshake', false);
    } catch (e) {
      check(`rejected handshake status ${e.status}`, e.status === 403);
    }
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log('FAIL ' + e); process.exit(1); });
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 60000).unref();
