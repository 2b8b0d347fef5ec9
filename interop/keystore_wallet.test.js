'use strict';
// The wallet keystore (docs/keystore.md, the `xmtp` WalletConnect namespace) against real packages, on
// one keylink-relay: the keylink CLI is the wallet that holds the messaging keys.
// 1. An @xmtp/xmtp-js 13.0.4 Client whose keystore is xmtp_keystore_adapter.js (a table over xmtp-js's
//    keystore apiDefs, each RPC a request of a real @walletconnect/sign-client 2.25 dApp session) chats
//    with an ordinary xmtp-js Client, both ways.
// 2. keylink app homes (`keystore connect`, over a session and over `keystore serve --socket`) chat with
//    an ordinary xmtp-js Client.
// 3. After all that, no file of an app home holds a private key of the account, and nothing the wallet
//    answered the adapter does either.
// 4. The dApp side plays the attacker: a bad appSig, a replayed counter, methods not granted or never
//    allowed, a malformed request, policy refusals, a revoked approval; the audit log still verifies and
//    the wallet is up. 5. A raw app on the keystore socket meets the policy itself (no session in front).
// The wallet's home is restored from a fresh BIP-39 phrase; an xmtp-js Client of the same wallet loads
// the identity keylink backed up, which is how the test knows the private keys it looks for.
//
//   KEYLINK_RELAY=build/apps/keylink-relay/keylink-relay KEYLINK_CLI=build/apps/keylink/keylink \
//     NODE_PATH=interop/node_modules node --test interop/keystore_wallet.test.js
// KEYLINK_WC_LOG=debug prints the JS dApp's logs (pino) to stderr.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const xmtp = require('@xmtp/xmtp-js');
const proto = require('@xmtp/proto');
const { SignClient } = require('@walletconnect/sign-client');
const { generateMnemonic, english, mnemonicToAccount, privateKeyToAccount } = require('viem/accounts');
const { within } = require('./relay_process');
const { RelayApiClient } = require('./xmtp_api_client');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');
const {
  WalletKeystoreAdapter, walletKeystoreProvider, newAppKey, requestParams, proposal, CHAIN,
} = require('./xmtp_keystore_adapter');

const fixture = new XmtpCliFixture();
const run = (home, args) => fixture.run(home, args);
const phrase = generateMnemonic(english);

let wallet;          // the keylink home that holds the account and its messaging keys
let walletAddress;
let serve;           // its `wallet serve`
let socketServe;     // its `keystore serve --socket`
let dapp;            // the sign-client dApp of parts 1 and 4
let secrets;         // {name: Buffer} private keys of the account
const appHomes = []; // the keylink app homes of part 2
let adapterRun;      // part 1's {adapter, session, approvalId, traffic}
let socketDir;       // where `keystore serve --socket` listens (ks.sock)
let sessionApp;      // part 2a's {app, topic}: an app home connected over a session

// The private keys of the wallet's account: its Ethereum key (from the phrase), and the identity key and
// pre-keys of its XMTP identity, as an xmtp-js Client of the same wallet loads them from keylink's backup.
async function accountSecrets() {
  const account = mnemonicToAccount(phrase);
  const keysClient = await fixture.xmtpClient(account);
  assert.equal(keysClient.address, walletAddress);
  const bundle = await keysClient.keystore.getPrivateKeyBundle();
  const out = { ethereum: Buffer.from(account.getHdKey().privateKey) };
  out.identity = Buffer.from(bundle.identityKey.secp256k1.bytes);
  bundle.preKeys.forEach((key, i) => { out[`preKey${i}`] = Buffer.from(key.secp256k1.bytes); });
  for (const [name, bytes] of Object.entries(out)) assert.equal(bytes.length, 32, name);
  return out;
}

// The secret's name when `data` holds one of `secrets` (raw, hex, base64 or base64url); else null.
function secretIn(data) {
  const text = data.toString('latin1');
  for (const [name, bytes] of Object.entries(secrets)) {
    if (data.includes(bytes)) return `${name} (raw)`;
    if (text.toLowerCase().includes(bytes.toString('hex'))) return `${name} (hex)`;
    if (text.includes(bytes.toString('base64').slice(0, 40))) return `${name} (base64)`;
    if (text.includes(bytes.toString('base64url').slice(0, 40))) return `${name} (base64url)`;
  }
  return null;
}

