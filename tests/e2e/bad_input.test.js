'use strict';
// Bad input: each bad frame gets its JSON-RPC error or close code, each bad token close 3000 with a
// reason, one client's 10,000 subscriptions hit the subscription limit; and throughout, another client
// on the same relay keeps publishing and receiving, and /health answers.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const crypto = require('node:crypto');
const { Relay, Client, Bystander, within, keyPair, token, randomTopic, rawSocket } = require('./client');

const MAX_FRAME = 64 * 1024;
const MAX_SUBSCRIPTIONS = 2000;  // the relay's default --max-subscriptions
const WAIT_MS = 30000;

let relay;
let bystander;  // publishes to itself through a second connection all along

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--max-frame-bytes', String(MAX_FRAME),
    '--max-message-bytes', String(MAX_FRAME / 2)]);
  bystander = await Bystander.start(relay.url);
});

after(async () => {
  if (!relay) return;
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
});

// The error of a frame the relay must refuse with a JSON-RPC error, on a fresh connection that must
// stay open.
async function refused(client, frame) {
  const answer = await client.raw(frame);
  assert.ok(answer.error, `expected an error for ${String(frame).slice(0, 80)}, got ${JSON.stringify(answer)}`);
  assert.equal(client.ws.readyState, 1, 'the connection stays open');
  return answer;
}

test('malformed JSON-RPC gets JSON-RPC errors and the connection stays open', async () => {
  const c = await Client.connect(relay.url);
  const cases = [
    ['not JSON', 'hello relay', -32700],
    ['truncated JSON', '{"id":1,"jsonrpc":"2.0","method":"irn_publish","params":{"topic":"ab', -32700],
    // Valid JSON that is not a request object: JSON-RPC 2.0 says -32600; the relay answers -32700.
    ['a JSON array', '[1,2,3]', [-32700, -32600]],
    ['a JSON string', '"irn_publish"', [-32700, -32600]],
    ['empty', '', -32700],
    ['id is an object', JSON.stringify({ id: { a: 1 }, jsonrpc: '2.0', method: 'irn_subscribe', params: {} }), -32600],
    ['no jsonrpc', JSON.stringify({ id: 2, method: 'irn_subscribe', params: { topic: 'x' } }), -32600],
    ['jsonrpc 1.0', JSON.stringify({ id: 3, jsonrpc: '1.0', method: 'irn_subscribe', params: { topic: 'x' } }), -32600],
    ['params a string', JSON.stringify({ id: 4, jsonrpc: '2.0', method: 'irn_subscribe', params: 'x' }), -32602],
    ['no params', JSON.stringify({ id: 5, jsonrpc: '2.0', method: 'irn_publish' }), -32602],
    ['topic a number', JSON.stringify({ id: 6, jsonrpc: '2.0', method: 'irn_subscribe', params: { topic: 7 } }), -32602],
    ['message a number', JSON.stringify({ id: 7, jsonrpc: '2.0', method: 'irn_publish',
      params: { topic: 'ab', message: 1, ttl: 300 } }), -32602],
    ['ttl a string', JSON.stringify({ id: 8, jsonrpc: '2.0', method: 'irn_publish',
      params: { topic: 'ab', message: 'm', ttl: '300' } }), -32602],
    ['ttl below the minimum', JSON.stringify({ id: 9, jsonrpc: '2.0', method: 'irn_publish',
      params: { topic: 'ab', message: 'm', ttl: 29 } }), -32602],
    ['topics not an array', JSON.stringify({ id: 10, jsonrpc: '2.0', method: 'irn_batchSubscribe',
      params: { topics: 'ab' } }), -32602],
    ['messages of the wrong type', JSON.stringify({ id: 11, jsonrpc: '2.0', method: 'irn_batchPublish',
      params: { messages: [1, 2] } }), -32602],
    ['a topic too long', JSON.stringify({ id: 12, jsonrpc: '2.0', method: 'irn_subscribe',
      params: { topic: 'a'.repeat(10000) } }), -32602],
    ['query limit 0', JSON.stringify({ id: 13, jsonrpc: '2.0', method: 'keylink_query',
      params: { topic: 'ab', limit: 0 } }), -32602],
    ['unknown method', JSON.stringify({ id: 14, jsonrpc: '2.0', method: 'irn_teleport', params: {} }), -32601],
    ['unknown method, string id', JSON.stringify({ id: '1234567890123456789', jsonrpc: '2.0', method: 'eth_call',
      params: {} }), -32601],
    ['a message over --max-message-bytes', JSON.stringify({ id: 15, jsonrpc: '2.0', method: 'irn_publish',
      params: { topic: 'ab', message: 'x'.repeat(MAX_FRAME / 2 + 1), ttl: 300 } }), -32000],
  ];
  for (const [what, frame, code] of cases) {
    const answer = await refused(c, frame);
    assert.ok([code].flat().includes(answer.error.code), `${what}: ${JSON.stringify(answer)}`);
    assert.equal(typeof answer.error.message, 'string');
    const sent = (() => { try { return JSON.parse(frame); } catch { return undefined; } })();
    if (sent && typeof sent.id === 'number') assert.equal(answer.id, sent.id, `${what}: same id`);
    if (sent && typeof sent.id === 'string') assert.equal(answer.id, sent.id, `${what}: same id, a string`);
  }
  // A response the relay did not ask for is ignored; the connection still works.
  c.send(JSON.stringify({ id: 999999, jsonrpc: '2.0', result: true }));
  c.send(JSON.stringify({ id: 999998, jsonrpc: '2.0', error: { code: 1, message: 'x' } }));
  assert.equal(typeof await c.subscribe(randomTopic()), 'string');
  await c.close();
});

