'use strict';
// Interop: the real @walletconnect/sign-client 2.25.0, as dApp and as wallet, offline, through
// keylink-relay on loopback: connect, pair, proposal, approval, session, a personal_sign request and
// its response, session and pairing pings, and a disconnect that reaches the other side.
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay node --test interop/sign_client_relay.test.js
// KEYLINK_WC_LOG=debug prints the clients' logs (pino) to stderr.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SignClient } = require('@walletconnect/sign-client');
const { Relay, within } = require('./relay_process');

const STEP_MS = 20000;  // a bound on each step, so that a hang fails instead of hanging
const ACCOUNT = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const CHAIN = 'eip155:1';

let relay;
const clients = [];

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--log-level', 'debug']);
});

after(async () => {
  for (const client of clients) {
    client.core.heartbeat.stop();  // its interval would keep node alive after the test
    try {
      await within(client.core.relayer.transportClose(), 5000, 'closing a client');
    } catch { /* the relay goes next anyway */ }
  }
  if (relay) {
    const { code, signal } = await relay.stop('SIGTERM');
    assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
  }
});

async function makeClient(name) {
  const client = await within(SignClient.init({
    projectId: 'keylink-interop',
    relayUrl: relay.url,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-${name}-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: process.env.KEYLINK_WC_LOG || 'silent',
    metadata: { name: `keylink ${name}`, description: 'interop test', url: 'https://keylink.invalid', icons: [] },
  }), STEP_MS, `SignClient.init (${name})`);
  // Offline: no verify server. Without this the wallet would call it on every proposal and request.
  client.core.verify.resolve = async () => undefined;
  clients.push(client);
  return client;
}

function once(emitter, event, what) {
  return within(new Promise((resolve) => emitter.once(event, resolve)), STEP_MS, what);
}

// What went wrong, with what the relay said, for a failed step.
async function explain(error) {
  let metrics = '';
  try {
    metrics = (await relay.get('/metrics')).body;
  } catch (e) {
    metrics = `(no /metrics: ${e.message})`;
  }
  error.message += `\n--- keylink-relay output ---\n${relay.log().split('\n').slice(-60).join('\n')}` +
    `\n--- /metrics ---\n${metrics}`;
  return error;
}

test('sign-client 2.25 dApp and wallet through keylink-relay', async (t) => {
  const dapp = await makeClient('dapp');
  const wallet = await makeClient('wallet');
  try {
    // connect: the dApp makes the pairing URI and sends the proposal (wc_proposeSession).
    const { uri, approval } = await within(dapp.connect({
      // 2.25 moves requiredNamespaces into optionalNamespaces (and warns); ask there directly.
      optionalNamespaces: { eip155: { chains: [CHAIN], methods: ['personal_sign'], events: ['accountsChanged'] } },
    }), STEP_MS, 'dapp.connect');
    assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);

    // pair: the wallet subscribes to the pairing topic; the proposal waits there.
    const proposalArrived = once(wallet, 'session_proposal', 'the proposal at the wallet');
    await within(wallet.pair({ uri }), STEP_MS, 'wallet.pair');
    const proposal = await proposalArrived;
    assert.deepEqual(proposal.params.optionalNamespaces.eip155.methods, ['personal_sign']);

    // approve (wc_approveSession): the dApp gets the session.
    const approved = await within(wallet.approve({
      id: proposal.id,
      namespaces: {
        eip155: { accounts: [`${CHAIN}:${ACCOUNT}`], methods: ['personal_sign'], events: ['accountsChanged'] },
      },
    }), STEP_MS, 'wallet.approve');
    const session = await within(approval(), STEP_MS, 'the session at the dApp');
    assert.equal(session.topic, approved.topic);
    assert.deepEqual(session.namespaces.eip155.accounts, [`${CHAIN}:${ACCOUNT}`]);
    await within(approved.acknowledged(), STEP_MS, 'the dApp acknowledging the settlement');
    t.diagnostic(`session ${session.topic}`);

    // a session request and its response.
    const signature = `0x${'ab'.repeat(65)}`;
    const requestArrived = once(wallet, 'session_request', 'the request at the wallet');
    const answer = dapp.request({
      topic: session.topic,
      chainId: CHAIN,
      request: { method: 'personal_sign', params: ['0x68656c6c6f', ACCOUNT] },
    });
    const request = await requestArrived;
    assert.equal(request.topic, session.topic);
    assert.equal(request.params.request.method, 'personal_sign');
    assert.deepEqual(request.params.request.params, ['0x68656c6c6f', ACCOUNT]);
    await within(wallet.respond({
      topic: request.topic,
      response: { id: request.id, jsonrpc: '2.0', result: signature },
    }), STEP_MS, 'wallet.respond');
    assert.equal(await within(answer, STEP_MS, 'the response at the dApp'), signature);

    // ping, both ways (wc_sessionPing): resolves once the peer answered.
    const pinged = once(wallet, 'session_ping', 'the ping at the wallet');
    await within(dapp.ping({ topic: session.topic }), STEP_MS, 'dapp.ping');
    await pinged;
    await within(wallet.ping({ topic: session.topic }), STEP_MS, 'wallet.ping');

    // the pairing ping (wc_pairingPing, which sign-client publishes with a ttl of 30 s): resolves once the
    // wallet answered.
    const pairingPinged = once(wallet.core.pairing.events, 'pairing_ping', 'the pairing ping at the wallet');
    await within(dapp.core.pairing.ping({ topic: session.pairingTopic }), STEP_MS, 'dapp.core.pairing.ping');
    assert.equal((await pairingPinged).topic, session.pairingTopic);

    // disconnect from the wallet side reaches the dApp (wc_sessionDelete).
    const deleted = once(dapp, 'session_delete', 'session_delete at the dApp');
    await within(wallet.disconnect({ topic: session.topic, reason: { code: 6000, message: 'User disconnected.' } }),
      STEP_MS, 'wallet.disconnect');
    const event = await deleted;
    assert.equal(event.topic, session.topic);
    assert.equal(dapp.session.getAll().length, 0);
    assert.equal(wallet.session.getAll().length, 0);

    const metrics = await relay.metrics();
    t.diagnostic(`relay: ${metrics.keylink_relay_publishes_total} publishes, ` +
      `${metrics.keylink_relay_deliveries_total} deliveries, ${metrics.keylink_relay_acks_total} acks`);
    for (const [name, value] of Object.entries(metrics)) {
      if (name.startsWith('keylink_relay_errors_total')) t.diagnostic(`relay ${name} ${value}`);
    }
  } catch (error) {
    throw await explain(error);
  }
});
