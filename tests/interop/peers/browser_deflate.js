// A real browser (headless Chromium through Playwright, or headless Firefox ESR
// through puppeteer-core over WebDriver BiDi) talks to a duplex server with
// permessage-deflate the way web pages do: many messages on one connection, of
// every kind and size, one at a time and in bursts. Browsers keep one inflater
// for the whole connection, whatever context takeover was agreed, so a server
// message that ended its DEFLATE stream broke the next one (issue 19).
//   node browser_deflate.js ws://HOST:PORT --browser chromium|firefox echo
//       the echo_server example with --deflate: 240 messages one by one, 0 B to
//       1 MiB, text and binary, compressible and random, then a burst of 60
//   node browser_deflate.js ws://HOST:PORT --browser chromium|firefox chat
//       the chat example (deflate on by default): three users, every message
//       size the chat takes, the room's history replayed to a late joiner
'use strict';
const os = require('os');
const fs = require('fs');
const path = require('path');

const base = process.argv[2].replace(/^ws:/, 'http:') + '/';
const browserAt = process.argv.indexOf('--browser');
const browserName = browserAt > 0 ? process.argv[browserAt + 1] : 'chromium';
const mode = process.argv.includes('chat') ? 'chat' : 'echo';
let failures = 0;
const check = (name, ok) => { console.log((ok ? 'ok   ' : 'FAIL ') + `[${browserName}] ` + name); if (!ok) failures++; };

// Both drivers have goto, evaluate and close; only launching differs.
async function launch(profile) {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync'];
  if (browserName === 'chromium') {
    const { chromium } = require('playwright-core');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
    return { newPage: () => context.newPage(), close: () => context.close() };
  }
  if (browserName === 'firefox') {
    const puppeteer = require('puppeteer-core');
    const browser = await puppeteer.launch({
      browser: 'firefox', executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr', headless: true,
      userDataDir: profile,
      // No background traffic: this machine has no internet.
      extraPrefsFirefox: { 'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false,
                           'app.update.auto': false, 'browser.safebrowsing.malware.enabled': false,
                           'browser.safebrowsing.phishing.enabled': false, 'extensions.update.enabled': false,
                           'datareporting.policy.dataSubmissionEnabled': false },
    });
    return { newPage: () => browser.newPage(), close: () => browser.close() };
  }
  throw new Error('unknown browser ' + browserName);
}

