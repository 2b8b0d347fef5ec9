'use strict';
// keylink-relay as a cluster (--cluster): three relay nodes on a real three-server NATS cluster with
// JetStream (nats_cluster.js), all on loopback. Clients on different nodes see one relay: delivery once
// and in order, acks and redelivery, keylink_query cursors, ttl and dedupe whichever node they use;
// ephemeral messages never reach JetStream's store and localOnly ones never leave their node; kill -9
// of a subscriber's node and of a NATS server lose nothing acknowledged; a node restarted with its name
// resumes; a node without NATS refuses publishes and says so on /health; --cluster-ca speaks TLS to NATS
// and checks its certificate.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, within, until, keyPair, randomTopic, publisher, makeCertificates } = require('./client');
const { NatsCluster, freePorts } = require('./nats_cluster');

const NODES = ['relay-1', 'relay-2', 'relay-3'];
const WAIT_MS = 60000;  // bound on each wait; the machine may be busy
const SETTLE_MS = 500;  // how long a message that must not arrive is given to arrive anyway

function tempDir(t, what) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `keylink-e2e-cluster-${what}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function startNode(cluster, index, extra = []) {
  const name = NODES[index];
  return Relay.start(['--cluster', cluster.urls(name), '--node', name, '--publish-rate', '0', '--min-ttl', '1',
    ...extra], { timeoutMs: WAIT_MS });
}

// Every file under the NATS servers' JetStream stores that holds `text`.
function storeFilesHolding(cluster, text) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (fs.readFileSync(file).includes(text)) found.push(file);
    }
  };
  for (const server of cluster.servers) walk(server.storeDir);
  return found;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const messagesOf = (client, topic) => client.received(topic).map((d) => d.message);

// One cluster and three nodes for the tests that do not kill anything.
let shared;

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-cluster-'));
  const cluster = await NatsCluster.start({ dir, users: NODES });
  const relays = [];
  for (let i = 0; i < NODES.length; i++) relays.push(await startNode(cluster, i));
  shared = { dir, cluster, relays };
});

after(async () => {
  if (!shared) return;
  for (const relay of shared.relays) {
    const { code } = await relay.stop('SIGTERM');
    assert.equal(code, 0, relay.log());
  }
  await shared.cluster.stop();
  fs.rmSync(shared.dir, { recursive: true, force: true });
});

test('a publish on one node reaches subscribers on the others once, in order', async () => {
  const [one, two, three] = shared.relays;
  const topic = randomTopic();
  const subs = [await Client.connect(two.url), await Client.connect(three.url)];
  for (const sub of subs) await sub.subscribe(topic);
  const pub = await Client.connect(one.url);
  await pub.subscribe(topic);  // the publisher never gets its own messages back
  const expected = Array.from({ length: 200 }, (_, i) => `m-${i}`);
  await Promise.all(expected.map((message) => pub.publish(topic, message)));  // pipelined, in order
  // As on a node alone, a publish is answered once its node keeps it: the history has it at once.
  const { messages } = await pub.request('keylink_query', { topic, limit: 200 });
  assert.deepEqual(messages.map((m) => m.message), expected);
  for (const sub of subs) {
    await until(() => sub.received(topic).length >= expected.length, WAIT_MS, '200 deliveries');
  }
  await sleep(SETTLE_MS);
  for (const sub of subs) assert.deepEqual(messagesOf(sub, topic), expected);
  assert.deepEqual(messagesOf(pub, topic), []);
  const metrics = await two.metrics();
  assert.equal(metrics.keylink_relay_cluster_connected, 1);
  assert.ok(metrics.keylink_relay_cluster_received_messages_total >= 200);
  for (const client of [...subs, pub]) await client.close();
});

test('acks, redelivery and dedupe hold whichever node a client uses', async () => {
  const [one, two, three] = shared.relays;
  const topic = randomTopic();
  const key = keyPair();
  const pub = await Client.connect(one.url);
  for (let i = 0; i < 6; i++) await pub.publish(topic, `m-${i}`);
  // The same message again on another node: kept and delivered once.
  const again = await Client.connect(three.url);
  assert.equal(await again.publish(topic, 'm-5'), true);
  await again.close();

  // On node 2 the subscriber acknowledges three of them, then goes.
  const first = await Client.connect(two.url, { key, autoAck: false });
  await first.subscribe(topic);
  await until(() => first.deliveries.length >= 6, WAIT_MS, 'six deliveries');
  await sleep(SETTLE_MS);
  assert.deepEqual(first.deliveries.map((d) => d.message), ['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5']);
  for (const delivery of first.deliveries.slice(0, 3)) first.ack(delivery);
  // An ack reaches the other nodes through the stream, a few ms later: a client that moves sooner may
  // be sent again what it just acknowledged (at least once, as WalletConnect clients expect).
  await until(async () => (await three.metrics()).keylink_relay_cluster_received_acks_total >= 3, WAIT_MS,
    'node 3 to have read the acks made on node 2');
  await first.close();

  // On node 3 it gets what it did not acknowledge, and the rest through irn_fetchMessages on node 1.
  const second = await Client.connect(three.url, { key, autoAck: false });
  await second.subscribe(topic);
  await until(() => second.deliveries.length >= 3, WAIT_MS, 'three redeliveries');
  await sleep(SETTLE_MS);
  assert.deepEqual(second.deliveries.map((d) => d.message), ['m-3', 'm-4', 'm-5']);
  second.ack(second.deliveries[0]);
  await until(async () => (await three.metrics()).keylink_relay_cluster_published_acks_total >= 1, WAIT_MS,
    'node 3 to have put the ack in JetStream');
  await second.close();
  const third = await Client.connect(one.url, { key });
  await until(async () => {
    const { messages } = await third.request('irn_fetchMessages', { topic });
    return messages.length === 2 && messages.map((m) => m.message).join() === 'm-4,m-5';
  }, WAIT_MS, 'node 1 to know of the ack made on node 3');
  await third.close();
  await pub.close();
});

test('keylink_query pages and cursors mean the same on every node; ttl ends on all of them', async () => {
  const [one, two, three] = shared.relays;
  const topic = randomTopic();
  const pub = await Client.connect(one.url);
  for (let i = 0; i < 10; i++) await pub.publish(topic, `h-${i}`, { ttl: 3600 });
  await pub.publish(topic, 'short-lived', { ttl: 1 });
  const readers = [await Client.connect(one.url), await Client.connect(two.url), await Client.connect(three.url)];
  await until(async () => {
    const pages = await Promise.all(readers.map((r) => r.request('keylink_query', { topic, limit: 20 })));
    return pages.every((p) => p.messages.length === 11);
  }, WAIT_MS, 'every node to hold the history');
  // Pages of 4, each asked of the next node, following the cursors both ways.
  for (const direction of ['asc', 'desc']) {
    const seen = [];
    let cursor;
    for (let page = 0; page < 10; page++) {
      const reader = readers[page % readers.length];
      const answer = await reader.request('keylink_query', { topic, limit: 4, direction, ...(cursor ? { cursor } : {}) });
      seen.push(...answer.messages.map((m) => m.message));
      cursor = answer.cursor;
      if (cursor === undefined) break;
    }
    const all = [...Array.from({ length: 10 }, (_, i) => `h-${i}`), 'short-lived'];
    assert.deepEqual(seen, direction === 'asc' ? all : all.reverse(), direction);
  }
  await sleep(1500);  // the 1 s ttl ends on every node
  for (const reader of readers) {
    const { messages } = await reader.request('keylink_query', { topic, limit: 20 });
    assert.equal(messages.length, 10);
    assert.ok(!messages.some((m) => m.message === 'short-lived'));
  }
  for (const client of [...readers, pub]) await client.close();
});

test('ephemeral messages reach live subscribers on every node and never JetStream; localOnly never leaves its node', async () => {
  const [one, two] = shared.relays;
  const topic = randomTopic();
  const here = await Client.connect(one.url);
  const there = await Client.connect(two.url);
  for (const sub of [here, there]) await sub.subscribe(topic);
  const pub = await Client.connect(one.url);
  const mark = crypto.randomBytes(8).toString('hex');
  const ephemeral = `ephemeral-${mark}`, localEphemeral = `local-ephemeral-${mark}`, localKept = `local-kept-${mark}`;
  const kept = `kept-${mark}`;
  await pub.publish(topic, ephemeral, { ephemeral: true });
  await pub.publish(topic, localEphemeral, { ephemeral: true, localOnly: true });
  await pub.publish(topic, localKept, { localOnly: true });
  await pub.publish(topic, kept);
  await until(() => messagesOf(here, topic).length >= 4 && messagesOf(there, topic).length >= 2, WAIT_MS,
    'the deliveries');
  await sleep(SETTLE_MS);
  assert.deepEqual(messagesOf(here, topic), [ephemeral, localEphemeral, localKept, kept]);
  assert.deepEqual(messagesOf(there, topic), [ephemeral, kept]);

  // On disk: the kept message is in JetStream's store (so the search can find a message there), the
  // others are not, on any server.
  await until(() => storeFilesHolding(shared.cluster, kept).length > 0, WAIT_MS, 'the kept message on disk');
  for (const text of [ephemeral, localEphemeral, localKept]) {
    assert.deepEqual(storeFilesHolding(shared.cluster, text), [], `${text} in JetStream's store`);
  }
  // A subscriber that comes later gets only what was kept: the localOnly one only on its node.
  const laterHere = await Client.connect(one.url);
  const laterThere = await Client.connect(two.url);
  for (const sub of [laterHere, laterThere]) await sub.subscribe(topic);
  await until(() => messagesOf(laterHere, topic).length >= 2 && messagesOf(laterThere, topic).length >= 1, WAIT_MS,
    'the kept messages');
  await sleep(SETTLE_MS);
  assert.deepEqual(messagesOf(laterHere, topic), [localKept, kept]);
  assert.deepEqual(messagesOf(laterThere, topic), [kept]);
  for (const client of [here, there, pub, laterHere, laterThere]) await client.close();
});

