'use strict';
// SIGTERM drains: every connected client sees close 1001 and the process exits 0; what was published
// and answered before is kept (the store is flushed).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, within, randomTopic } = require('./client');

const WAIT_MS = 30000;

test('SIGTERM: clients see 1001, the relay exits 0', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-drain-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const relay = await Relay.start(['--store', `sqlite:${dir}/r.db`]);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));

  const topic = randomTopic();
  const clients = [];
  for (let i = 0; i < 5; i++) clients.push(await Client.connect(relay.url, { autoAck: i % 2 === 0 }));
  await clients[0].subscribe(topic);
  await clients[1].subscribe(topic);
  for (let i = 0; i < 10; i++) assert.equal(await clients[2].publish(topic, `before-${i}`), true);
  // One client mid-request at the signal: a stream of publishes it does not wait for.
  for (let i = 0; i < 50; i++) clients[3].send({ id: 1000 + i, jsonrpc: '2.0', method: 'irn_publish',
    params: { topic, message: `during-${i}`, ttl: 300, tag: 0 } });

  const { code, signal } = await relay.stop('SIGTERM', WAIT_MS);
  assert.equal(signal, null);
  assert.equal(code, 0, relay.log());
  for (const [i, c] of clients.entries()) {
    const closed = await within(c.closed, WAIT_MS, `client ${i} closed`);
    assert.equal(closed.code, 1001, `client ${i}: ${closed.code} ${closed.reason}`);
  }
  assert.match(relay.log(), /draining/);

  // Nothing accepts connections any more.
  await assert.rejects(Client.connect(relay.url, { timeoutMs: 5000 }));
});