// Poll a page function until it returns something truthy (the two drivers'
// waitForFunction take their arguments differently).
async function waitFor(page, fn, arg, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- echo ------------------------------------------------------------------

const sizes = [0, 1, 2, 10, 63, 64, 65, 100, 125, 126, 127, 200, 300, 500, 1000, 1023, 1024, 1025, 2000, 4096, 8192,
               16383, 16384, 16385, 32768, 65535, 65536, 65537, 100000, 250000];
// 240 messages: every size with every kind (text or binary, compressible or
// random), 1 MiB of each kind once; then a burst of 60 sent without waiting.
function echoPlan() {
  const plan = [];
  for (let i = 0; i < 240; i++) {
    const size = i % 60 === 59 ? 1 << 20 : sizes[(i * 7) % sizes.length];
    plan.push({ text: i % 2 === 0, compressible: i % 4 < 2, size, seed: i + 1 });
  }
  const burst = [];
  for (let i = 0; i < 60; i++)
    burst.push({ text: i % 3 !== 0, compressible: i % 2 === 0, size: sizes[(i * 11) % 20], seed: 1000 + i });
  return { plan, burst };
}

// Runs in the page: the payload of a plan entry, made the same way each time.
function pageEchoRun({ plan, burst }) {
  const rng = (seed) => () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 8; };
  const make = ({ text, compressible, size, seed }) => {
    const next = rng(seed);
    if (text) {
      if (compressible) {
        const words = ['{"user":"ünï', 'cödé","text":"hello', ' world ✓ 😀', '","room":"general"},', ' price 42 '];
        let s = '';
        while (s.length < size) s += words[next() % words.length];
        s = s.slice(0, size);
        if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1); // no half of a surrogate pair
        return s;
      }
      const ranges = [[0x20, 0x7e], [0xa0, 0x7ff], [0x800, 0xd7ff], [0x1f600, 0x1f64f]];
      const points = [];
      for (let n = 0; n < size;) {
        const [lo, hi] = ranges[next() % ranges.length];
        const cp = lo + (next() % (hi - lo + 1));
        points.push(cp);
        n += cp > 0xffff ? 2 : 1;
      }
      let s = '';
      for (let k = 0; k < points.length; k += 4096) s += String.fromCodePoint(...points.slice(k, k + 4096));
      return s;
    }
    const bytes = new Uint8Array(size);
    if (compressible) for (let k = 0; k < size; k++) bytes[k] = (k % 251) < 200 ? 0x41 + (k % 7) : next() & 0xff;
    else for (let k = 0; k < size; k++) bytes[k] = next() & 0xff;
    return bytes;
  };
  const same = (a, b) => {
    if (typeof a === 'string') return a === b;
    if (!(b instanceof ArrayBuffer)) return false;
    const v = new Uint8Array(b);
    if (v.length !== a.length) return false;
    for (let k = 0; k < a.length; k++) if (v[k] !== a[k]) return false;
    return true;
  };
  const describe = (e) => `${e.text ? 'text' : 'binary'} ${e.compressible ? 'compressible' : 'random'} ${e.size}`;
  return new Promise((resolve) => {
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/echo');
    ws.binaryType = 'arraybuffer';
    const result = { extensions: '', echoed: 0, burstEchoed: 0, errors: [], close: null };
    const expected = [];
    let phase = 'one by one', index = 0;
    const done = () => { clearTimeout(timer); resolve(result); };
    const timer = setTimeout(() => { result.errors.push(`timed out in ${phase} at ${index}`); done(); }, 70000);
    const sendNext = () => {
      if (index === plan.length) {
        phase = 'burst';
        for (const e of burst) { const p = make(e); expected.push({ e, p }); ws.send(p); }
        return;
      }
      const p = make(plan[index]);
      expected.push({ e: plan[index], p });
      ws.send(p);
    };
    ws.onopen = () => { result.extensions = ws.extensions; sendNext(); };
    ws.onmessage = (m) => {
      const { e, p } = expected.shift();
      if (!same(p, m.data)) result.errors.push(`echo of ${describe(e)} differs`);
      if (phase === 'one by one') {
        result.echoed++;
        index++;
        sendNext();
      } else if (++result.burstEchoed === burst.length) {
        ws.close(1000, 'done');
      }
    };
    ws.onclose = (c) => { result.close = { code: c.code, clean: c.wasClean }; done(); };
    ws.onerror = () => result.errors.push(`error event in ${phase} at ${index}`);
  });
}

async function echoTest(page) {
  await page.goto(base);
  const { plan, burst } = echoPlan();
  const r = await page.evaluate(pageEchoRun, { plan, burst });
  check(`permessage-deflate negotiated (${r.extensions})`, r.extensions.startsWith('permessage-deflate'));
  check(`${r.echoed}/${plan.length} echoes one by one, each equal to what was sent`,
        r.echoed === plan.length && r.errors.length === 0);
  check(`${r.burstEchoed}/${burst.length} echoes of a burst, in order`, r.burstEchoed === burst.length);
  for (const e of r.errors.slice(0, 5)) check(e, false);
  check(`closed cleanly by the page with 1000 (${JSON.stringify(r.close)})`, r.close && r.close.code === 1000 && r.close.clean);
  const bytes = plan.reduce((n, e) => n + e.size, 0);
  console.log(`     ${plan.length + burst.length} messages, ${(bytes / 1048576).toFixed(1)} MiB one by one`);
}

// ---- chat ------------------------------------------------------------------

async function chatLogin(page, name) {
  await page.goto(base);
  await page.evaluate((n) => {
    document.getElementById('name').value = n;
    document.getElementById('login').click();
  }, name);
  await waitFor(page, (n) => document.getElementById('status').textContent === 'connected as ' + n, name, 'login ' + name);
}

async function chatJoin(page, room, name) {
  await page.evaluate((r) => document.querySelector(`#rooms li[data-room="${r}"] button.join`).click(), room);
  await waitFor(page, ([r, n]) => [...document.querySelectorAll(`.log[data-room="${r}"] .notice`)]
    .some((d) => d.textContent.endsWith(n + ' joined')), [room, name], `${name} joining ${room}`);
}

