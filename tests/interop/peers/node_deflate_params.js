// Node `ws` client against a duplex server with permessage-deflate: every
// RFC 7692 parameter ws can offer, one connection per offer.
// usage: node node_deflate_params.js BASE_URL
// For each offer it checks the negotiated parameters in the server's answer,
// then round trips compressible JSON (text, 64 KiB and 1 MiB), incompressible
// binary (256 KiB), a message sent in three compressed fragments, and several
// messages in a row (context takeover must carry over, or not, on both sides).
// server_max_window_bits=8 cannot be honoured with zlib's raw deflate, so the
// server must decline that offer and the connection must work uncompressed.
// Prints one line per check; exit status 0 only if all passed.
'use strict';
const crypto = require('crypto');
const WebSocket = require('ws');
const base = process.argv[2];
let failures = 0;
process.exitCode = 1;
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + name); if (!ok) failures++; };

function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    // ws.extensions lists only names; the parameters are in the response header.
    ws.once('upgrade', (res) => { ws.answer = res.headers['sec-websocket-extensions'] || ''; });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
const next = (ws) => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));

function json(size) {
  let s = '[';
  for (let i = 0; s.length < size - 64; i++) s += JSON.stringify({ id: i, user: `user${i % 17}`, online: i % 3 === 0 }) + ',';
  return s + '"' + 'x'.repeat(size - s.length - 2) + '"]';
}

// [name, ws perMessageDeflate options, parameters expected in the answer (null: declined)]
const offers = [
  ['defaults', {}, { 'client_max_window_bits': '15' }],
  ['no context takeover both ways', { serverNoContextTakeover: true, clientNoContextTakeover: true },
    { server_no_context_takeover: true, client_no_context_takeover: true }],
  ['server_max_window_bits=10', { serverMaxWindowBits: 10 }, { server_max_window_bits: '10' }],
  ['server_max_window_bits=9', { serverMaxWindowBits: 9 }, { server_max_window_bits: '9' }],
  ['client_max_window_bits=9', { clientMaxWindowBits: 9 }, { client_max_window_bits: '9' }],
  ['windows 11/12 without takeover', { serverMaxWindowBits: 11, clientMaxWindowBits: 12, serverNoContextTakeover: true },
    { server_max_window_bits: '11', server_no_context_takeover: true }],
  ['server_max_window_bits=8 (declined)', { serverMaxWindowBits: 8 }, null],
];

function parseAnswer(header) {
  if (!header) return null;
  const params = {};
  const parts = header.split(';').map((p) => p.trim());
  if (parts[0] !== 'permessage-deflate') return { unexpected: header };
  for (const p of parts.slice(1)) {
    const [k, v] = p.split('=');
    params[k.trim()] = v === undefined ? true : v.trim().replace(/"/g, '');
  }
  return params;
}

(async () => {
  for (const [name, options, expected] of offers) {
    const ws = await open(base + '/echo', { perMessageDeflate: { threshold: 0, ...options }, maxPayload: 2 ** 21 });
    const answer = parseAnswer(ws.answer);
    if (expected === null) {
      check(`${name}: declined (answer ${JSON.stringify(ws.answer)}, extensions ${JSON.stringify(ws.extensions)})`,
        answer === null && ws.extensions === '');
    } else {
      const ok = answer !== null && Object.entries(expected).every(([k, v]) => k === 'client_max_window_bits' && v === '15'
        ? answer[k] === undefined || answer[k] === '15' : answer[k] === v);
      check(`${name}: answer ${JSON.stringify(ws.answer)}`, ok && ws.extensions === 'permessage-deflate');
    }
    for (const size of [64 * 1024, 1 << 20]) {
      const text = json(size);
      for (let round = 0; round < 3; round++) { // repeated: context takeover refers back to earlier messages
        ws.send(text);
        const m = await next(ws);
        check(`${name}: JSON ${size} bytes, round ${round}`, !m.isBinary && m.data.toString() === text);
      }
    }
    const random = crypto.randomBytes(256 * 1024);
    ws.send(random);
    let m = await next(ws);
    check(`${name}: incompressible 256 KiB`, m.isBinary && Buffer.compare(m.data, random) === 0);
    const parts = [json(5000), json(7000), json(3000)];
    ws.send(parts[0], { fin: false });
    ws.send(parts[1], { fin: false });
    ws.send(parts[2], { fin: true });
    m = await next(ws);
    check(`${name}: three compressed fragments`, m.data.toString() === parts.join(''));
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(1000);
    const code = await closed;
    check(`${name}: closed with ${code}`, code === 1000);
  }
  process.exit(failures ? 1 : 0);
})().catch((e) => { console.log('FAIL ' + e); process.exit(1); });
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 90000).unref();
