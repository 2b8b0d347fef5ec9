'use strict';
// Interop: keylink's dApp (the keylink CLI: `dapp connect`, `dapp request`, `sessions`) with the real
// @walletconnect/sign-client 2.25.0 as the wallet, through keylink-relay on loopback: the pairing URI,
// the proposal and its approval, a personal_sign that the JS wallet signs with a viem account (checked
// on both sides), a refusal that reaches the CLI's exit code, and a wallet disconnect that keylink's
// dApp learns on its next run.
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay KEYLINK_CLI=build/apps/keylink/keylink \
//     node --test interop/sign_client_dapp.test.js
// KEYLINK_WC_LOG=debug prints the JS client's logs (pino) to stderr.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SignClient } = require('@walletconnect/sign-client');
const { getSdkError } = require('@walletconnect/utils');
const { verifyMessage, toHex } = require('viem');
const { privateKeyToAccount, generatePrivateKey } = require('viem/accounts');
const { Relay, within } = require('./relay_process');
const { Home } = require('./keylink_cli');

const STEP_MS = 20000;  // a bound on each step, so that a hang fails instead of hanging
const CHAIN = 'eip155:1';
const REFUSAL = { code: 5000, message: 'User rejected.' };

let relay;
let wallet;
let dapp;  // the keylink CLI's home for the dApp
const account = privateKeyToAccount(generatePrivateKey());

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--min-ttl', '30', '--log-level', 'debug']);
  dapp = new Home('dapp', relay.url);
  wallet = await within(SignClient.init({
    projectId: 'keylink-interop',
    relayUrl: relay.url,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-jswallet-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: process.env.KEYLINK_WC_LOG || 'silent',
    metadata: { name: 'JS wallet', description: 'interop test', url: 'https://wallet.keylink.invalid', icons: [] },
  }), STEP_MS, 'SignClient.init');
  wallet.core.verify.resolve = async () => undefined;  // offline: no verify server
});

after(async () => {
  if (wallet) {
    wallet.core.heartbeat.stop();  // its interval would keep node alive after the test
    try {
      await within(wallet.core.relayer.transportClose(), 5000, 'closing the JS client');
    } catch { /* the relay goes next anyway */ }
  }
  if (dapp) await dapp.cleanup();
  if (relay) {
    const { code, signal } = await relay.stop('SIGTERM');
    assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
  }
});

function explain(error) {
  error.message += `\n${dapp ? dapp.log(error.message) : ''}` +
    `\n--- keylink-relay output ---\n${relay.log().split('\n').slice(-80).join('\n')}`;
  return error;
}

function once(emitter, event, what) {
  return within(new Promise((resolve) => emitter.once(event, resolve)), STEP_MS, what);
}

