// Node `ws` echo server for duplex's interop tests.
// usage: node node_echo_server.js [--deflate | --deflate-options=JSON]
// Binds 127.0.0.1 on a free port and prints "listening on 127.0.0.1:PORT".
// Echoes text as text and binary as binary; the text "close-me:CODE:REASON"
// makes it close with that code and reason. permessage-deflate only with
// --deflate, or with --deflate-options= ws's perMessageDeflate options as JSON
// (e.g. {"serverNoContextTakeover":true,"serverMaxWindowBits":10}). SIGTERM closes every connection (1001) and exits 0.
// Plain HTTP requests get an empty page (for the browser tests, run against this reference too).
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');
const custom = process.argv.find((a) => a.startsWith('--deflate-options='));
const deflate = custom ? { threshold: 0, ...JSON.parse(custom.slice('--deflate-options='.length)) }
  : process.argv.includes('--deflate');
// Any plain GET gets an empty page, so browser tests can load a page from this
// server before they connect (Chromium lets only local pages reach loopback).
const pages = http.createServer((request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  response.end('<!doctype html><title>ws echo</title>');
});
const wss = new WebSocketServer({ server: pages, maxPayload: 2 ** 21, perMessageDeflate: deflate });
pages.listen(0, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${pages.address().port}`));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text && text.startsWith('close-me:')) {
      const [, code, ...reason] = text.split(':');
      ws.close(Number(code), reason.join(':'));
      return;
    }
    ws.send(data, { binary: isBinary });
  });
});
process.on('SIGTERM', () => {
  // ws 8's server.close() leaves open connections alone; close them first.
  for (const client of wss.clients) client.close(1001, 'server shutting down');
  pages.close();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
setTimeout(() => process.exit(0), 120000).unref(); // never outlive a test run