test('a node restarted with its name resumes with what was published while it was away', async () => {
  const topic = randomTopic();
  const key = keyPair();
  const sub = await Client.connect(shared.relays[1].url, { key });
  await sub.subscribe(topic);
  await sub.close();
  const { code } = await shared.relays[1].stop('SIGTERM');
  assert.equal(code, 0);
  const pub = await Client.connect(shared.relays[0].url);
  for (let i = 0; i < 5; i++) await pub.publish(topic, `away-${i}`);
  shared.relays[1] = await startNode(shared.cluster, 1);
  const health = await shared.relays[1].get('/health');
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.body).cluster, { node: 'relay-2', nats: 'connected' });
  const back = await Client.connect(shared.relays[1].url, { key });
  await back.subscribe(topic);
  await until(() => back.deliveries.length >= 5, WAIT_MS, 'what was published while the node was away');
  assert.deepEqual(messagesOf(back, topic), ['away-0', 'away-1', 'away-2', 'away-3', 'away-4']);
  await back.close();
  await pub.close();
});

// kill -9 while a publisher on node 1 is mid-stream, then the subscriber goes on from node 3: every
// publish answered `true` reaches it, and nothing it acknowledged before the kill comes again.
async function killMidStream(t, kill) {
  const dir = tempDir(t, 'kill');
  const cluster = await NatsCluster.start({ dir, users: NODES });
  t.after(() => cluster.stop());
  const relays = [];
  for (let i = 0; i < NODES.length; i++) relays.push(await startNode(cluster, i));
  t.after(() => Promise.all(relays.map((relay) => relay.stop('SIGKILL').catch(() => {}))));
  const topic = randomTopic();
  const subscriberKey = keyPair();
  const FIRST = 1000;

  const sub = await Client.connect(relays[1].url, { key: subscriberKey, autoAck: false });
  const ackedBefore = new Set();
  let acking = true;
  sub.listeners.add((delivery) => {
    if (acking && !ackedBefore.has(delivery.message)) {
      ackedBefore.add(delivery.message);
      sub.ack(delivery);
    }
  });
  await sub.subscribe(topic);
  const pubClient = await Client.connect(relays[0].url);
  let stop = false;
  const pub = publisher(pubClient, topic, { until: () => stop, fastFirst: FIRST, max: 20000, waitMs: WAIT_MS });
  await until(() => ackedBefore.size >= FIRST, WAIT_MS, `${FIRST} deliveries acknowledged`);
  acking = false;
  const acked = ackedBefore.size;
  // A client cannot know when its ack is kept: wait until node 2 has put every ack in JetStream.
  await until(async () => (await relays[1].metrics()).keylink_relay_cluster_published_acks_total >= acked, WAIT_MS,
    `node 2 to put ${acked} acks in JetStream`);
  await until(() => pub.inFlight > 0, WAIT_MS, 'a publish in flight');
  const what = await kill({ cluster, relays });
  await sleep(2000);  // the publisher goes on through the kill
  stop = true;
  await within(pub.done, WAIT_MS, 'the publisher to stop');
  const firstRun = sub.deliveries.map((d) => d.message);
  t.diagnostic(`${what}: ${pub.published} published, ${pub.confirmed.size} answered true, ${pub.failures} refused, ` +
    `${pub.unanswered} unanswered; the subscriber got ${firstRun.length} and acknowledged ${acked}`);
  assert.ok(pub.confirmed.size > FIRST);

  // The subscriber goes on from node 3 with the same key.
  await sub.close();
  const again = await Client.connect(relays[2].url, { key: subscriberKey });
  const redelivered = [];
  again.listeners.add((delivery) => {
    assert.ok(!ackedBefore.has(delivery.message), `${delivery.message} was acknowledged before the kill and came again`);
    redelivered.push(delivery.message);
  });
  await again.subscribe(topic);
  const seen = new Set(firstRun);
  const missing = () => {
    for (const m of redelivered) seen.add(m);
    return [...pub.confirmed].filter((n) => !seen.has(`m-${n}`));
  };
  try {
    await until(() => missing().length === 0, WAIT_MS, 'every message answered true');
  } catch (error) {
    const lost = missing();
    error.message += `: ${lost.length} confirmed messages never arrived, e.g. ${lost.slice(0, 10).map((n) => `m-${n}`)}`;
    throw error;
  }
  await sleep(SETTLE_MS);
  assert.equal(new Set(redelivered).size, redelivered.length, 'no message delivered twice from node 3');
  t.diagnostic(`${what}: ${redelivered.length} redelivered from node 3`);
  await again.close();
  await pubClient.close();
}