test('keylink dApp with a sign-client 2.25 wallet', async (t) => {
  // The JS wallet answers every request as `answer` says: sign (the default) or refuse.
  let answer = 'sign';
  const requests = [];
  const failures = [];
  wallet.on('session_request', async (event) => {
    requests.push(event);
    const { topic, id } = event;
    try {
      if (answer === 'refuse') {
        await wallet.respond({ topic, response: { id, jsonrpc: '2.0', error: REFUSAL } });
        return;
      }
      const [message] = event.params.request.params;
      const result = await account.signMessage({ message: { raw: message } });
      await wallet.respond({ topic, response: { id, jsonrpc: '2.0', result } });
    } catch (error) {
      failures.push(error);
    }
  });

  try {
    // keylink dapp connect: the URI on stdout line 1; the JS wallet pairs and gets the proposal.
    const connect = dapp.spawn(['dapp', 'connect', '--methods', 'personal_sign', '--timeout', '30']);
    const uri = await connect.nextLine(STEP_MS, 'the wc: URI from keylink dapp connect');
    assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);
    const proposalArrived = once(wallet, 'session_proposal', 'the proposal at the JS wallet');
    await within(wallet.pair({ uri }), STEP_MS, 'wallet.pair');
    const proposal = await proposalArrived;
    const asked = { ...proposal.params.requiredNamespaces, ...proposal.params.optionalNamespaces };
    assert.ok(asked.eip155, `no eip155 namespace in the proposal: ${JSON.stringify(proposal.params)}`);
    assert.ok(asked.eip155.methods.includes('personal_sign'), JSON.stringify(asked));
    assert.equal(proposal.params.proposer.metadata.name, 'keylink CLI dApp');

    // Approval: keylink's dApp prints `session <topic> <account>` and exits 0.
    const approved = await within(wallet.approve({
      id: proposal.id,
      namespaces: {
        eip155: { accounts: [`${CHAIN}:${account.address}`], methods: ['personal_sign'], events: [], chains: [CHAIN] },
      },
    }), STEP_MS, 'wallet.approve');
    const settled = await connect.nextLine(STEP_MS, 'the `session` line from keylink dapp connect');
    const match = /^session (\S+) (\S+)$/.exec(settled);
    assert.ok(match, `keylink dapp connect printed '${settled}'`);
    assert.equal(match[1], approved.topic);
    assert.equal(match[2].toLowerCase(), `${CHAIN}:${account.address}`.toLowerCase());
    await within(approved.acknowledged(), STEP_MS, 'keylink dapp acknowledging the settlement');
    const connected = await connect.wait(STEP_MS);
    assert.equal(connected.code, 0, connect.log());
    const topic = approved.topic;
    t.diagnostic(`session ${topic}`);

    // keylink dapp request personal_sign: the JS wallet signs; the CLI verifies and prints the signature.
    const text = 'hello from keylink';
    const signed = await dapp.run(['dapp', 'request', '--timeout', '20', 'personal_sign', text], STEP_MS + 5000);
    assert.equal(signed.code, 0, signed.log);
    assert.deepEqual(failures, []);
    assert.equal(requests.length, 1);
    const request = requests[0];
    assert.equal(request.topic, topic);
    assert.equal(request.params.chainId, CHAIN);
    assert.equal(request.params.request.method, 'personal_sign');
    assert.equal(request.params.request.params[0], toHex(text));
    assert.equal(request.params.request.params[1].toLowerCase(), account.address.toLowerCase());
    const signature = signed.stdout.trim();
    assert.equal(signature, await account.signMessage({ message: text }));
    assert.equal(await verifyMessage({ address: account.address, message: text, signature }), true);

    // The JS wallet refuses: keylink dapp request exits 1 with the wallet's code on stderr.
    answer = 'refuse';
    const refused = await dapp.run(['dapp', 'request', '--timeout', '20', 'personal_sign', 'please refuse'],
      STEP_MS + 5000);
    assert.equal(refused.code, 1, refused.log);
    assert.equal(refused.stdout, '', refused.log);
    assert.match(refused.stderr, new RegExp(`\\b${REFUSAL.code}\\b`), refused.log);
    assert.equal(requests.length, 2);
    assert.deepEqual(failures, []);
    answer = 'sign';

    // The JS wallet disconnects while keylink's dApp is not running: the delete waits in the relay's
    // mailbox, and keylink's dApp learns of it on its next run (a request, which the ended session fails).
    await within(wallet.disconnect({ topic, reason: getSdkError('USER_DISCONNECTED') }), STEP_MS, 'wallet.disconnect');
    const late = await dapp.run(['dapp', 'request', '--timeout', '15', 'personal_sign', 'after the disconnect'],
      STEP_MS + 5000);
    assert.equal(late.code, 1, late.log);
    t.diagnostic(`the request after the disconnect: ${late.stderr.split('\n').filter(Boolean).pop()}`);
    assert.equal(late.stdout, '', late.log);
    const listed = await dapp.run(['sessions', '--json'], STEP_MS);
    assert.equal(listed.code, 0, listed.log);
    const sessions = JSON.parse(listed.stdout);
    assert.ok(Array.isArray(sessions), listed.stdout);
    assert.deepEqual(sessions.filter((s) => s.topic === topic), [],
      `the session the JS wallet deleted is still listed:\n${listed.stdout}\n${late.log}`);
    assert.equal(requests.length, 2, 'the JS wallet got a request after its disconnect');
  } catch (error) {
    throw explain(error);
  }
});
