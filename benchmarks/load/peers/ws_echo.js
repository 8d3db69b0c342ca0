// Node `ws` echo server for comparison.
//   node ws_echo.js [--port P] [--deflate | --deflate-level1]   prints "listening on 127.0.0.1:PORT"
// --deflate enables permessage-deflate with ws's defaults (zlib level 6,
// messages of 1,024 bytes or more compressed); --deflate-level1 with zlib
// level 1, memLevel 8, every message (duplex's defaults).
// ws resolves from tests/interop/node_modules (NODE_PATH; run.py sets it).
'use strict';
const { WebSocketServer } = require('ws');
const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const deflate = process.argv.includes('--deflate-level1')
  ? { threshold: 0, zlibDeflateOptions: { level: 1, memLevel: 8 } } : process.argv.includes('--deflate');
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(arg('--port') || 0), perMessageDeflate: deflate,
  maxPayload: 64 << 20 });
wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
wss.on('connection', (ws) => {
  ws._socket.setNoDelay(true);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.on('SIGTERM', () => process.exit(0));