test('kill -9 of the subscriber\'s relay node mid-stream loses nothing acknowledged', (t) =>
  killMidStream(t, async ({ relays }) => {
    const { signal } = await relays[1].stop('SIGKILL');
    assert.equal(signal, 'SIGKILL');
    return 'relay node 2 killed';
  }));

test('kill -9 of a NATS server mid-stream loses nothing acknowledged', (t) =>
  killMidStream(t, async ({ cluster }) => {
    await cluster.kill(0, 'SIGKILL');
    return 'nats-server n1 killed';
  }));

test('a node that cannot reach NATS refuses publishes and says so; it takes them again once NATS is back', async (t) => {
  const dir = tempDir(t, 'down');
  const cluster = await NatsCluster.start({ dir, users: NODES });
  t.after(() => cluster.stop());
  const relay = await startNode(cluster, 0);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));
  const client = await Client.connect(relay.url);
  const topic = randomTopic();
  assert.equal(await client.publish(topic, 'before'), true);

  for (let i = 0; i < 3; i++) await cluster.kill(i, 'SIGKILL');
  await until(async () => (await relay.get('/health')).status === 503, WAIT_MS, '/health to say 503');
  const health = JSON.parse((await relay.get('/health')).body);
  assert.equal(health.status, 'unavailable');
  assert.deepEqual(health.cluster, { node: 'relay-1', nats: 'disconnected' });
  const refused = await client.call('irn_publish', { topic, message: 'while-down', ttl: 300, tag: 0 });
  assert.ok(refused.error, JSON.stringify(refused));
  assert.match(refused.error.message, /not connected to NATS/);

  await cluster.restart([0, 1, 2], WAIT_MS, { ready: false });
  await until(async () => (await relay.get('/health')).status === 200, WAIT_MS, '/health to say 200 again');
  await until(async () => (await client.call('irn_publish', { topic, message: 'after', ttl: 300, tag: 0 })).result === true,
    WAIT_MS, 'a publish to be taken again');
  // Its consumer of the stream comes back within a few heartbeats (1 s each).
  await until(async () => (await client.request('keylink_query', { topic })).messages.length === 2, WAIT_MS,
    'the publish made after NATS came back in the history');
  const { messages } = await client.request('keylink_query', { topic });
  assert.deepEqual(messages.map((m) => m.message), ['before', 'after']);
  assert.ok((await relay.metrics()).keylink_relay_cluster_reconnections_total >= 1);
  await client.close();
});

