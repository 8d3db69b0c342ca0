// Node `ws` echo server for comparison.
//   node ws_echo.js [--port P] [--deflate | --deflate-level1] [--tls-cert FILE --tls-key FILE] [--broadcast]
//   prints "listening on 127.0.0.1:PORT"
// --deflate enables permessage-deflate with ws's defaults (zlib level 6,
// messages of 1,024 bytes or more compressed); --deflate-level1 with zlib
// level 1, memLevel 8, every message (duplex's defaults).
// --tls-cert/--tls-key: wss through an https server (Node's OpenSSL).
// --broadcast: every message goes to every client (the sender too), as ws's
// README shows it: wss.clients.forEach(client => client.send(data)).
// ws resolves from tests/interop/node_modules (NODE_PATH; the runners set it).
'use strict';
const fs = require('fs');
const { WebSocketServer } = require('ws');
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const deflate = process.argv.includes('--deflate-level1')
  ? { threshold: 0, zlibDeflateOptions: { level: 1, memLevel: 8 } } : process.argv.includes('--deflate');
const broadcast = process.argv.includes('--broadcast');
const port = Number(arg('--port') || 0);
let wss;
let server;
if (arg('--tls-cert')) {
  server = require('https').createServer({ cert: fs.readFileSync(arg('--tls-cert')), key: fs.readFileSync(arg('--tls-key')) });
  wss = new WebSocketServer({ server, perMessageDeflate: deflate, maxPayload: 64 << 20 });
  server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${server.address().port}`));
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: deflate, maxPayload: 64 << 20 });
  wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
}
wss.on('connection', (ws) => {
  ws._socket.setNoDelay(true);
  if (broadcast) {
    ws.on('message', (data, isBinary) => wss.clients.forEach((client) => client.send(data, { binary: isBinary })));
  } else {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  }
});
process.on('SIGTERM', () => process.exit(0));
