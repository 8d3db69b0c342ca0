// Headless Chromium, driven by Playwright, opens the echo server's page, types
// messages and reads the echoes the page shows: the demo as a person uses it.
//   node browser_echo.js ws://HOST:PORT [--deflate]
'use strict';
const { chromium } = require('playwright-core');
const os = require('os');
const fs = require('fs');
const path = require('path');

const url = process.argv[2].replace(/^ws:/, 'http:') + '/';
const expectDeflate = process.argv.includes('--deflate');
let failures = 0;
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + name); if (!ok) failures++; };

(async () => {
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
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws));
    await page.goto(url);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('connected'),
                               null, { timeout: 10000 });
    check('page connected over WebSocket', true);
    // The page shows WebSocket.extensions: what Chromium and the server agreed on.
    const status = await page.textContent('#status');
    check(`permessage-deflate ${expectDeflate ? '' : 'not '}negotiated with Chromium (${status})`,
          status.includes('permessage-deflate') === expectDeflate);
    const messages = ['hello from chromium', 'ünïcödé ✓ 😀', '<b>not html</b>', 'x'.repeat(70000)];
    for (const text of messages) {
      await page.fill('#text', text);
      await page.click('#send');
      await page.waitForFunction((t) => [...document.querySelectorAll('#log .in')].some((d) => d.textContent === '← ' + t),
                                 text, { timeout: 10000 });
      check(`echo of ${text.length} characters shown`, true);
    }
    check('user text is shown as text, not markup', (await page.$$('#log b')).length === 0);
    check('one WebSocket opened', sockets.length === 1);
  } catch (e) {
    check('browser session: ' + e.message.split('\n')[0], false);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failures ? 1 : 0);
})();
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 90000).unref();
