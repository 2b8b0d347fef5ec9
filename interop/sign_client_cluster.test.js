'use strict';
// Interop: the real @walletconnect/sign-client 2.25.0 across a keylink-relay cluster (--cluster): three
// relay nodes on a three-server NATS cluster with JetStream (tests/e2e/nats_cluster.js), all on
// loopback. The dApp's SignClient is on node 1, the wallet's on node 2, so every message of the flow of
// sign_client_flow.js (connect, pair, proposal, approval, session, a personal_sign request and its
// response, session and pairing pings, a disconnect that reaches the other side) crosses nodes through
// JetStream; the nodes' /metrics say so. Then the same flow with the dApp on node 3 and the wallet on
// node 1.
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay node --test interop/sign_client_cluster.test.js
// KEYLINK_WC_LOG=debug prints the clients' logs (pino) to stderr; KEYLINK_NATS_SERVER names nats-server.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, until } = require('./relay_process');
const { NatsCluster } = require('../tests/e2e/nats_cluster');
const flow = require('./sign_client_flow');

const NODES = ['relay-1', 'relay-2', 'relay-3'];
const START_MS = 60000;  // bound on starting the NATS cluster and each node; the machine may be busy

let dir;
let cluster;
const relays = [];
const clients = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-interop-cluster-'));
  cluster = await NatsCluster.start({ dir, users: NODES, timeoutMs: START_MS });
  for (const name of NODES) {
    relays.push(await Relay.start(['--cluster', cluster.urls(name), '--node', name, '--log-level', 'debug'],
      { timeoutMs: START_MS }));
  }
});

