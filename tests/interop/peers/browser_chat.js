// Headless Chromium, driven by Playwright, uses the chat example's page as
// three people would: alice and bob in #general, carol in #tech. Also checks
// the WebSocket endpoint's token check from Node (401 before the upgrade).
//   node browser_chat.js ws://HOST:PORT --secret SECRET   (the server's --secret)
'use strict';
const { chromium } = require('playwright-core');
const crypto = require('crypto');
const http = require('http');
const os = require('os');
const fs = require('fs');
const path = require('path');

const base = new URL(process.argv[2].replace(/^ws:/, 'http:') + '/');
const url = base.href;
const secretAt = process.argv.indexOf('--secret');
const secret = secretAt > 0 ? process.argv[secretAt + 1] : null;
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
const timeout = { timeout: 10000 };

// The HTTP status the server answers a WebSocket upgrade request with.
function upgradeStatus(target, headers = {}) {
  return new Promise((resolve) => {
    const request = http.request({
      host: base.hostname, port: base.port, path: target,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
                 'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'), ...headers },
    });
    request.on('upgrade', (response, socket) => { socket.destroy(); resolve(response.statusCode); });
    request.on('response', (response) => { response.resume(); resolve(response.statusCode); });
    request.on('error', (e) => resolve('error: ' + e.message));
    request.setTimeout(5000, () => { request.destroy(); resolve('timeout'); });
    request.end();
  });
}

function postLogin(name) {
  return new Promise((resolve) => {
    const request = http.request({ host: base.hostname, port: base.port, method: 'POST',
                                   path: '/login?name=' + encodeURIComponent(name) });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => {
        let json = null;
        try { json = JSON.parse(body); } catch (e) { /* checked by the caller */ }
        resolve({ status: response.statusCode, json });
      });
    });
    request.on('error', (e) => resolve({ status: 'error: ' + e.message, json: null }));
    request.end();
  });
}

async function tokenChecks() {
  const ok = await postLogin('alice');
  check(`POST /login issues a token (${ok.status})`, ok.status === 200 && ok.json && typeof ok.json.token === 'string' &&
        /^alice\.\d+\.[A-Za-z0-9_-]{43}$/.test(ok.json.token));
  const badName = await postLogin('<b>x</b>');
  check(`POST /login with an invalid name gets 400 (${badName.status})`, badName.status === 400);
  const token = ok.json ? ok.json.token : 'alice.0.x';
  const expect = async (what, target, headers, status) => {
    const got = await upgradeStatus(target, headers);
    check(`${what}: ${status} (got ${got})`, got === status);
  };
  await expect('upgrade without a token', '/ws', {}, 401);
  await expect('upgrade with a malformed token', '/ws?token=not-a-token', {}, 401);
  const [, expiry, signature] = token.split('.');
  await expect('upgrade with another name on a valid signature', `/ws?token=mallory.${expiry}.${signature}`, {}, 401);
  await expect('upgrade with a valid token', '/ws?token=' + token, {}, 101);
  await expect('upgrade with a valid token in the cookie', '/ws', { Cookie: 'other=1; chat_token=' + token }, 101);
  await expect('upgrade from another origin', '/ws?token=' + token, { Origin: 'http://evil.example' }, 403);
  if (!secret) {
    check('--secret given, to sign tokens here', false);
    return;
  }
  const sign = (payload) => payload + '.' + crypto.createHmac('sha256', secret).update(payload).digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  await expect('upgrade with a token signed here (same secret)', '/ws?token=' + sign(`dave.${now + 600}`), {}, 101);
  await expect('upgrade with an expired, correctly signed token', '/ws?token=' + sign(`dave.${now - 1}`), {}, 401);
  const wrongKey = `dave.${now + 600}.` + crypto.createHmac('sha256', 'not the secret').update(`dave.${now + 600}`)
    .digest('base64url');
  await expect('upgrade with a token signed with another key', '/ws?token=' + wrongKey, {}, 401);
}

async function login(page, name) {
  await page.goto(url);
  await page.fill('#name', name);
  await page.click('#login');
  await page.waitForFunction((n) => document.getElementById('status').textContent === 'connected as ' + n, name,
                             timeout);
}