test('a text frame with invalid UTF-8 closes with 1007', async () => {
  // ws will not send invalid UTF-8 as text: a hand-written client does.
  const frame = Buffer.concat([Buffer.from('{"id":1,"jsonrpc":"2.0","method":"irn_subscribe","params":{"topic":"'),
    Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
  const raw = await rawSocket(relay.url, await token(relay.url));
  raw.send(1, frame);
  const { code, reason } = await within(raw.closed, WAIT_MS, 'the close after invalid UTF-8');
  assert.equal(code, 1007, reason);
  // Invalid UTF-8 inside a JSON string that is otherwise well-formed, and an overlong encoding.
  for (const bad of [Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf4, 0x90, 0x80, 0x80])]) {
    const again = await rawSocket(relay.url, await token(relay.url));
    again.send(1, Buffer.concat([Buffer.from('{"id":2,"jsonrpc":"2.0","method":"irn_subscribe","params":{"topic":"a'),
      bad, Buffer.from('"}}')]));
    const closed = await within(again.closed, WAIT_MS, 'the close after invalid UTF-8');
    assert.equal(closed.code, 1007, `${bad.toString('hex')}: ${closed.code} ${closed.reason}`);
  }
});

test('publishes read together with a bad frame are answered before the close', async () => {
  const raw = await rawSocket(relay.url, await token(relay.url));
  const topic = randomTopic();
  raw.socket.cork();  // one write, so that the relay reads all four frames at once
  for (let id = 1; id <= 3; id++) {
    raw.send(1, Buffer.from(JSON.stringify({ id, jsonrpc: '2.0', method: 'irn_publish',
      params: { topic, message: `before the bad frame ${id}`, ttl: 300 } })));
  }
  raw.send(1, Buffer.from([0xc3, 0x28]));
  raw.socket.uncork();
  const { code } = await within(raw.closed, WAIT_MS, 'the close after invalid UTF-8');
  assert.equal(code, 1007);
  assert.deepEqual(raw.texts.map((text) => JSON.parse(text)).map(({ id, result }) => [id, result]),
    [[1, true], [2, true], [3, true]]);
});

test('a frame over --max-frame-bytes closes with 1009', async () => {
  const c = await Client.connect(relay.url);
  c.send(JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'irn_publish',
    params: { topic: 'ab', message: 'x'.repeat(MAX_FRAME), ttl: 300 } }));
  const { code } = await within(c.closed, WAIT_MS, 'the close after an oversized frame');
  assert.equal(code, 1009);
});

test('a binary frame is refused with a close code', async () => {
  const c = await Client.connect(relay.url);
  c.ws.send(Buffer.from('{"id":1,"jsonrpc":"2.0","method":"irn_subscribe","params":{"topic":"ab"}}'), { binary: true });
  const { code, reason } = await within(c.closed, WAIT_MS, 'the close after a binary frame');
  assert.equal(code, 1003, reason);
});

