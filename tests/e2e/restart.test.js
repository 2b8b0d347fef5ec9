'use strict';
// A graceful restart keeps the mailbox: messages published before it reach, after it, every client that
// had not acked them (whether they had been delivered or not), and not one that had, nor their publisher.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, until, keyPair, randomTopic } = require('./client');

const WAIT_MS = 30000;

test('messages published before a graceful restart are delivered after it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-restart-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = ['--store', `sqlite:${dir}/r.db`];
  let relay = await Relay.start(args);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));
  const topic = randomTopic();
  const keys = { silent: keyPair(), half: keyPair(), all: keyPair(), offline: keyPair(), publisher: keyPair() };

  // silent: gets every delivery, acks none. half: acks the first 10. all: acks everything.
  // offline: subscribed once, then gone before anything was published.
  const silent = await Client.connect(relay.url, { key: keys.silent, autoAck: false });
  const half = await Client.connect(relay.url, { key: keys.half, autoAck: false });
  half.listeners.add((d) => { if (Number(d.message.slice(2)) < 10) half.ack(d); });
  const all = await Client.connect(relay.url, { key: keys.all });
  const offline = await Client.connect(relay.url, { key: keys.offline });
  for (const c of [silent, half, all, offline]) await c.subscribe(topic);
  await offline.close();

  const pub = await Client.connect(relay.url, { key: keys.publisher });
  const messages = Array.from({ length: 20 }, (_, i) => `r-${i}`);
  for (const m of messages) assert.equal(await pub.publish(topic, m, { ttl: 3600 }), true);
  for (const c of [silent, half, all]) {
    await until(() => c.received(topic).length === messages.length, WAIT_MS, 'the first deliveries');
  }
  await until(async () => (await relay.metrics()).keylink_relay_acks_total === 10 + 20, WAIT_MS, 'the acks taken');

  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
  relay = await Relay.start(args);
  assert.equal((await relay.metrics()).keylink_relay_stored_messages, 20, 'the mailbox reloaded');

  const after = {};
  for (const name of ['silent', 'half', 'all', 'offline', 'publisher']) {
    after[name] = await Client.connect(relay.url, { key: keys[name] });
    await after[name].subscribe(topic);
  }
  const fresh = await Client.connect(relay.url);  // never subscribed before: the topic's mailbox is its too
  await fresh.subscribe(topic);
  const expect = { silent: messages, half: messages.slice(10), offline: messages, fresh: messages };
  after.fresh = fresh;
  for (const [name, wanted] of Object.entries(expect)) {
    await until(() => after[name].received(topic).length >= wanted.length, WAIT_MS, `${name}'s messages`);
  }
  // Everything redelivered has been acked now: wait for that, then nothing more may be on its way.
  await until(async () => {
    const m = await relay.metrics();
    return m.keylink_relay_deliveries_total === m.keylink_relay_acks_total;
  }, WAIT_MS, 'every redelivery acked');
  for (const [name, wanted] of Object.entries(expect)) {
    assert.deepEqual(after[name].received(topic).map((d) => d.message), wanted, name);
  }
  assert.deepEqual(after.all.received(topic), [], 'all had acked everything');
  assert.deepEqual(after.publisher.received(topic), [], 'a publisher never gets its own messages back');
  for (const c of Object.values(after)) await c.close();
  assert.equal((await relay.stop('SIGTERM')).code, 0, relay.log());
});
