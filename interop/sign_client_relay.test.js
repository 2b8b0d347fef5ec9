'use strict';
// Interop: the real @walletconnect/sign-client 2.25.0, as dApp and as wallet, offline, through
// keylink-relay on loopback: connect, pair, proposal, approval, session, a personal_sign request and
// its response, session and pairing pings, and a disconnect that reaches the other side (the steps of
// sign_client_flow.js).
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay node --test interop/sign_client_relay.test.js
// KEYLINK_WC_LOG=debug prints the clients' logs (pino) to stderr.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Relay } = require('./relay_process');
const flow = require('./sign_client_flow');

let relay;
const clients = [];

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--log-level', 'debug']);
});

after(async () => {
  await flow.closeClients(clients);
  if (relay) {
    const { code, signal } = await relay.stop('SIGTERM');
    assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
  }
});

test('sign-client 2.25 dApp and wallet through keylink-relay', async (t) => {
  const dapp = await flow.makeClient('dapp', relay.url, clients);
  const wallet = await flow.makeClient('wallet', relay.url, clients);
  try {
    const session = await flow.approve(dapp, wallet, await flow.propose(dapp, wallet));
    t.diagnostic(`session ${session.topic}`);
    await flow.useSession(dapp, wallet, session);

    const metrics = await relay.metrics();
    t.diagnostic(`relay: ${metrics.keylink_relay_publishes_total} publishes, ` +
      `${metrics.keylink_relay_deliveries_total} deliveries, ${metrics.keylink_relay_acks_total} acks`);
    for (const [name, value] of Object.entries(metrics)) {
      if (name.startsWith('keylink_relay_errors_total')) t.diagnostic(`relay ${name} ${value}`);
    }
  } catch (error) {
    throw await flow.explain(error, { 'keylink-relay': relay });
  }
});