after(async () => {
  await flow.closeClients(clients);
  try {
    // Every node stops before any exit is asserted, so that a failed one leaves none running.
    const exits = await Promise.allSettled(relays.map((relay) => relay.stop('SIGTERM')));
    exits.forEach((exit, i) => {
      if (exit.status === 'rejected') throw exit.reason;
      const { code, signal } = exit.value;
      assert.equal(code, 0, `keylink-relay ${NODES[i]} exit (${signal || code}):\n${relays[i].log()}`);
    });
  } finally {
    if (cluster) await cluster.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Each node's /metrics, in the order of NODES.
const allMetrics = () => Promise.all(relays.map((relay) => relay.metrics()));

// A failed step's error with every node's output and /metrics, and the end of each NATS server's log.
async function explain(error) {
  await flow.explain(error, Object.fromEntries(NODES.map((name, i) => [name, relays[i]])));
  const natsTails = cluster.servers.map((server, i) =>
    `--- nats-server ${server.name} ---\n${cluster.log(i).split('\n').slice(-20).join('\n')}`);
  error.message += `\n${natsTails.join('\n')}`;
  return error;
}

test('sign-client 2.25 dApp on relay node 1 and wallet on relay node 2 of a keylink-relay cluster', async (t) => {
  const [one, two] = relays;
  const dapp = await flow.makeClient('dapp', one.url, clients);
  const wallet = await flow.makeClient('wallet', two.url, clients);
  try {
    // The proposal, published on node 1 to the pairing topic before anyone subscribed to it, reached
    // the wallet on node 2: from JetStream, as nothing else links the nodes.
    const proposed = await flow.propose(dapp, wallet);
    const [afterProposal1, afterProposal2] = await allMetrics();
    assert.ok(afterProposal1.keylink_relay_cluster_published_messages_total >= 1, 'node 1 put the proposal in JetStream');
    assert.ok(afterProposal2.keylink_relay_deliveries_total >= 1, 'node 2 delivered the proposal to the wallet');
    assert.ok(afterProposal2.keylink_relay_cluster_received_messages_total >= 1, 'node 2 read the proposal');

    const session = await flow.approve(dapp, wallet, proposed);
    t.diagnostic(`session ${session.topic}`);
    await checkCrossed(t);

    await flow.useSession(dapp, wallet, session);

    const metrics = await allMetrics();
    metrics.forEach((m, i) => {
      t.diagnostic(`${NODES[i]}: ${m.keylink_relay_publishes_total} publishes, ` +
        `${m.keylink_relay_deliveries_total} deliveries, ${m.keylink_relay_acks_total} acks; JetStream: ` +
        `${m.keylink_relay_cluster_published_messages_total} messages and ` +
        `${m.keylink_relay_cluster_published_acks_total} acks put, ` +
        `${m.keylink_relay_cluster_received_messages_total} messages and ` +
        `${m.keylink_relay_cluster_received_acks_total} acks read`);
      for (const [name, value] of Object.entries(m)) {
        if (name.startsWith('keylink_relay_errors_total')) t.diagnostic(`${NODES[i]} ${name} ${value}`);
      }
      assert.equal(m.keylink_relay_cluster_publish_failures_total, 0, `${NODES[i]} publish failures`);
      assert.equal(m.keylink_relay_cluster_malformed_total, 0, `${NODES[i]} malformed messages from NATS`);
    });
  } catch (error) {
    throw await explain(error);
  }
});

// Once the session is up: nodes 1 and 2 are connected to NATS and have read messages from JetStream;
// each read more than it put there, so it read the other's (node 3 has no clients yet); every node reads
// every node's messages, node 3 too.
async function checkCrossed(t) {
  let last;
  await until(async () => {
    last = await allMetrics();
    const [m1, m2] = last;
    const published = m1.keylink_relay_cluster_published_messages_total + m2.keylink_relay_cluster_published_messages_total;
    return last.every((m) => m.keylink_relay_cluster_received_messages_total === published);
  }, flow.STEP_MS, 'every node to read from JetStream what nodes 1 and 2 put there').catch((error) => {
    if (last) error.message += `: ${JSON.stringify(last.map(clusterCounters))}`;
    throw error;
  });
  const [m1, m2, m3] = last;
  t.diagnostic(`after the session: ${JSON.stringify(last.map(clusterCounters))}`);
  for (const [i, m] of [m1, m2].entries()) {
    assert.equal(m.keylink_relay_cluster_connected, 1, `${NODES[i]} keylink_relay_cluster_connected`);
    assert.ok(m.keylink_relay_cluster_received_messages_total > 0, `${NODES[i]} read no message from JetStream`);
    assert.ok(m.keylink_relay_cluster_published_messages_total > 0, `${NODES[i]} put no message in JetStream`);
    assert.ok(m.keylink_relay_cluster_received_messages_total > m.keylink_relay_cluster_published_messages_total,
      `${NODES[i]} read only its own messages from JetStream`);
    assert.ok(m.keylink_relay_deliveries_total > 0, `${NODES[i]} delivered nothing to its one client`);
  }
  assert.equal(m3.keylink_relay_cluster_connected, 1, 'relay-3 keylink_relay_cluster_connected');
  assert.equal(m3.keylink_relay_cluster_published_messages_total, 0, 'relay-3 has no client');
}

function clusterCounters(m) {
  return {
    publishes: m.keylink_relay_publishes_total,
    deliveries: m.keylink_relay_deliveries_total,
    put: m.keylink_relay_cluster_published_messages_total,
    read: m.keylink_relay_cluster_received_messages_total,
    connected: m.keylink_relay_cluster_connected,
  };
}

test('the same flow with the dApp on relay node 3 and the wallet on relay node 1', async (t) => {
  const [one, , three] = relays;
  const dapp = await flow.makeClient('dapp-3', three.url, clients);
  const wallet = await flow.makeClient('wallet-1', one.url, clients);
  try {
    const session = await flow.approve(dapp, wallet, await flow.propose(dapp, wallet));
    t.diagnostic(`session ${session.topic}`);
    await flow.useSession(dapp, wallet, session);
    const m3 = await three.metrics();
    assert.ok(m3.keylink_relay_deliveries_total > 0, 'relay-3 delivered nothing to the dApp');
    assert.ok(m3.keylink_relay_cluster_published_messages_total > 0, 'relay-3 put nothing in JetStream');
  } catch (error) {
    throw await explain(error);
  }
});