test('bad, expired and foreign-audience tokens close with 3000 and a reason', async () => {
  const key = keyPair();
  const good = await token(relay.url, { key });
  const [header, payload] = good.split('.');
  const forged = `${header}.${payload}.${Buffer.from(crypto.randomBytes(64)).toString('base64url')}`;
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    ['no token', `${relay.url}/`],
    ['garbage', `${relay.url}/?auth=not.a.jwt`],
    ['a forged signature', `${relay.url}/?auth=${forged}`],
    ['expired', `${relay.url}/?auth=${await token(relay.url, { iat: now - 7200, ttl: 3600 })}`],
    ['issued in the future', `${relay.url}/?auth=${await token(relay.url, { iat: now + 3600 })}`],
    ['valid for a year', `${relay.url}/?auth=${await token(relay.url, { ttl: 365 * 86400 })}`],
    ['another audience', `${relay.url}/?auth=${await token('wss://relay.walletconnect.org')}`],
    ['another port', `${relay.url}/?auth=${await token(`ws://127.0.0.1:${relay.port === 1 ? 2 : relay.port - 1}`)}`],
  ];
  for (const [what, url] of cases) {
    const c = await Client.connect(null, { rawUrl: url });
    const { code, reason } = await within(c.closed, WAIT_MS, `the close for ${what}`);
    assert.equal(code, 3000, `${what}: ${code} ${reason}`);
    assert.ok(reason.length > 0, `${what}: a reason`);
  }
  // The good one works, by query parameter and as a Bearer header.
  const ok = await Client.connect(null, { rawUrl: `${relay.url}/?auth=${good}` });
  assert.equal(typeof await ok.subscribe(randomTopic()), 'string');
  await ok.close();
  const bearer = await Client.connect(null, { rawUrl: `${relay.url}/`, headers: { Authorization: `Bearer ${good}` } });
  assert.equal(typeof await bearer.subscribe(randomTopic()), 'string');
  await bearer.close();
  const m = await relay.metrics();
  assert.ok(m['keylink_relay_errors_total{kind="auth"}'] >= cases.length);
});

test('10,000 subscriptions from one client: the subscription limit past --max-subscriptions', async () => {
  const c = await Client.connect(relay.url);
  const answers = await Promise.all(Array.from({ length: 10000 }, (_, i) =>
    c.call('irn_subscribe', { topic: `t-${i}-${'0'.repeat(40)}` }, 60000)));
  const ok = answers.filter((a) => typeof a.result === 'string');
  const refusedAnswers = answers.filter((a) => a.error);
  assert.equal(ok.length, MAX_SUBSCRIPTIONS);
  assert.equal(refusedAnswers.length, 10000 - MAX_SUBSCRIPTIONS);
  for (const a of refusedAnswers) {
    assert.equal(a.error.code, -32000);
    assert.match(a.error.message, /subscription limit/);
  }
  // A batch past the limit too, and the connection still serves requests.
  const batch = await c.call('irn_batchSubscribe', { topics: Array.from({ length: 500 }, (_, i) => `b-${i}`) });
  assert.ok(batch.error);
  assert.equal(c.ws.readyState, 1);
  const m = await relay.metrics();
  assert.ok(m['keylink_relay_errors_total{kind="subscription_limit"}'] >= 10000 - MAX_SUBSCRIPTIONS);
  await c.close();
});

test('raw TCP garbage and an HTTP request that is not an upgrade', async () => {
  await within(new Promise((resolve) => {
    const socket = net.connect(relay.port, '127.0.0.1', () => socket.end('\x00\x01garbage\r\n\r\n'));
    socket.on('error', resolve);
    socket.on('close', resolve);
    socket.resume();
  }), WAIT_MS, 'the relay closing a garbage connection');
  const notFound = await relay.get('/nothing-here');
  assert.equal(notFound.status, 404);
});

test('another client kept publishing and receiving throughout; /health answers', async (t) => {
  const count = await bystander.finish();
  t.diagnostic(`bystander: ${count} messages published and received while the bad input went on`);
  const health = await relay.get('/health');
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'ok');
  await bystander.sender.close();
  await bystander.receiver.close();
});