test('a node refuses to start when no NATS server answers, and says which', async () => {
  const [port] = await freePorts(1);
  await assert.rejects(
    Relay.start(['--cluster', `nats://relay:secret@127.0.0.1:${port}`, '--node', 'lonely'], { timeoutMs: WAIT_MS }),
    (error) => {
      assert.match(error.message, new RegExp(`cannot connect to NATS at nats://relay:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
      assert.ok(!error.message.includes('secret'), 'the password is not shown');
      return true;
    });
});

test('a node talks to NATS over TLS with --cluster-ca, and refuses to start on a server it cannot check', async (t) => {
  const dir = tempDir(t, 'tls');
  const { ca, cert, key } = makeCertificates(dir);
  const other = makeCertificates(fs.mkdtempSync(path.join(dir, 'other-')));  // a CA that signed nothing here
  const [port] = await freePorts(1);
  const password = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(path.join(dir, 'nats.conf'), `listen: "127.0.0.1:${port}"
tls { cert_file: "${cert}", key_file: "${key}" }
jetstream { store_dir: "${path.join(dir, 'store')}" }
authorization { users: [ { user: "relay-1", password: "${password}" } ] }
`);
  const nats = spawn(process.env.KEYLINK_NATS_SERVER || 'nats-server', ['-c', path.join(dir, 'nats.conf')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => nats.kill('SIGKILL'));
  let natsLog = '';
  await within(new Promise((resolve) => {
    const read = (chunk) => {
      natsLog += chunk;
      if (natsLog.includes('Server is ready')) resolve();
    };
    nats.stdout.on('data', read);
    nats.stderr.on('data', read);
  }), WAIT_MS, 'nats-server with TLS to start');

  const url = `nats://relay-1:${password}@127.0.0.1:${port}`;
  const start = (extra) => Relay.start(['--cluster', url, '--node', 'relay-1', '--cluster-replicas', '1', ...extra],
    { timeoutMs: WAIT_MS });
  await assert.rejects(start(['--cluster-ca', other.ca]), /cannot connect to NATS/, 'a server its CA did not sign');
  const relay = await start(['--cluster-ca', ca]);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));
  const topic = randomTopic();
  const sub = await Client.connect(relay.url);
  await sub.subscribe(topic);
  const pub = await Client.connect(relay.url);
  assert.equal(await pub.publish(topic, 'over TLS'), true);
  await until(() => sub.received(topic).length === 1, WAIT_MS, 'the delivery');
  assert.equal(sub.received(topic)[0].message, 'over TLS');
  for (const client of [sub, pub]) await client.close();
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
});
