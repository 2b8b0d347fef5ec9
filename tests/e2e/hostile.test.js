'use strict';
// Hostile clients against real keylink-relay processes: headers that declare huge frames (before and
// after auth), a JWT written to forge log lines, slow upgrades and /health loops, a reconnect storm, and
// floods of tiny messages that would fill the store; beside them an honest pair of clients keeps
// publishing and receiving, and /health answers. Every loop is bounded.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { Relay, Client, Bystander, within, until, keyPair, token, randomTopic } = require('./client');

const WAIT_MS = 30000;

let relay;
let bystander;

const PENDING_PER_IP = 40;
const UPGRADE_TIMEOUT_S = 3;
const RATE = 100;
const BURST = 200;

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--max-pending-connections-per-ip', String(PENDING_PER_IP),
    '--upgrade-timeout', String(UPGRADE_TIMEOUT_S), '--publish-rate', String(RATE), '--publish-burst', String(BURST)]);
  bystander = await Bystander.start(relay.url);
});

after(async () => {
  if (!relay) return;
  const { code, signal } = await relay.stop('SIGTERM');
  assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
});

// The relay is still there: its process runs, /health answers, and a new client publishes to another.
async function stillServing(what) {
  assert.equal(relay.child.exitCode, null, `${what}: the relay exited\n${relay.log()}`);
  assert.equal(relay.child.signalCode, null, `${what}: the relay died\n${relay.log()}`);
  const health = await relay.get('/health');
  assert.equal(health.status, 200, what);
  const topic = randomTopic();
  const [a, b] = [await Client.connect(relay.url), await Client.connect(relay.url)];
  await b.subscribe(topic);
  assert.equal(await a.publish(topic, `after ${what}`), true);
  await until(() => b.received(topic).length === 1, WAIT_MS, `a delivery after ${what}`);
  await a.close();
  await b.close();
}

