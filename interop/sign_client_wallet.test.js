'use strict';
// Interop: keylink's wallet (the keylink CLI: `wallet pair`, `wallet serve`, `sessions`) with the real
// @walletconnect/sign-client 2.25.0 as the dApp, through keylink-relay on loopback: pairing and approval,
// a personal_sign that viem verifies, ping, the refusals (a reserved text, a keylink_* method, a method
// outside the session), a disconnect that reaches the wallet, and a pairing URI used twice.
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay KEYLINK_CLI=build/apps/keylink/keylink \
//     node --test interop/sign_client_wallet.test.js
// KEYLINK_WC_LOG=debug prints the JS client's logs (pino) to stderr.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { SignClient } = require('@walletconnect/sign-client');
const { getSdkError } = require('@walletconnect/utils');
const { verifyMessage, toHex } = require('viem');
const { Relay, within } = require('./relay_process');
const { Home } = require('./keylink_cli');

const STEP_MS = 20000;  // a bound on each step, so that a hang fails instead of hanging
const CHAIN = 'eip155:1';
const DAPP_NAME = 'JS dApp\x1b[2J\u009b1m\u202e';
const DAPP_NAME_SHOWN = 'JS dApp\\x1b[2J\\u{9b}1m\\u{202e}';
// What a terminal would act on: none of it may reach the CLI's text output raw.
const RAW_CONTROLS = /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/u;

let relay;
let dapp;
let wallet;  // the keylink CLI's home for the wallet

before(async () => {
  relay = await Relay.start(['--store', 'memory', '--min-ttl', '30', '--log-level', 'debug']);
  wallet = new Home('wallet', relay.url);
  dapp = await within(SignClient.init({
    projectId: 'keylink-interop',
    relayUrl: relay.url,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-jsdapp-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: process.env.KEYLINK_WC_LOG || 'silent',
    // A name, description and url with escape sequences: keylink shows them escaped.
    metadata: {
      name: DAPP_NAME, description: 'interop test\x1b]0;owned\x07', url: 'https://dapp.keylink.invalid\u202e', icons: [],
    },
  }), STEP_MS, 'SignClient.init');
  dapp.core.verify.resolve = async () => undefined;  // offline: no verify server
});

after(async () => {
  if (dapp) {
    dapp.core.heartbeat.stop();  // its interval would keep node alive after the test
    try {
      await within(dapp.core.relayer.transportClose(), 5000, 'closing the JS client');
    } catch { /* the relay goes next anyway */ }
  }
  if (wallet) await wallet.cleanup();
  if (relay) {
    const { code, signal } = await relay.stop('SIGTERM');
    assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
  }
});

// What went wrong, with what the keylink processes and the relay printed.
function explain(error) {
  error.message += `\n${wallet ? wallet.log(error.message) : ''}` +
    `\n--- keylink-relay output ---\n${relay.log().split('\n').slice(-80).join('\n')}`;
  return error;
}

// The reason `promise` rejected with; fails when it resolves or nothing happens within STEP_MS.
async function rejection(promise, what) {
  let value;
  try {
    value = await within(promise, STEP_MS, what);
  } catch (reason) {
    if (reason instanceof Error && reason.message.startsWith('timed out after')) throw reason;
    return reason;
  }
  throw new Error(`${what}: expected an error, got ${JSON.stringify(value)}`);
}

