// Node `ws` client against a duplex interop server.
// usage: node node_client.js BASE_URL [--deflate]
'use strict';
const WebSocket = require('ws');
const base = process.argv[2];
const deflate = process.argv.includes('--deflate');
let failures = 0;
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + name); if (!ok) failures++; };

function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(Object.assign(new Error('status'), { status: res.statusCode })));
    ws.once('error', reject);
  });
}
const next = (ws) => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));

(async () => {
  const ws = await open(base + '/echo', { perMessageDeflate: deflate, maxPayload: 2 ** 21 });
  check(`deflate negotiated=${Boolean(ws.extensions)} as asked`, Boolean(ws.extensions) === deflate);
  for (const size of [0, 125, 126, 65535, 65536, 1 << 20]) {
    const text = 'aé€😀'.repeat(Math.floor(size / 10) + 1).slice(0, Math.floor(size / 3));
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
  check('pong payload', (await pong).toString() === 'ping-payload');
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  ws.close(4001, 'bye');
  const code = await closed;
  check(`close code echoed (${code})`, code === 4001);
  try {
    await open(base + '/reject');
    check('rejected handshake', false);
  } catch (e) {
    check(`rejected handshake status ${e.status}`, e.status === 403);
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log('FAIL ' + e); process.exit(1); });
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 60000).unref();