// Texts shown in a room on a page, in order.
const shownTexts = (page, room) => page.evaluate((r) =>
  [...document.querySelectorAll(`.log[data-room="${r}"] .msg .text`)].map((d) => d.textContent), room);

// Chat texts of the sizes the chat takes (1-4000 bytes), compressible and not.
function chatTexts(who, count) {
  const out = [];
  let seed = who.length * 7919;
  const next = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 8; };
  const lengths = [1, 20, 63, 64, 65, 200, 1000, 1333, 3000, 3990];
  for (let i = 0; i < count; i++) {
    const n = lengths[i % lengths.length];
    let s = `${who} ${i}: `;
    if (i % 2 === 0) {
      while (s.length < n) s += 'ünïcödé chat text ✓ ';
    } else {
      while (s.length < n) s += String.fromCharCode(0x21 + (next() % 94));
    }
    // At most 4000 bytes of UTF-8 (the chat's limit), and no space at the ends
    // (the page shows text as sent; keep it unambiguous).
    while (new TextEncoder().encode(s).length > 4000) s = s.slice(0, -1);
    out.push(s.trim());
  }
  return out;
}

// Sends through the page's own socket, at the pace the chat's rate limit
// allows (a burst of 10, then 2 a second).
async function chatSay(page, room, texts) {
  await page.evaluate(([r, all]) => {
    for (const t of all) window.chat.socket.send(JSON.stringify({ type: 'message', room: r, text: t }));
  }, [room, texts]);
}

async function chatTest(newPage) {
  const [alice, bob] = [await newPage(), await newPage()];
  await chatLogin(alice, 'alice');
  await chatLogin(bob, 'bob');
  const extensions = await alice.evaluate(() => window.chat.socket.extensions);
  check(`the chat negotiates permessage-deflate (${extensions})`, extensions.startsWith('permessage-deflate'));
  await chatJoin(alice, 'general', 'alice');
  await chatJoin(bob, 'general', 'bob');
  const fromAlice = chatTexts('alice', 10);
  const fromBob = chatTexts('bob', 10);
  await chatSay(alice, 'general', fromAlice);
  await chatSay(bob, 'general', fromBob);
  for (const [page, me] of [[alice, 'alice'], [bob, 'bob']]) {
    try {
      await waitFor(page, ([r, n]) => document.querySelectorAll(`.log[data-room="${r}"] .msg`).length >= n,
                    ['general', 20], `${me}'s page showing 20 messages`);
      const texts = await shownTexts(page, 'general');
      const inOrder = (mine) => { let k = 0; for (const t of texts) if (t === mine[k]) k++; return k === mine.length; };
      check(`${me} sees all 20 messages of 1-4000 bytes, each sender's in order`,
            texts.length === 20 && inOrder(fromAlice) && inOrder(fromBob));
    } catch (e) {
      check(`${me}: ${e.message}`, false);
    }
  }
  // A late joiner gets the room's history replayed: a burst of compressed messages.
  const carol = await newPage();
  await chatLogin(carol, 'carol');
  await chatJoin(carol, 'general', 'carol');
  try {
    await waitFor(carol, () => document.querySelectorAll('.log[data-room="general"] .msg').length >= 20, null,
                  'the history on carol\'s page');
    const texts = await shownTexts(carol, 'general');
    check(`carol, joining late, sees the 20 messages from the history (${texts.length})`,
          texts.length === 20 && fromAlice.every((t) => texts.includes(t)) && fromBob.every((t) => texts.includes(t)));
  } catch (e) {
    check('carol: ' + e.message, false);
  }
  const fine = await Promise.all([alice, bob, carol].map((p) => p.evaluate(() => window.chat.socket.readyState === 1)));
  check('all three connections still open', fine.every(Boolean));
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `duplex-${browserName}-`));
  let browser = null;
  try {
    browser = await launch(profile);
    if (mode === 'echo') await echoTest(await browser.newPage());
    else await chatTest(() => browser.newPage());
  } catch (e) {
    check('browser session: ' + e.message.split('\n')[0], false);
  } finally {
    if (browser) await browser.close().catch(() => {});
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failures ? 1 : 0);
})();
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 85000).unref();