async function joinRoom(page, room, name) {
  await page.click(`#rooms li[data-room="${room}"] button.join`, timeout);
  await page.waitForFunction(([room, name]) => [...document.querySelectorAll(`.log[data-room="${room}"] .notice`)]
    .some((d) => d.textContent.endsWith(name + ' joined')), [room, name], timeout);
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

function waitMessage(page, room, from, text) {
  return page.waitForFunction(([room, from, text]) =>
    [...document.querySelectorAll(`.log[data-room="${room}"] .msg`)].some((d) =>
      d.querySelector('.from').textContent === from + ':' && d.querySelector('.text').textContent === text),
  [room, from, text], timeout);
}

// Texts of the messages a page shows in a room, in order.
const shown = (page, room) => page.$$eval(`.log[data-room="${room}"] .msg .text`, (all) => all.map((d) => d.textContent));

(async () => {
  await tokenChecks();

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'duplex-chromium-'));
  // A fresh profile, and no background networking: this machine has no internet.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const [alice, bob, carol] = [await browser.newPage(), await browser.newPage(), await browser.newPage()];
    await login(alice, 'alice');
    await login(bob, 'bob');
    await login(carol, 'carol');
    check('three pages logged in and connected', true);

    await waitCheck('alice joined #general', () => joinRoom(alice, 'general', 'alice'));
    await waitCheck('bob joined #general', () => joinRoom(bob, 'general', 'bob'));
    await waitCheck('carol joined #tech', () => joinRoom(carol, 'tech', 'carol'));
    await waitCheck('alice sees bob join #general', () => alice.waitForFunction(() =>
      [...document.querySelectorAll('.log[data-room="general"] .notice')].some((d) => d.textContent.endsWith('bob joined')),
    null, timeout));

    for (const [page, me, other] of [[alice, 'alice', 'bob'], [bob, 'bob', 'alice']]) {
      await waitCheck(`${me} sees 2 users in #general, ${other} among them`, () => page.waitForFunction((other) => {
        const count = document.querySelector('#rooms li[data-room="general"] .count');
        const members = document.getElementById('members').textContent;
        return count && count.textContent === '2' && members.startsWith('2 here:') &&
               members.split(': ')[1].split(', ').includes(other);
      }, other, timeout));
    }
    await waitCheck('carol sees the counts too (#general 2, #tech 1)', () => carol.waitForFunction(() => {
      const count = (room) => (document.querySelector(`#rooms li[data-room="${room}"] .count`) || {}).textContent;
      return count('general') === '2' && count('tech') === '1';
    }, null, timeout));

    await alice.type('#text', 'hel');
    await waitCheck('bob sees alice typing', () => bob.waitForFunction(() =>
      document.getElementById('typing').textContent === 'alice is typing…', null, timeout));
    check('carol does not see alice typing', (await carol.textContent('#typing')) === '');

    const fromAlice = 'hello bob, ünïcödé ✓';
    const fromBob = 'hi alice';
    const markup = '<b>x</b><script>';
    await say(alice, fromAlice);
    await waitCheck('bob sees alice\'s message with her name', () => waitMessage(bob, 'general', 'alice', fromAlice));
    await waitCheck('alice sees her own message', () => waitMessage(alice, 'general', 'alice', fromAlice));
    await waitCheck('bob no longer sees alice typing once her message came', () => bob.waitForFunction(() =>
      document.getElementById('typing').textContent === '', null, timeout));
    await say(bob, fromBob);
    await waitCheck('alice sees bob\'s message with his name', () => waitMessage(alice, 'general', 'bob', fromBob));
    await say(alice, markup);
    await waitCheck('bob sees the markup message as text', () => waitMessage(bob, 'general', 'alice', markup));
    for (const [page, who] of [[alice, 'alice'], [bob, 'bob']])
      check(`${who}'s page made no <b> or <script> from the message`,
            (await page.$$('#logs b')).length === 0 && (await page.$$('#logs script')).length === 0);

    const seqs = await bob.$$eval('.log[data-room="general"] [data-seq]', (all) => all.map((d) => Number(d.dataset.seq)));
    check(`bob's #general events carry increasing sequence numbers (${seqs.join(',')})`,
          seqs.length >= 4 && seqs.every((s, i) => Number.isInteger(s) && s > 0 && (i === 0 || s > seqs[i - 1])));
    const times = await bob.$$eval('.log[data-room="general"] .msg time', (all) => all.map((t) => Date.parse(t.dateTime)));
    check('messages carry the server time', times.length === 3 && times.every((t) => Math.abs(Date.now() - t) < 60000));

    // Carol's own message comes after everything above on the server's one
    // thread, so once she has it, anything from #general would have come too.
    await say(carol, 'carol in tech');
    await waitCheck('carol sees her message in #tech', () => waitMessage(carol, 'tech', 'carol', 'carol in tech'));
    const carolTexts = await carol.$$eval('.log .text', (all) => all.map((d) => d.textContent));
    check('carol in #tech got none of #general\'s messages',
          carolTexts.length === 1 && ![fromAlice, fromBob, markup].some((t) => carolTexts.includes(t)));
    check('alice and bob got nothing from #tech',
          !(await shown(alice, 'general')).includes('carol in tech') && !(await shown(bob, 'general')).includes('carol in tech'));

    // Resume: bob's connection drops and his page cannot get a new token (its
    // /login requests fail) while alice writes twice; then it reconnects with
    // backoff and gets what it missed from the history.
    const isLogin = (u) => u.pathname === '/login';
    await bob.route(isLogin, (route) => route.abort());
    await bob.evaluate(() => window.chat.socket.close(4000, 'test: drop'));
    await waitCheck('bob\'s page notices the drop and plans a reconnect', () => bob.waitForFunction(() =>
      document.getElementById('status').textContent.startsWith('disconnected (4000), reconnecting'), null, timeout));
    const missed = ['while you were away 1', 'while you were away 2'];
    for (const text of missed) {
      await say(alice, text);
      await waitMessage(alice, 'general', 'alice', text);
    }
    const bobStillAway = (await bob.textContent('#status')).startsWith('disconnected');
    check('alice wrote while bob was away', bobStillAway);
    await bob.unroute(isLogin);
    await waitCheck('bob reconnects', () => bob.waitForFunction(() =>
      document.getElementById('status').textContent === 'connected as bob', null, { timeout: 20000 }));
    await waitCheck('bob gets the missed messages after reconnecting', async () => {
      for (const text of missed) await waitMessage(bob, 'general', 'alice', text);
    });
    // His own leave notice and alice's two messages.
    await waitCheck('bob\'s page says 3 missed events were replayed', () => bob.waitForFunction(() =>
      [...document.querySelectorAll('.log[data-room="general"] .info')].some((d) => d.textContent === '3 missed events delivered'),
    null, timeout));
    const bobTexts = await shown(bob, 'general');
    check(`bob sees every message once, in order (${bobTexts.length})`,
          JSON.stringify(bobTexts) === JSON.stringify([fromAlice, fromBob, markup, ...missed]));

    // Rooms: carol creates one; everyone's list shows it.
    await carol.fill('#new-room', 'night-owls');
    await carol.click('#create');
    await waitCheck('a room carol creates appears in alice\'s list with 1 user', () => alice.waitForFunction(() => {
      const count = document.querySelector('#rooms li[data-room="night-owls"] .count');
      return count && count.textContent === '1';
    }, null, timeout));

    // Rate limit: a burst over the bucket gets an error event, the rest is dropped.
    await alice.evaluate(() => {
      for (let i = 0; i < 30; i++) window.chat.socket.send(JSON.stringify({ type: 'message', room: 'general', text: 'flood ' + i }));
    });
    await waitCheck('alice is told she is over the rate limit', () => alice.waitForFunction(() =>
      [...document.querySelectorAll('.log[data-room="general"] .error')].some((d) => d.textContent.includes('rate limit')),
    null, timeout));
    // Every allowed message reaches alice herself too: bob must have the same ones.
    await alice.waitForTimeout(500);
    const flood = (texts) => texts.filter((t) => t.startsWith('flood ')).length;
    const allowed = flood(await shown(alice, 'general'));
    await waitCheck(`bob got the ${allowed} flood messages alice's page shows`, () => bob.waitForFunction((n) =>
      [...document.querySelectorAll('.log[data-room="general"] .msg .text')]
        .filter((d) => d.textContent.startsWith('flood ')).length === n, allowed, timeout));
    check(`only part of a burst of 30 got through (${allowed})`, allowed > 0 && allowed < 30);
  } catch (e) {
    check('browser session: ' + e.message.split('\n')[0], false);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failures ? 1 : 0);
})();
setTimeout(() => { console.log('FAIL timeout'); process.exit(1); }, 85000).unref();
