'use strict';
// Hostile clients against a real keylink-relay: headers that declare huge frames (before and after
// auth), a JWT written to forge log lines; beside them an honest pair of clients keeps
// publishing and receiving, and /health answers. Every loop is bounded.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const net = require('node:net');
const { Relay, Client, Bystander, within, until, token, randomTopic } = require('./client');

const WAIT_MS = 30000;

let relay;
let bystander;

before(async () => {
  relay = await Relay.start(['--store', 'memory']);
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

test('the honest pair kept publishing and receiving throughout; /health answers', async (t) => {
  const count = await bystander.finish();
  t.diagnostic(`bystander: ${count} messages published and received beside the hostile clients`);
  assert.equal((await relay.get('/health')).status, 200);
  await bystander.sender.close();
  await bystander.receiver.close();
});