// Opens a TCP connection, sends an upgrade request (with `jwt`, none when empty) and, once the 101
// response is there (or at once with `pipelined`), `bytes`. Resolves with everything the relay sent once
// it closes the connection.
function upgradeThenSend(jwt, bytes, { pipelined = false } = {}) {
  return within(new Promise((resolve) => {
    const socket = net.connect(relay.port, '127.0.0.1');
    const key = crypto.randomBytes(16).toString('base64');
    const request = `GET /${jwt ? `?auth=${encodeURIComponent(jwt)}` : ''} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const received = [];
    let sent = pipelined;
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (!sent && Buffer.concat(received).includes('\r\n\r\n')) {
        sent = true;
        socket.write(bytes);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.write(pipelined ? Buffer.concat([Buffer.from(request), bytes]) : request);
  }), WAIT_MS, 'the relay closing a hostile connection');
}

// The close code of the first close frame after the 101 response, or undefined.
function closeCode(response) {
  const head = response.indexOf('\r\n\r\n');
  assert.match(response.subarray(0, head).toString(), /^HTTP\/1.1 101/);
  for (let at = head + 4; at + 2 <= response.length;) {
    const length = response[at + 1] & 0x7f;  // the relay's own frames here are all short
    if ((response[at] & 0x0f) === 8) return response.readUInt16BE(at + 2);
    at += 2 + length;
  }
  return undefined;
}

// A frame header of 14 bytes that declares `length` bytes: the first byte, 127 (+ mask bit), the
// 64-bit length, and a mask when `masked`.
function declaring(length, { first = 0x81, masked = true } = {}) {
  const header = Buffer.alloc(masked ? 14 : 10);
  header[0] = first;
  header[1] = (masked ? 0x80 : 0) | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  if (masked) crypto.randomBytes(4).copy(header, 10);
  return header;
}

test('a 14-byte header declaring 2^40 bytes, with no token: refused, the relay stays up', async () => {
  const response = await upgradeThenSend('', declaring(2n ** 40n));
  assert.equal(closeCode(response), 3000);
  await stillServing('a 2^40 frame on a refused connection');
});

test('headers declaring huge frames after auth: closed with 1009 or 1002, the relay stays up', async () => {
  const cases = [
    ['2^40 bytes', declaring(2n ** 40n), 1009],
    ['2^63 - 1 bytes', declaring(2n ** 63n - 1n), 1009],
    ['2^40 bytes, unmasked', declaring(2n ** 40n, { masked: false }), 1002],
    ['2^40 bytes, reserved bits', declaring(2n ** 40n, { first: 0xc1 }), 1002],
    ['2^40 bytes, a ping', declaring(2n ** 40n, { first: 0x89 }), 1002],
    ['2^40 bytes, a continuation', declaring(2n ** 40n, { first: 0x80 }), 1009],
  ];
  for (const [what, bytes, code] of cases) {
    const response = await upgradeThenSend(await token(relay.url), bytes);
    assert.equal(closeCode(response), code, what);
  }
  await stillServing('huge declared frames');
});

test('frames sent in the same write as the upgrade request are read, not lost', async () => {
  const mask = Buffer.alloc(4);
  const ping = Buffer.concat([Buffer.from([0x89, 0x81]), mask, Buffer.from('p')]);
  const close = Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from([0x03, 0xe8])]);
  const response = await upgradeThenSend(await token(relay.url), Buffer.concat([ping, close]), { pipelined: true });
  const afterHead = response.subarray(response.indexOf('\r\n\r\n') + 4);
  assert.deepEqual([...afterHead.subarray(0, 3)], [0x8a, 0x01, 0x70], 'the pong comes first');
  assert.equal(closeCode(response), 1000);
  const refused = await upgradeThenSend('', declaring(2n ** 40n), { pipelined: true });
  assert.equal(closeCode(refused), 3000);
  await stillServing('frames pipelined with the upgrade');
});

test('a header declaring 2^40 bytes after the client\'s own close frame: the relay stays up', async () => {
  const close = Buffer.concat([Buffer.from([0x88, 0x82]), Buffer.alloc(4), Buffer.from([0x03, 0xe8])]);
  const response = await upgradeThenSend(await token(relay.url), Buffer.concat([close, declaring(2n ** 40n)]));
  assert.equal(closeCode(response), 1000);
  await stillServing('a 2^40 frame after a close frame');
});

test('a JWT whose aud tries to write a log line of its own stays inside one logfmt value', async () => {
  const forged = 'x")\nts=2026-01-01T00:00:00.000Z level=error msg="forged" \u001b[2J';
  const c = await Client.connect(null, { rawUrl: `${relay.url}/?auth=${await token(relay.url, { aud: forged })}` });
  const { code } = await within(c.closed, WAIT_MS, 'the close of a foreign audience');
  assert.equal(code, 3000);
  await until(() => relay.log().includes('auth refused'), WAIT_MS, 'the refusal in the log');
  const lines = relay.log().split('\n');
  assert.deepEqual(lines.filter((line) => line.includes('forged') && !line.includes('msg="auth refused"')), []);
  assert.ok(!relay.log().includes('\u001b'), 'no escape character reaches the log');
});

// A TCP connection that sends `text` and nothing more; `gone` resolves when the relay closes it.
function silentAfter(text) {
  const socket = net.connect(relay.port, '127.0.0.1', () => socket.write(text));
  socket.on('error', () => {});
  socket.resume();
  socket.gone = new Promise((resolve) => socket.on('close', resolve));
  return socket;
}

test('slow upgrades: capped per IP, each dropped after --upgrade-timeout; the relay serves others', async () => {
  const slow = Array.from({ length: PENDING_PER_IP - 10 }, () => silentAfter('GET /?auth=x HTTP/1.1\r\nHost: a\r\n'));
  await until(async () => (await relay.metrics()).keylink_relay_pending_connections >= slow.length, WAIT_MS,
    'the slow connections counted');
  await stillServing('slow upgrades under the cap');
  // Past the cap, connections close at once, unanswered: before any slow one is dropped. (No GET /metrics
  // while over the cap: it would be refused too.)
  let slowDropped = false;
  Promise.race(slow.map((socket) => socket.gone)).then(() => { slowDropped = true; });
  const over = Array.from({ length: 20 }, () => silentAfter(''));
  await within(Promise.race(over.map((socket) => socket.gone)), WAIT_MS, 'a connection over the cap refused');
  assert.equal(slowDropped, false, 'refused over the cap, not dropped at the timeout');
  // And all of them go once their time to upgrade is over, whatever they do.
  await within(Promise.all([...slow, ...over].map((socket) => socket.gone)), WAIT_MS, 'the slow connections dropped');
  const m = await relay.metrics();
  assert.ok(m['keylink_relay_errors_total{kind="pending_limit"}'] >= 1, JSON.stringify(m));
  assert.ok(m['keylink_relay_errors_total{kind="upgrade_timeout"}'] >= slow.length, JSON.stringify(m));
  await stillServing('slow upgrades');
});

test('a keep-alive /health loop is closed at --upgrade-timeout', async () => {
  const socket = net.connect(relay.port, '127.0.0.1');
  socket.on('error', () => {});
  let answers = 0;
  socket.on('data', (chunk) => { answers += chunk.toString().split('HTTP/1.1 200').length - 1; });
  const closed = new Promise((resolve) => socket.on('close', resolve));
  let open = true;
  closed.then(() => { open = false; });
  for (let i = 0; i < 300 && open; i++) {  // 30 s at most: ten times the timeout
    socket.write('GET /health HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(open, false, 'the relay closed the loop');
  assert.ok(answers >= 1);
  await stillServing('a /health loop');
});

// One client id reconnects again and again, each time publishing past its burst (ephemeral messages, so
// that only the rate counts): reconnecting gives it no new burst.
test('a reconnect storm gets no fresh publish burst per connection', async () => {
  const key = keyPair();
  const topic = randomTopic();
  const started = Date.now();
  let accepted = 0;
  const reconnects = 20;
  for (let i = 0; i < reconnects; i++) {
    const c = await Client.connect(relay.url, { key });
    const answers = await Promise.all(Array.from({ length: BURST + 50 }, (_, j) =>
      c.call('irn_publish', { topic, message: `storm-${i}-${j}`, ttl: 300, ephemeral: true })));
    accepted += answers.filter((a) => a.result === true).length;
    for (const a of answers) if (a.error) assert.match(a.error.message, /--publish-rate/);
    await c.close();
  }
  const seconds = (Date.now() - started) / 1000;
  // What one bucket allows over the storm; a fresh burst per connection would be reconnects * BURST.
  assert.ok(accepted <= BURST + RATE * seconds + 1, `${accepted} accepted in ${seconds} s`);
  await stillServing('a reconnect storm');
});

test('the honest pair kept publishing and receiving throughout; /health answers', async (t) => {
  const count = await bystander.finish();
  t.diagnostic(`bystander: ${count} messages published and received beside the hostile clients`);
  assert.equal((await relay.get('/health')).status, 200);
  await bystander.sender.close();
  await bystander.receiver.close();
});

// A relay of its own, whose quotas the floods below exhaust: every client here comes from 127.0.0.1.
test('floods of tiny messages: each client id and each IP keeps at most its quota; the relay serves on', async (t) => {
  const perClient = 32 * 1024;
  const perIp = 128 * 1024;
  const small = await Relay.start(['--store', 'memory', '--max-stored-bytes-per-client', String(perClient),
    '--max-stored-bytes-per-ip', String(perIp)]);
  t.after(async () => {
    const { code } = await small.stop('SIGTERM');
    assert.equal(code, 0, small.log());
  });
  const topic = randomTopic();
  // One client id floods 400 tiny messages at once: its quota stops it, counting each message's
  // overhead (their topics and texts alone, 400 * 68 bytes, would fit in it).
  const key = keyPair();
  const flooder = await Client.connect(small.url, { key });
  const flood = async (c, prefix, n) => (await Promise.all(Array.from({ length: n }, (_, i) =>
    c.call('irn_publish', { topic, message: `${prefix}${i}`, ttl: 300 }))));
  const first = await flood(flooder, 'f', 400);
  const kept = first.filter((a) => a.result === true).length;
  assert.ok(kept > 0 && kept < 400, `${kept} kept`);
  for (const a of first) if (a.error) assert.match(a.error.message, /--max-stored-bytes-per-client/);
  // Reconnecting resets nothing.
  await flooder.close();
  const again = await Client.connect(small.url, { key });
  const second = await flood(again, 'g', 10);
  assert.equal(second.filter((a) => a.result === true).length, 0);
  // Many client ids from one IP: the IP's quota stops them all.
  let ipRefusals = 0;
  for (let i = 0; i < 10 && ipRefusals === 0; i++) {
    const c = await Client.connect(small.url);
    ipRefusals += (await flood(c, `c${i}-`, 200)).filter((a) => a.error && /per-ip/.test(a.error.message)).length;
    await c.close();
  }
  assert.ok(ipRefusals > 0, 'the per-IP quota refused some');
  const m = await small.metrics();
  assert.ok(m.keylink_relay_stored_bytes <= perIp, `${m.keylink_relay_stored_bytes} bytes kept`);
  assert.ok(m['keylink_relay_errors_total{kind="client_quota"}'] >= 1);
  assert.ok(m['keylink_relay_errors_total{kind="ip_quota"}'] >= 1);
  // The relay still answers, and still carries what needs no storage.
  assert.equal((await small.get('/health')).status, 200);
  const [a, b] = [await Client.connect(small.url), await Client.connect(small.url)];
  const live = randomTopic();
  await b.subscribe(live);
  assert.equal(await a.publish(live, 'ephemeral after the flood', { ephemeral: true }), true);
  await until(() => b.received(live).length === 1, WAIT_MS, 'an ephemeral delivery after the flood');
  await again.close();
  await a.close();
  await b.close();
});
