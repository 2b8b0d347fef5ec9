'use strict';
// The WalletConnect flow between two real @walletconnect/sign-client 2.25.0 clients, a dApp and a
// wallet, offline, through keylink-relay: connect, pair, proposal, approval, session, a personal_sign
// request and its response, session and pairing pings, and a disconnect that reaches the other side.
// Each step is a function that waits (bounded by STEP_MS) until the other side saw it. Shared by
// sign_client_relay.test.js (both clients on one relay) and sign_client_cluster.test.js (each on its own
// node of a relay cluster). KEYLINK_WC_LOG=debug prints the clients' logs (pino) to stderr.
const assert = require('node:assert/strict');
const { SignClient } = require('@walletconnect/sign-client');
const { within } = require('./relay_process');

const STEP_MS = 20000;  // a bound on each step, so that a hang fails instead of hanging
const ACCOUNT = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const CHAIN = 'eip155:1';

// A SignClient named `name` (the dApp or the wallet) on the relay at relayUrl, pushed onto `clients` for
// closeClients().
async function makeClient(name, relayUrl, clients) {
  const client = await within(SignClient.init({
    projectId: 'keylink-interop',
    relayUrl,
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

// Stops what would keep node alive after the test. Before the relays stop: a client that loses its
// relay reconnects.
async function closeClients(clients) {
  for (const client of clients) {
    client.core.heartbeat.stop();  // its interval would keep node alive after the test
    try {
      await within(client.core.relayer.transportClose(), 5000, 'closing a client');
    } catch { /* the relay goes next anyway */ }
  }
}

function once(emitter, event, what) {
  return within(new Promise((resolve) => emitter.once(event, resolve)), STEP_MS, what);
}

// connect and pair: the dApp makes the pairing URI and sends the proposal (wc_proposeSession) on the
// pairing topic; the wallet subscribes to it and the proposal, waiting there, arrives. Returns
// {proposal, approval}: approval() resolves with the dApp's session.
async function propose(dapp, wallet) {
  const { uri, approval } = await within(dapp.connect({
    // 2.25 moves requiredNamespaces into optionalNamespaces (and warns); ask there directly.
    optionalNamespaces: { eip155: { chains: [CHAIN], methods: ['personal_sign'], events: ['accountsChanged'] } },
  }), STEP_MS, 'dapp.connect');
  assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);

  const proposalArrived = once(wallet, 'session_proposal', 'the proposal at the wallet');
  await within(wallet.pair({ uri }), STEP_MS, 'wallet.pair');
  const proposal = await proposalArrived;
  assert.deepEqual(proposal.params.optionalNamespaces.eip155.methods, ['personal_sign']);
  return { proposal, approval };
}

// approve (wc_approveSession): the dApp gets the session and acknowledges the settlement. Returns the
// dApp's session.
async function approve(dapp, wallet, { proposal, approval }) {
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
  return session;
}

// A session request (personal_sign) and the wallet's response.
async function signRequest(dapp, wallet, session) {
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
}

// The session ping, both ways (wc_sessionPing): each resolves once the peer answered.
async function pingSession(dapp, wallet, session) {
  const pinged = once(wallet, 'session_ping', 'the ping at the wallet');
  await within(dapp.ping({ topic: session.topic }), STEP_MS, 'dapp.ping');
  await pinged;
  await within(wallet.ping({ topic: session.topic }), STEP_MS, 'wallet.ping');
}

// The pairing ping (wc_pairingPing, which sign-client publishes with a ttl of 30 s): resolves once the
// wallet answered.
async function pingPairing(dapp, wallet, session) {
  const pairingPinged = once(wallet.core.pairing.events, 'pairing_ping', 'the pairing ping at the wallet');
  await within(dapp.core.pairing.ping({ topic: session.pairingTopic }), STEP_MS, 'dapp.core.pairing.ping');
  assert.equal((await pairingPinged).topic, session.pairingTopic);
}

// A disconnect from the wallet side reaches the dApp (wc_sessionDelete); neither keeps the session.
async function disconnect(dapp, wallet, session) {
  const deleted = once(dapp, 'session_delete', 'session_delete at the dApp');
  await within(wallet.disconnect({ topic: session.topic, reason: { code: 6000, message: 'User disconnected.' } }),
    STEP_MS, 'wallet.disconnect');
  const event = await deleted;
  assert.equal(event.topic, session.topic);
  assert.equal(dapp.session.getAll().length, 0);
  assert.equal(wallet.session.getAll().length, 0);
}

// What a session is for, in order: a personal_sign request, pings of the session and of the pairing,
// and the wallet's disconnect.
async function useSession(dapp, wallet, session) {
  await signRequest(dapp, wallet, session);
  await pingSession(dapp, wallet, session);
  await pingPairing(dapp, wallet, session);
  await disconnect(dapp, wallet, session);
}

// The error of a failed step, with the last lines each relay printed and its /metrics. relays:
// {label: Relay}.
async function explain(error, relays) {
  for (const [label, relay] of Object.entries(relays)) {
    let metrics = '';
    try {
      metrics = (await relay.get('/metrics')).body;
    } catch (e) {
      metrics = `(no /metrics: ${e.message})`;
    }
    error.message += `\n--- ${label} output ---\n${relay.log().split('\n').slice(-60).join('\n')}` +
      `\n--- ${label} /metrics ---\n${metrics}`;
  }
  return error;
}

module.exports = {
  STEP_MS, makeClient, closeClients, propose, approve, useSession, explain,
};