function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function explain(error) {
  const homes = fixture.homes.map((h) => h.log(error.message)).join('\n');
  error.message += `\n${homes}\n--- keylink-relay output ---\n${fixture.relay.log().split('\n').slice(-60).join('\n')}`;
  return error;
}

// A test body whose failure message carries what the processes printed.
function guarded(fn) {
  return async (t) => {
    try {
      return await fn(t);
    } catch (error) {
      throw explain(error);
    }
  };
}

// The reason `promise` rejected with; fails when it resolves, or when nothing happens within STEP_MS.
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

async function until(what, check) {
  return within((async () => {
    for (;;) {
      const value = await check();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })(), STEP_MS, what);
}

// `wallet serve` on the wallet's home; stopped around a `wallet pair`, which uses the same home and relay key.
async function startServe() {
  serve = wallet.spawn(['wallet', 'serve']);
  // serve says it serves on stderr; give it its first moments to subscribe.
  await until('wallet serve to start',
    () => serve.stderrLines.some((l) => /Serving sessions for/.test(l)) || serve.exitStatus);
  assert.equal(serve.exitStatus, undefined, serve.log());
}

async function stopServe() {
  if (!serve) return;
  const stopped = await serve.stop('SIGTERM');
  assert.equal(stopped.code, 0, serve.log());
  serve = undefined;
}

// `keylink wallet pair URI --yes` on the wallet's home, with serve stopped meanwhile.
async function walletPair(uri) {
  const wasServing = Boolean(serve);
  await stopServe();
  const pair = wallet.spawn(['wallet', 'pair', uri, '--yes', '--timeout', '30']);
  const line = await pair.nextLine(STEP_MS, '`session <topic>` from keylink wallet pair');
  const paired = await pair.wait(STEP_MS);
  assert.equal(paired.code, 0, pair.log());
  if (wasServing) await startServe();
  return /^session (\S+)$/.exec(line)[1];
}

async function approvals() {
  return JSON.parse((await run(wallet, ['apps', '--json'])).stdout);
}

function randomXmtpClient() {
  return fixture.xmtpClient(privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`));
}

before(async () => {
  await fixture.start();
  wallet = await fixture.restore('wallet', phrase);
  await run(wallet, ['chat', 'list']);  // makes the messaging identity, backs it up, publishes the contact
  walletAddress = JSON.parse((await run(wallet, ['account', 'show', '--json'])).stdout).address;
  assert.equal(walletAddress, mnemonicToAccount(phrase).address);
  secrets = await accountSecrets();
  dapp = await within(SignClient.init({
    projectId: 'keylink-interop',
    relayUrl: fixture.relay.url,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-keystore-dapp-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: process.env.KEYLINK_WC_LOG || 'silent',
    metadata: {
      name: 'xmtp-js over keylink', description: 'interop test', url: 'https://xmtp-app.keylink.invalid', icons: [],
    },
  }), STEP_MS, 'SignClient.init');
  dapp.core.verify.resolve = async () => undefined;  // offline: no verify server
});

after(async () => {
  if (socketServe) socketServe.kill();
  if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
  if (serve) serve.kill();
  if (dapp) {
    dapp.core.heartbeat.stop();
    try {
      await within(dapp.core.relayer.transportClose(), 5000, 'closing the JS dApp');
    } catch { /* the relay goes next anyway */ }
  }
  await fixture.stop();
});

test('1. xmtp-js with the keylink wallet as its keystore (over sign-client) chats with xmtp-js', guarded(async (t) => {
  const appKey = newAppKey();
  const { uri, approval } = await within(dapp.connect(proposal(appKey)), STEP_MS, 'dapp.connect');
  const [session] = await Promise.all([within(approval(), STEP_MS, 'the session at the dApp'), walletPair(uri)]);
  assert.deepEqual(session.namespaces.xmtp.accounts, [`${CHAIN}:${walletAddress}`]);
  assert.ok(session.namespaces.xmtp.methods.includes('xmtp_decryptV2'), JSON.stringify(session.namespaces));
  assert.ok(!session.namespaces.xmtp.methods.includes('xmtp_getV2ConversationHmacKeys'));
  const approved = (await approvals()).find((a) => a.app_key === appKey.publicKeyBase64);
  assert.ok(approved, 'no approval for the app key');
  assert.deepEqual([...approved.scopes].sort(), ['auth', 'preferences', 'read', 'send']);
  assert.ok(approved.expires_at - approved.granted_at === 30 * 24 * 3600, JSON.stringify(approved));
  await startServe();

  const traffic = [];  // {name, req, res, error} of every call
  const adapter = new WalletKeystoreAdapter(dapp, session.topic, appKey, {
    onCall: (name, req, outcome) => traffic.push({ name, req, ...outcome }),
  });
  adapterRun = { adapter, session, approvalId: approved.id, traffic };
  const failed = () => traffic.filter((c) => c.error).map((c) =>
    `${c.name}(req ${c.req ? Buffer.from(c.req).toString('base64') : '-'}): ${JSON.stringify(c.error)}`).join('\n');

  let alice;
  try {
    alice = await within(xmtp.Client.create(null, {
      env: 'local',
      apiClientFactory: () => {
        const api = new RelayApiClient(fixture.relay.url, { log: () => {} });
        fixture.apiClients.push(api);
        return api;
      },
      persistConversations: false,
      keystoreProviders: [walletKeystoreProvider(adapter)],
    }), STEP_MS, 'Client.create with the wallet keystore');
  } catch (error) {
    error.message += `\nkeystore calls refused:\n${failed()}`;
    throw error;
  }
  assert.equal(alice.address, walletAddress);
  assert.equal(alice.keystore.getPrivateKeyBundle, undefined);  // the adapter has no such call

  const bob = await randomXmtpClient();
  const trace = async (what, promise) => {
    try {
      return await within(promise, STEP_MS, what);
    } catch (error) {
      error.message += `\nkeystore calls refused:\n${failed()}`;
      throw error;
    }
  };

  // The wallet keystore's client starts a conversation; xmtp-js reads it.
  const conversation = await trace('newConversation', alice.conversations.newConversation(bob.address));
  await trace('send through the wallet keystore', conversation.send('hello from keys in keylink'));
  const bobsView = await until('Bob finds the conversation', async () =>
    (await bob.conversations.list()).find((c) => c.peerAddress === walletAddress));
  const got = await bobsView.messages();
  assert.deepEqual(got.map((m) => [m.senderAddress, m.content]), [[walletAddress, 'hello from keys in keylink']]);

  // xmtp-js answers; the wallet keystore's client reads both.
  await within(bobsView.send('hi from xmtp-js'), STEP_MS, 'Bob answers');
  const read = await trace('messages through the wallet keystore', conversation.messages());
  assert.deepEqual(read.map((m) => [m.senderAddress, m.content]),
    [[walletAddress, 'hello from keys in keylink'], [bob.address, 'hi from xmtp-js']]);

  // xmtp-js starts a conversation of its own (another conversationId); the wallet keystore's client
  // lists it (invitations opened in the wallet) and reads it.
  const started = await within(bob.conversations.newConversation(walletAddress,
    { conversationId: 'keylink.invalid/keystore', metadata: {} }), STEP_MS, 'Bob starts a conversation');
  await within(started.send('a conversation Bob started'), STEP_MS, 'Bob sends');
  const listed = await trace('conversations.list', alice.conversations.list());
  const found = listed.find((c) => c.topic === started.topic);
  assert.ok(found, `the conversation Bob started is not listed: ${listed.map((c) => c.topic)}`);
  const inIt = await trace('messages of the conversation Bob started', found.messages());
  assert.deepEqual(inIt.map((m) => [m.senderAddress, m.content]), [[bob.address, 'a conversation Bob started']]);

  assert.equal(failed(), '');
  // keylink-relay authenticates the connection, so xmtp-js never asks for an auth token here: ask for one.
  const token = await trace('createAuthToken', adapter.createAuthToken({ timestampNs: xmtp.dateToNs(new Date()) }));
  assert.equal(proto.authn.AuthData.decode(token.authDataBytes).walletAddr, walletAddress);
  assert.deepEqual(Buffer.from(token.identityKey.secp256k1Uncompressed.bytes),
    Buffer.from(alice.publicKeyBundle.identityKey.secp256k1Uncompressed.bytes));
  const names = new Set(traffic.map((c) => c.name));
  for (const name of ['getPublicKeyBundle', 'createAuthToken', 'createInvite', 'signDigest', 'encryptV2',
    'decryptV2', 'saveInvites', 'getV2Conversations']) {
    assert.ok(names.has(name), `xmtp-js never called ${name}: ${[...names]}`);
  }
  t.diagnostic(`keystore calls: ${[...names].join(', ')}`);
  const log = JSON.parse((await run(wallet, ['apps', 'log', '--json', '--limit', '1000'])).stdout);
  assert.ok(log.filter((e) => e.approval === approved.id && e.outcome === 'ok').length >= traffic.length,
    JSON.stringify(log.slice(-5)));
}));

test('2a. a keylink app home connects to the wallet over a WalletConnect session', guarded(async () => {
  assert.ok(serve, 'part 1 left wallet serve running');
  // Over a WalletConnect session: connect prints the URI, the wallet pairs, connect exits 0.
  const app = fixture.home('app-session');
  appHomes.push(app);
  const connect = app.spawn(['keystore', 'connect', '--json', '--timeout', '60']);
  const uri = await connect.nextLine(STEP_MS, 'the wc: URI from keystore connect');
  assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);
  const topic = await walletPair(uri);
  const connected = JSON.parse(await connect.nextLine(STEP_MS, 'the connection from keystore connect'));
  assert.equal((await connect.wait(STEP_MS)).code, 0, connect.log());
  assert.deepEqual({ kind: connected.kind, where: connected.where, address: connected.address },
    { kind: 'session', where: topic, address: walletAddress });
  assert.equal(JSON.parse((await run(app, ['keystore', 'status', '--json'])).stdout).kind, 'session');
  sessionApp = { app, topic };
}));

test('2a. … and reads what xmtp-js sends it', guarded(async () => {
  assert.ok(sessionApp, 'the app home connected');
  const { app } = sessionApp;
  const dave = await randomXmtpClient();
  const conversation = await within(dave.conversations.newConversation(walletAddress), STEP_MS, 'Dave starts');
  await within(conversation.send('hello keylink app, from xmtp-js'), STEP_MS, 'Dave sends');
  const listed = JSON.parse((await run(app, ['chat', 'list', '--json'])).stdout);
  assert.ok(listed.some((c) => c.peer === dave.address && c.topic === conversation.topic), JSON.stringify(listed));
  const read = JSON.parse((await run(app, ['chat', 'read', dave.address, '--json'])).stdout);
  assert.deepEqual(read.map((m) => [m.sender, m.text]), [[dave.address, 'hello keylink app, from xmtp-js']]);
}));

test('2a. … and chats with xmtp-js, both ways', guarded(async () => {
  assert.ok(sessionApp, 'the app home connected');
  const { app, topic } = sessionApp;
  const bob = await randomXmtpClient();
  const id = (await run(app, ['chat', 'send', bob.address, 'hello from a keylink app'])).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const conversation = await until('Bob finds the app\'s conversation', async () =>
    (await bob.conversations.list()).find((c) => c.peerAddress === walletAddress));
  const got = await conversation.messages();
  assert.deepEqual(got.map((m) => [m.senderAddress, m.content, m.id]),
    [[walletAddress, 'hello from a keylink app', id]]);
  await within(conversation.send('hi keylink app'), STEP_MS, 'Bob answers');
  const read = JSON.parse((await run(app, ['chat', 'read', bob.address, '--json'])).stdout);
  assert.deepEqual(read.map((m) => [m.sender, m.text]),
    [[walletAddress, 'hello from a keylink app'], [bob.address, 'hi keylink app']]);
  await serve.waitLine(new RegExp(`^request ${topic} \\d+ xmtp_encryptV2 ok$`), STEP_MS,
    'the app\'s encryptV2 at serve');
}));

test('2b. a keylink app home over the wallet\'s `keystore serve --socket` chats with xmtp-js', guarded(async () => {
  socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-ks-'));
  const socket = path.join(socketDir, 'ks.sock');
  socketServe = wallet.spawn(['keystore', 'serve', '--socket', socket, '--yes']);
  await socketServe.waitLine(/^serving /, STEP_MS, 'keystore serve to listen');
  const local = fixture.home('app-socket');
  appHomes.push(local);
  const linked = JSON.parse((await run(local, ['keystore', 'connect', '--socket', socket, '--json'])).stdout);
  assert.deepEqual({ kind: linked.kind, address: linked.address }, { kind: 'socket', address: walletAddress });
  const carol = await randomXmtpClient();
  await run(local, ['chat', 'send', carol.address, 'hello over the socket']);
  const carolsView = await until('Carol finds the conversation', async () =>
    (await carol.conversations.list()).find((c) => c.peerAddress === walletAddress));
  assert.deepEqual((await carolsView.messages()).map((m) => [m.senderAddress, m.content]),
    [[walletAddress, 'hello over the socket']]);
  await within(carolsView.send('hi socket app'), STEP_MS, 'Carol answers');
  const overSocket = JSON.parse((await run(local, ['chat', 'read', carol.address, '--json'])).stdout);
  assert.deepEqual(overSocket.map((m) => [m.sender, m.text]),
    [[walletAddress, 'hello over the socket'], [carol.address, 'hi socket app']]);
  // The app home watches (it decrypts each new message through the wallet as it comes); it may first
  // print what the account's other conversations got that this home has not seen.
  const watch = local.spawn(['chat', 'watch', '--json', '--timeout', '30']);
  await within(carolsView.send('watched over the socket'), STEP_MS, 'Carol sends again');
  for (;;) {
    const watched = JSON.parse(await watch.nextLine(STEP_MS, 'the watched message'));
    if (watched.text !== 'watched over the socket') continue;
    assert.equal(watched.sender, carol.address);
    break;
  }
  assert.equal((await watch.stop('SIGTERM')).code, 0, watch.log());
  await socketServe.waitLine(/^request local:\S+ xmtp_encryptV2 ok$/, STEP_MS, 'the socket app\'s encryptV2');
  const origins = (await approvals()).map((a) => a.origin);
  assert.ok(origins.some((o) => o.startsWith('local uid=')), JSON.stringify(origins));
}));

// What proves it: the test knows the account's private keys (the Ethereum key from the phrase; the
// identity key and pre-keys as xmtp-js loads them from keylink's backup), and looks for each, raw, hex and
// base64, in every byte of every file of each app home (the SQLite database, its WAL and journal, the
// vault, anything), and in every request and answer that went between the xmtp-js adapter and the wallet.
test('3. no app home file, and no keystore answer, holds a private key of the account', guarded(async (t) => {
  assert.ok(appHomes.length > 0, 'part 2 made app homes');
  for (const app of appHomes) {
    const files = filesUnder(app.dir);
    assert.ok(files.length > 0, `no file in ${app.dir}`);
    let bytes = 0;
    for (const file of files) {
      const data = fs.readFileSync(file);
      bytes += data.length;
      assert.equal(secretIn(data), null, `${file} holds a private key of the account`);
    }
    assert.ok(bytes > 4096, `${app.dir}: only ${bytes} bytes in ${files.join(', ')}`);
  }
  // Sanity of the search: it finds a key where one is.
  assert.equal(secretIn(Buffer.concat([Buffer.from('x'), secrets.identity])), 'identity (raw)');
  assert.ok(adapterRun, 'part 1 ran the adapter');
  assert.ok(adapterRun.traffic.length > 10);
  for (const call of adapterRun.traffic) {
    for (const part of [call.req, call.res]) {
      if (part) assert.equal(secretIn(Buffer.from(part)), null, `${call.name} carried a private key`);
    }
  }
}));

test('4. the dApp side as an attacker: refused as docs/keystore.md says; log verifies', guarded(async (t) => {
  assert.ok(adapterRun, 'part 1 made the session');
  const { adapter, session, approvalId } = adapterRun;
  const { topic } = session;
  const send = (method, params) => dapp.request({ topic, chainId: CHAIN, request: { method, params } });
  // sign-client sends only methods of the session: its check is bypassed for what it would not send.
  const sendUnchecked = (method, params) => {
    const validate = dapp.engine.isValidRequest;
    dapp.engine.isValidRequest = async () => {};
    try {
      return send(method, params);
    } finally {
      dapp.engine.isValidRequest = validate;
    }
  };
  const signed = (method, req, key = adapter.appKey) =>
    requestParams(key.privateKey, topic, method, req, adapter.nextCounter());
  const outcomes = {};
  const expectCode = async (what, promise, code) => {
    const error = await rejection(promise, what);
    outcomes[what] = error;
    assert.equal(error.code, code, `${what}: ${JSON.stringify(error)}`);
  };

  // A request the app key did not sign.
  await expectCode('bad appSig',
    send('xmtp_getPublicKeyBundle', signed('xmtp_getPublicKeyBundle', null, newAppKey())), 9102);
  // A captured request sent again.
  const once = signed('xmtp_getPublicKeyBundle', null);
  const first = await within(send('xmtp_getPublicKeyBundle', once), STEP_MS, 'a fresh request');
  assert.ok(first.res);
  await expectCode('replayed appCounter', send('xmtp_getPublicKeyBundle', once), 9103);
  // A counter below the last accepted, freshly signed.
  await expectCode('lower appCounter', send('xmtp_getPublicKeyBundle',
    requestParams(adapter.appKey.privateKey, topic, 'xmtp_getPublicKeyBundle', null, 1)), 9103);

  // The push server's HMAC keys, not asked for: sign-client refuses to send it; sent anyway, refused.
  const hmacReq = xmtp.keystoreApiDefs.getV2ConversationHmacKeys.req.encode({ topics: [] }).finish();
  await assert.rejects(async () =>
    send('xmtp_getV2ConversationHmacKeys', signed('xmtp_getV2ConversationHmacKeys', hmacReq)));
  await expectCode('method not granted', sendUnchecked('xmtp_getV2ConversationHmacKeys',
    signed('xmtp_getV2ConversationHmacKeys', hmacReq)), 3001);
  // Never: an export of the private keys.
  await expectCode('getPrivateKeyBundle', sendUnchecked('xmtp_getPrivateKeyBundle',
    signed('xmtp_getPrivateKeyBundle', null)), 3001);
  // A req that is not a DecryptV2Request (a truncated varint), properly signed.
  const junk = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
  await expectCode('malformed req', send('xmtp_decryptV2', signed('xmtp_decryptV2', junk)), -32602);
  // What the policy refuses whoever asks (9108): signing with the identity key, a stale auth token.
  const byIdentity = xmtp.keystoreApiDefs.signDigest.req.encode({ digest: crypto.randomBytes(32), identityKey: true })
    .finish();
  await expectCode('signDigest with the identity key', send('xmtp_signDigest', signed('xmtp_signDigest', byIdentity)),
    9108);
  const stale = xmtp.keystoreApiDefs.createAuthToken.req
    .encode({ timestampNs: xmtp.dateToNs(new Date(Date.now() + 10 * 60 * 1000)) }).finish();
  await expectCode('createAuthToken 10 minutes ahead', send('xmtp_createAuthToken',
    signed('xmtp_createAuthToken', stale)), 9108);
  // params that are not {req, appCounter, appSig}.
  await expectCode('params not an object', send('xmtp_getPublicKeyBundle', ['x']), -32602);
  // The adapter still works after all of that.
  const bundle = await within(adapter.getPublicKeyBundle(), STEP_MS, 'getPublicKeyBundle after the attacks');
  assert.equal(new xmtp.PublicKeyBundle(bundle).walletSignatureAddress(), walletAddress);

  // The user revokes the app: its next request is refused (9105), or its session is gone.
  const deleted = new Promise((resolve) => dapp.on('session_delete', (event) => {
    if (event.topic === topic) resolve(event);
  }));
  await run(wallet, ['apps', 'revoke', approvalId]);
  const revoked = await rejection(adapter.getPublicKeyBundle(), 'a request after the revocation');
  outcomes['after revoke'] = revoked.rpcError?.code ? revoked.rpcError : String(revoked.message);
  if (revoked.rpcError?.code) {
    assert.equal(revoked.rpcError.code, 9105, JSON.stringify(revoked.rpcError));
  } else {
    assert.match(String(revoked.message), /session|topic|No matching key/i, String(revoked.message));
  }
  // docs/keystore.md: the wallet deletes the session of a revoked approval (its upkeep runs every minute).
  await within(deleted, 75000, 'the wallet deleting the revoked app\'s session');
  assert.ok(serve.stderrLines.some((l) => l.includes(`Ending session ${topic}`)), serve.log());
  for (const [what, error] of Object.entries(outcomes)) {
    t.diagnostic(`${what}: ${JSON.stringify(error)}`);
  }

  const verified = await run(wallet, ['apps', 'log', '--verify', '--json', '--limit', '1000']);
  assert.equal(verified.code, 0, verified.log);
  const log = JSON.parse(verified.stdout).filter((e) => e.approval === approvalId);
  const seen = new Set(log.map((e) => e.outcome));
  for (const code of ['9102', '9103', '-32602', '9108', '9105']) {
    if (code === '9105' && !outcomes['after revoke'].code) continue;  // the session went first
    assert.ok(seen.has(code), `no ${code} in the audit log of ${approvalId}: ${[...seen]}`);
  }
  assert.equal(serve.exitStatus, undefined, `wallet serve ended:\n${serve.log()}`);
  const stopped = await serve.stop('SIGTERM');
  assert.equal(stopped.code, 0, serve.log());
  serve = undefined;
}));

// One frame of the keystore socket: u32be length, then a JSON-RPC 2.0 object (docs/keystore.md).
class RawSocketApp {
  static async connect(socketPath) {
    const app = new RawSocketApp();
    app.buffer = Buffer.alloc(0);
    app.waiting = new Map();
    app.id = 0;
    app.socket = net.createConnection(socketPath);
    app.socket.on('data', (chunk) => app.take(chunk));
    await within(new Promise((resolve, reject) => {
      app.socket.once('connect', resolve);
      app.socket.once('error', reject);
    }), STEP_MS, 'connecting to the keystore socket');
    return app;
  }

  take(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4 && this.buffer.length >= 4 + this.buffer.readUInt32BE(0)) {
      const length = this.buffer.readUInt32BE(0);
      const message = JSON.parse(this.buffer.subarray(4, 4 + length).toString('utf8'));
      this.buffer = this.buffer.subarray(4 + length);
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (resolve) resolve(message);
    }
  }

  // The JSON-RPC response ({result} or {error}) to method(params).
  request(method, params) {
    this.id += 1;
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: this.id, method, params }), 'utf8');
    const answered = new Promise((resolve) => this.waiting.set(this.id, resolve));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([length, body]));
    return within(answered, STEP_MS, `the answer to ${method} on the keystore socket`);
  }

  close() {
    this.socket.destroy();
  }
}

// The session's 3001s above come from the session layer (the method is not in the session). On the
// socket no session stands in front of the wallet's policy (keystore::Gate): a raw app that says hello
// with its own key meets the policy itself.
test('5. a raw app on the keystore socket: the policy refuses exports, push keys, identity-key signing', guarded(
  async (t) => {
    assert.ok(socketServe, 'part 2b left keystore serve running');
    const appKey = newAppKey();
    const app = await RawSocketApp.connect(path.join(socketDir, 'ks.sock'));
    try {
      const early = await app.request('xmtp_getPublicKeyBundle', { appCounter: 1, appSig: 'AA==' });
      assert.equal(early.error?.code, 9101, JSON.stringify(early));
      const hello = await app.request('keylink_hello', {
        name: 'raw socket app', url: 'https://raw.keylink.invalid', appKey: appKey.publicKeyBase64,
      });
      assert.ok(hello.result?.approval, JSON.stringify(hello));
      assert.equal(hello.result.address, walletAddress);
      const channel = `local:${hello.result.approval}`;
      let counter = 0;
      const call = (method, req) => app.request(method,
        requestParams(appKey.privateKey, channel, method, req, ++counter));
      const expectCode = async (what, answer, code) => {
        const { error, result } = await answer;
        t.diagnostic(`${what}: ${JSON.stringify(error || result)}`);
        assert.equal(error?.code, code, `${what}: ${JSON.stringify(error || result)}`);
      };

      const bundle = await call('xmtp_getPublicKeyBundle', null);
      assert.ok(bundle.result?.res, JSON.stringify(bundle));
      await expectCode('getPrivateKeyBundle over the socket', call('xmtp_getPrivateKeyBundle', null), 3001);
      await expectCode('initKeystore over the socket', call('xmtp_initKeystore', Buffer.from([0x0a, 0x00])), 3001);
      const hmacReq = xmtp.keystoreApiDefs.getV2ConversationHmacKeys.req.encode({ topics: [] }).finish();
      await expectCode('getV2ConversationHmacKeys over the socket', call('xmtp_getV2ConversationHmacKeys', hmacReq),
        3001);
      const signDigest = xmtp.keystoreApiDefs.signDigest.req;
      const byIdentity = signDigest.encode({ digest: crypto.randomBytes(32), identityKey: true }).finish();
      await expectCode('signDigest with the identity key', call('xmtp_signDigest', byIdentity), 9108);
      const tokenReq = xmtp.keystoreApiDefs.createAuthToken.req;
      const stale = tokenReq.encode({ timestampNs: xmtp.dateToNs(new Date(Date.now() - 10 * 60 * 1000)) }).finish();
      await expectCode('createAuthToken 10 minutes old', call('xmtp_createAuthToken', stale), 9108);
      const byPreKey = signDigest.encode({ digest: crypto.randomBytes(32), prekeyIndex: 0 }).finish();
      const signed = await call('xmtp_signDigest', byPreKey);
      assert.ok(signed.result?.res, JSON.stringify(signed));
    } finally {
      app.close();
    }
    await socketServe.waitLine(/^request local:\S+ xmtp_getPrivateKeyBundle error 3001$/, STEP_MS,
      'the refused export at keystore serve');
    const log = JSON.parse((await run(wallet, ['apps', 'log', '--verify', '--json', '--limit', '1000'])).stdout);
    assert.ok(log.some((e) => e.method === 'xmtp_getPrivateKeyBundle' && e.outcome === '3001'), JSON.stringify(log));
    assert.equal(socketServe.exitStatus, undefined, socketServe.log());
    const stopped = await socketServe.stop('SIGTERM');
    assert.equal(stopped.code, 0, socketServe.log());
    socketServe = undefined;
  }));

test('6. an audit log changed behind the wallet fails `apps log --verify`, naming the entry', guarded(async () => {
  assert.equal((await wallet.run(['apps', 'log', '--verify'], STEP_MS)).code, 0);
  // Whoever can write the wallet's database but lacks its passphrase (its MAC key is sealed) rewrites
  // what entry 3 says was called.
  const db = path.join(wallet.dir, 'keylink.db');
  const tamper = require('node:child_process').spawnSync('sqlite3',
    [db, "UPDATE keystore_audit SET method = 'xmtp_getPublicKeyBundle' WHERE seq = 3"], { encoding: 'utf8' });
  assert.equal(tamper.status, 0, tamper.stderr);
  const verified = await wallet.run(['apps', 'log', '--verify'], STEP_MS);
  assert.equal(verified.code, 1, verified.log);
  assert.match(verified.log, /audit log entry 3 does not check out/);
}));
