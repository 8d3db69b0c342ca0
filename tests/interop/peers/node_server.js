// Node `ws` echo server for duplex's interop tests. "close-me:CODE:REASON"
// closes with that code. Prints "listening on 127.0.0.1:PORT".
'use strict';
const { WebSocketServer } = require('ws');
const deflate = process.argv.includes('--deflate');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 2 ** 21, perMessageDeflate: deflate });
wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text && text.startsWith('close-me:')) {
      const [, code, reason] = text.split(':');
      ws.close(Number(code), reason);
      return;
    }
    ws.send(data, { binary: isBinary });
  });
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
setTimeout(() => process.exit(0), 120000).unref();