test('keylink wallet with a sign-client 2.25 dApp', async (t) => {
  let serve;
  try {
    // The JS dApp asks for eip155 personal_sign, and for keylink's namespace (whose methods keylink's
    // wallet accepts into the session but answers as unsupported for now).
    const { uri, approval } = await within(dapp.connect({
      optionalNamespaces: {
        eip155: { chains: [CHAIN], methods: ['personal_sign'], events: ['accountsChanged'] },
        keylink: { chains: ['keylink:1'], methods: ['keylink_link'], events: [] },
      },
    }), STEP_MS, 'dapp.connect');
    assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);

    // keylink wallet pair: approves, waits for the settlement's acknowledgement, prints the topic.
    const pair = wallet.spawn(['wallet', 'pair', uri, '--yes', '--timeout', '20']);
    const [session, line] = await Promise.all([
      within(approval(), STEP_MS, 'the session at the JS dApp'),
      pair.nextLine(STEP_MS, '`session <topic>` from keylink wallet pair'),
    ]);
    assert.equal(line, `session ${session.topic}`);
    const paired = await pair.wait(STEP_MS);
    assert.equal(paired.code, 0, pair.log());
    assert.ok(paired.stderr.includes(`Session proposal from ${DAPP_NAME_SHOWN}`), paired.stderr);
    assert.ok(paired.stderr.includes('interop test\\x1b]0;owned\\x07'), paired.stderr);
    assert.ok(paired.stderr.includes('https://dapp.keylink.invalid\\u{202e}'), paired.stderr);
    assert.doesNotMatch(paired.stderr, RAW_CONTROLS, paired.stderr);
    const shownSessions = await wallet.run(['sessions'], STEP_MS);
    assert.ok(shownSessions.stdout.includes(`${DAPP_NAME_SHOWN} (https://dapp.keylink.invalid\\u{202e})`),
      shownSessions.stdout);
    assert.doesNotMatch(shownSessions.stdout, RAW_CONTROLS, shownSessions.stdout);
    const sessionsJson = await wallet.run(['sessions', '--json'], STEP_MS);
    assert.equal(JSON.parse(sessionsJson.stdout)[0].peer.name, DAPP_NAME, sessionsJson.stdout);
    const topic = session.topic;
    t.diagnostic(`session ${topic}`);
    const accounts = session.namespaces.eip155.accounts;
    assert.ok(accounts.length >= 1, JSON.stringify(session.namespaces));
    const [namespace, reference, address] = accounts[0].split(':');
    assert.equal(`${namespace}:${reference}`, CHAIN);
    assert.match(address, /^0x[0-9a-fA-F]{40}$/);
    assert.ok(session.namespaces.eip155.methods.includes('personal_sign'));
    assert.ok(session.namespaces.keylink, `no keylink namespace in ${JSON.stringify(session.namespaces)}`);
    assert.equal(session.peer.metadata.name, 'keylink wallet');

    // The same URI again: the wallet's home remembers the pairing.
    const again = await wallet.run(['wallet', 'pair', uri, '--yes', '--timeout', '10'], STEP_MS);
    assert.notEqual(again.code, 0, `pairing a used URI succeeded:\n${again.log}`);
    assert.match(again.stderr, /used already/, again.log);

    // keylink wallet serve answers the session's requests.
    serve = wallet.spawn(['wallet', 'serve', '--yes']);

    // personal_sign of a 0x-hex text; viem checks the signature against the session's account.
    const text = `hello from a JS dApp ${process.pid}`;
    const signature = await within(dapp.request({
      topic, chainId: CHAIN, request: { method: 'personal_sign', params: [toHex(text), address] },
    }), STEP_MS, 'the personal_sign answer at the JS dApp');
    assert.match(signature, /^0x[0-9a-f]{130}$/i);
    assert.equal(await verifyMessage({ address, message: text, signature }), true,
      `signature ${signature} does not verify for ${address}`);
    const signed = await serve.waitLine(/^request (\S+) (\d+) personal_sign (ok|error -?\d+)$/, STEP_MS,
      'the personal_sign line of keylink wallet serve');
    assert.equal(signed[1], topic);
    assert.equal(signed[3], 'ok');

    // ping: resolves once the wallet answered.
    await within(dapp.ping({ topic }), STEP_MS, 'dapp.ping');

    // A text reserved for XMTP's identity: the wallet refuses it, and the app gets an error.
    const reserved = 'XMTP : Create Identity\n' +
      `${'04'.padEnd(130, 'ab')}\n\nFor more info: https://xmtp.org/signatures/`;
    const refused = await rejection(dapp.request({
      topic, chainId: CHAIN, request: { method: 'personal_sign', params: [toHex(reserved), address] },
    }), 'the answer to a reserved text');
    t.diagnostic(`reserved text: ${JSON.stringify(refused)}`);
    assert.equal(typeof refused.code, 'number', JSON.stringify(refused));
    const refusedLine = await serve.waitLine(/^request (\S+) (\d+) personal_sign (ok|error (-?\d+))$/, STEP_MS,
      'the refused personal_sign line of keylink wallet serve');
    assert.equal(refusedLine[3], `error ${refused.code}`);

    // A keylink_* method of the session: answered with an error, not left unanswered.
    const unsupported = await rejection(dapp.request({
      topic, chainId: 'keylink:1', request: { method: 'keylink_link', params: {} },
    }), 'the answer to keylink_link');
    t.diagnostic(`keylink_link: ${JSON.stringify(unsupported)}`);
    assert.equal(typeof unsupported.code, 'number', JSON.stringify(unsupported));
    await serve.waitLine(new RegExp(`^request ${topic} \\d+ keylink_link error ${unsupported.code}$`), STEP_MS,
      'the keylink_link line of keylink wallet serve');

    // A method outside the session's namespaces. sign-client refuses to send one, so its check is
    // bypassed for this request: the wallet must still answer (with an error), not stay silent. Its name
    // carries an escape sequence, which the wallet's report of the dropped request shows escaped.
    const validate = dapp.engine.isValidRequest;
    dapp.engine.isValidRequest = async () => {};
    let outside;
    try {
      outside = dapp.request({
        topic,
        chainId: CHAIN,
        request: { method: 'eth_send\x1b[2JTransaction', params: [{ from: address, to: address }] },
      });
    } finally {
      dapp.engine.isValidRequest = validate;
    }
    const stray = await rejection(outside, 'the answer to a method outside the session');
    t.diagnostic(`eth_sendTransaction: ${JSON.stringify(stray)}`);
    assert.equal(typeof stray.code, 'number', JSON.stringify(stray));

    // The JS dApp disconnects: keylink wallet serve reports it, and the session is gone from the home.
    await within(dapp.disconnect({ topic, reason: getSdkError('USER_DISCONNECTED') }), STEP_MS, 'dapp.disconnect');
    await serve.waitLine(new RegExp(`^deleted ${topic}$`), STEP_MS, `\`deleted ${topic}\` from keylink wallet serve`);
    const stopped = await serve.stop('SIGTERM');
    assert.equal(stopped.code, 0, `keylink wallet serve after SIGTERM:\n${serve.log()}`);
    assert.ok(stopped.stderr.includes('eth_send\\x1b[2JTransaction on eip155:1 is not granted'), stopped.stderr);
    assert.doesNotMatch(stopped.stderr, RAW_CONTROLS, stopped.stderr);
    const listed = await wallet.run(['sessions', '--json'], STEP_MS);
    assert.equal(listed.code, 0, listed.log);
    const sessions = JSON.parse(listed.stdout);
    assert.ok(Array.isArray(sessions), listed.stdout);
    assert.deepEqual(sessions.filter((s) => s.topic === topic), [], listed.stdout);

    // The account the session granted is the home's.
    const shown = await wallet.run(['account', 'show', '--json'], STEP_MS);
    assert.equal(shown.code, 0, shown.log);
    const account = JSON.parse(shown.stdout);
    assert.deepEqual({ address: account.address, caip10: account.caip10 }, { address, caip10: `${CHAIN}:${address}` });
  } catch (error) {
    throw explain(error);
  } finally {
    if (serve) serve.kill();
  }
});

