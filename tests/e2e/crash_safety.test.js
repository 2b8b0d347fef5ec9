'use strict';
// Crash safety: kill -9 keylink-relay while a publisher is mid-stream, restart it on the same SQLite
// store: every publish answered `true` reaches the subscriber (before the kill or after it resubscribes),
// and no message it acknowledged before the kill reaches it again. With --durability process and power.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, within, until, keyPair, randomTopic, publisher } = require('./client');

const FIRST_HALF = 2500;   // published (and delivered, and acknowledged) before the subscriber pauses
const MAX_TOTAL = 40000;   // a bound on the publisher, which runs until the kill
const WAIT_MS = 60000;     // bound on each wait; the machine may be busy

async function crashAndRecover(t, durability) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-crash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const args = ['--store', `sqlite:${dir}/r.db`, '--durability', durability, '--publish-rate', '0'];
  let relay = await Relay.start(args);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));
  const topic = randomTopic();
  const subscriberKey = keyPair();

  // The subscriber acknowledges the first FIRST_HALF deliveries, then stops acknowledging.
  const sub = await Client.connect(relay.url, { key: subscriberKey, autoAck: false });
  const ackedBeforeKill = new Set();
  sub.listeners.add((delivery) => {
    if (ackedBeforeKill.size < FIRST_HALF && !ackedBeforeKill.has(delivery.message)) {
      ackedBeforeKill.add(delivery.message);
      sub.ack(delivery);
    }
  });
  await sub.subscribe(topic);

  const pubClient = await Client.connect(relay.url);
  let killed = false;
  // The first half as fast as it goes; then paced (5 ms between publishes per window slot) so the
  // publisher is still publishing when the relay dies, whatever the speed of the store.
  const pub = publisher(pubClient, topic, { until: () => killed, fastFirst: FIRST_HALF, max: MAX_TOTAL, waitMs: WAIT_MS });
  await until(() => ackedBeforeKill.size >= FIRST_HALF, WAIT_MS, `${FIRST_HALF} deliveries acknowledged`);
  const acked = ackedBeforeKill.size;

  // Acks are group-committed and a client cannot know when its ack is durable: wait for the relay to
  // have taken every ack sent, then a second more for the journal.
  await until(async () => (await relay.metrics()).keylink_relay_acks_total === acked, WAIT_MS,
    `keylink_relay_acks_total to reach ${acked}`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  // Kill while publishes are on the wire: no I/O runs between this check and the kill.
  await until(() => pub.inFlight > 0, WAIT_MS, 'a publish in flight');
  const inFlightAtKill = pub.inFlight;
  assert.ok(pub.published < MAX_TOTAL, 'the publisher must still be publishing at the kill');
  killed = true;
  const { signal } = await relay.stop('SIGKILL');
  assert.equal(signal, 'SIGKILL');
  await within(pub.done, WAIT_MS, 'the publisher noticing the kill');
  await within(Promise.all([sub.closed, pubClient.closed]), WAIT_MS, 'the clients noticing the kill');
  const firstRun = sub.deliveries.map((d) => d.message);
  t.diagnostic(`${durability}: ${pub.published} published, ${pub.confirmed.size} answered true, ` +
    `${inFlightAtKill} in flight at the kill (${pub.unanswered} never answered), ${pub.failures} refused; subscriber got ${firstRun.length}, ` +
    `acked ${acked}`);
  assert.equal(pub.failures, 0, 'no publish refused');
  assert.ok(pub.confirmed.size > FIRST_HALF, 'thousands of publishes answered true');

  // Restart on the same file; the subscriber reconnects with the same key and resubscribes.
  relay = await Relay.start(args);
  const again = await Client.connect(relay.url, { key: subscriberKey, autoAck: true });
  const redelivered = [];
  again.listeners.add((delivery) => {
    assert.ok(!ackedBeforeKill.has(delivery.message),
      `${delivery.message} was acknowledged before the kill and arrived again`);
    redelivered.push(delivery.message);
  });
  await again.subscribe(topic);

  const seen = new Set([...firstRun, ...redelivered]);
  const missing = () => [...pub.confirmed].filter((n) => !seen.has(`m-${n}`));
  try {
    await until(() => {
      for (const m of redelivered) seen.add(m);
      return missing().length === 0;
    }, WAIT_MS, 'every message answered true');
  } catch (error) {
    const lost = missing();
    error.message += `: ${lost.length} confirmed messages never arrived, e.g. ${lost.slice(0, 10).map((n) => `m-${n}`)}`;
    throw error;
  }

  // Nothing of what was acknowledged comes back, not even later: wait until the restarted relay has
  // nothing in flight to this client, then ask for what is left in its mailbox.
  await until(async () => {
    const m = await relay.metrics();
    return m.keylink_relay_deliveries_total === m.keylink_relay_acks_total;
  }, WAIT_MS, 'every redelivery acknowledged');
  const rest = await again.request('irn_fetchMessages', { topic });
  const left = rest.messages.map((m) => m.message);
  for (const m of left) assert.ok(!ackedBeforeKill.has(m), `${m} was acknowledged before the kill and is still pending`);
  for (const m of redelivered) assert.ok(!ackedBeforeKill.has(m));
  assert.equal(new Set(redelivered).size, redelivered.length, 'no message delivered twice after the restart');
  t.diagnostic(`${durability}: after the restart ${redelivered.length} redelivered, ${left.length} more fetched`);

  await again.close();
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
}

test('kill -9 mid-stream, durability process', (t) => crashAndRecover(t, 'process'));
test('kill -9 mid-stream, durability power', (t) => crashAndRecover(t, 'power'));