// `wallet serve` asking on its terminal: the whole prompt is there (the app, the session, the account,
// and a message that is not plain text in hex, so that it shows what gets signed); a request that
// expires while the user decides is answered "expired" and serve goes on with the next one.
test('keylink wallet serve asks on its terminal, and outlives a request that expires at the prompt', async () => {
  let serve;
  try {
    const { uri, approval } = await within(dapp.connect({
      optionalNamespaces: { eip155: { chains: [CHAIN], methods: ['personal_sign'], events: [] } },
    }), STEP_MS, 'dapp.connect');
    const pair = wallet.spawn(['wallet', 'pair', uri, '--yes', '--timeout', '20']);
    const [session] = await Promise.all([within(approval(), STEP_MS, 'the session at the JS dApp'),
      pair.nextLine(STEP_MS, '`session <topic>` from keylink wallet pair')]);
    const { topic } = session;
    const address = session.namespaces.eip155.accounts[0].split(':')[2];
    serve = wallet.spawnOnTty(['wallet', 'serve']);
    await serve.waitOutput(/Serving sessions for/, STEP_MS, 'serve to start');

    // A text that would rewrite the line it is shown on: shown as hex, signed as sent once the user says y.
    const text = 'Pay 1 ETH\r\x1b[2KPay 0 ETH';
    let from = serve.output.length;
    const signing = dapp.request({ topic, chainId: CHAIN, request: { method: 'personal_sign', params: [toHex(text), address] } });
    await serve.waitOutput(/Sign it\? \[y\/N\]/, STEP_MS, 'the signing prompt', from);
    const prompt = serve.output.slice(from);
    assert.ok(prompt.includes(`from ${DAPP_NAME_SHOWN} (https://dapp.keylink.invalid\\u{202e})`), prompt);
    assert.ok(prompt.includes(`session: ${topic}`), prompt);
    assert.ok(prompt.includes(`account: ${address} on ${CHAIN}`), prompt);
    assert.ok(prompt.includes('bytes that are not printable text, in hex'), prompt);
    assert.ok(prompt.includes(Buffer.from(text).toString('hex')), prompt);
    assert.doesNotMatch(prompt, /\x1b/, prompt);
    serve.type('y\n');
    const signature = await within(signing, STEP_MS, 'the signature at the JS dApp');
    assert.equal(await verifyMessage({ address, message: text, signature }), true);

    // A request whose expiry passes at the prompt: 35 s (the relay's --min-ttl is 30), when sign-client's
    // own timer rejects it at the dApp; only then does the user answer.
    from = serve.output.length;
    const validate = dapp.engine.isValidRequest;
    dapp.engine.isValidRequest = async () => {};
    let late;
    try {
      late = dapp.request({
        topic, chainId: CHAIN, expiry: 35, request: { method: 'personal_sign', params: [toHex('late'), address] },
      });
    } finally {
      dapp.engine.isValidRequest = validate;
    }
    const lateOutcome = late.then(() => 'answered', (error) => error);
    await serve.waitOutput(/Sign it\? \[y\/N\]/, STEP_MS, 'the prompt of the late request', from);
    const expired = await within(lateOutcome, 35000 + STEP_MS, 'the expiry at the JS dApp');
    assert.notEqual(expired, 'answered');
    serve.type('y\n');
    await serve.waitOutput(/request \S+ \d+ personal_sign expired/, STEP_MS, 'serve saying the request expired', from);

    // serve goes on: the next request is signed.
    from = serve.output.length;
    const next = dapp.request({ topic, chainId: CHAIN, request: { method: 'personal_sign', params: [toHex('next'), address] } });
    await serve.waitOutput(/Sign it\? \[y\/N\]/, STEP_MS, 'the next prompt', from);
    serve.type('y\n');
    const nextSignature = await within(next, STEP_MS, 'the next signature');
    assert.equal(await verifyMessage({ address, message: 'next', signature: nextSignature }), true);
    const stopped = await serve.stop();
    assert.equal(stopped.code, 0, serve.log());
  } catch (error) {
    if (serve) error.message += `\n${serve.log()}`;
    throw explain(error);
  } finally {
    if (serve) serve.kill();
  }
});
