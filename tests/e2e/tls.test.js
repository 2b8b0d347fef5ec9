'use strict';
// keylink-relay over TLS (--tls-cert/--tls-key) with a CA and a certificate for 127.0.0.1 made here by
// the openssl CLI: the keylink CLI pairs over wss:// with --relay-ca, and is refused with a certificate
// error without it; a @walletconnect/sign-client dApp trusts the CA through NODE_EXTRA_CA_CERTS; a
// client that opens TCP and never handshakes does not hold up the others and is dropped.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, within, until, randomTopic, makeCertificates } = require('./client');
const { Home, KeylinkProcess } = require(path.join(__dirname, '..', '..', 'interop', 'keylink_cli.js'));

const STEP_MS = 30000;  // a bound on each step, so that a hang fails instead of hanging

let dir;
let ca;  // the CA's PEM
let relay;
const homes = [];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-tls-'));
  const files = makeCertificates(dir);
  ca = files.ca;
  relay = await Relay.start(['--store', 'memory', '--min-ttl', '30', '--tls-cert', files.cert, '--tls-key', files.key],
    { ca: fs.readFileSync(ca) });
});

after(async () => {
  for (const home of homes) await home.cleanup();
  if (relay) {
    const { code, signal } = await relay.stop('SIGTERM');
    assert.equal(code, 0, `keylink-relay exit (${signal || code}):\n${relay.log()}`);
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function home(name, globalArgs) {
  const made = new Home(name, relay.url, { globalArgs });
  homes.push(made);
  return made;
}

test('the relay prints a wss:// URL and answers /health over https', async () => {
  assert.match(relay.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const health = await relay.get('/health');
  assert.equal(health.status, 200, health.body);
  assert.equal(JSON.parse(health.body).status, 'ok');
});

test('keylink wallet pair with --relay-ca and a sign-client dApp trusting NODE_EXTRA_CA_CERTS', async () => {
  const dapp = new KeylinkProcess(process.execPath, [path.join(__dirname, 'sign_client_dapp_process.js'), relay.url],
    { ...process.env, NODE_EXTRA_CA_CERTS: ca }, 'sign-client dApp');
  const wallet = home('tls-wallet', ['--relay-ca', ca]);
  try {
    const uri = await dapp.nextLine(STEP_MS, 'the wc: URI from the sign-client dApp');
    assert.match(uri, /^wc:[0-9a-f]{64}@2\?/);
    const pair = wallet.spawn(['wallet', 'pair', uri, '--yes', '--timeout', '30']);
    const [settled, line] = await Promise.all([
      dapp.nextLine(STEP_MS, '`session <topic>` from the sign-client dApp'),
      pair.nextLine(STEP_MS, '`session <topic>` from keylink wallet pair'),
    ]);
    assert.equal(line, settled);
    assert.equal((await pair.wait(STEP_MS)).code, 0, pair.log());
    assert.equal((await dapp.wait(STEP_MS)).code, 0, dapp.log());
  } catch (error) {
    error.message += `\n${dapp.log()}\n${wallet.log()}\n--- keylink-relay ---\n${relay.log()}`;
    throw error;
  } finally {
    dapp.kill();
  }
});

test('keylink without --relay-ca is refused with a certificate error, and never connects', async () => {
  const before = await relay.metrics();
  const wallet = home('tls-untrusting', []);
  const connect = wallet.spawn(['dapp', 'connect', '--timeout', '60']);
  try {
    await until(() => connect.stderrLines.some((l) => /TLS certificate does not verify/.test(l)) || connect.done,
      STEP_MS, 'the certificate error from keylink dapp connect');
    const line = connect.stderrLines.find((l) => /TLS certificate does not verify/.test(l));
    assert.ok(line, connect.log());
    assert.match(line, new RegExp(`^relay: ${relay.url}: the relay's TLS certificate does not verify: `), line);
  } finally {
    await connect.stop('SIGTERM');
  }
  const now = await relay.metrics();
  assert.equal(now.keylink_relay_connections_total, before.keylink_relay_connections_total);
  assert.ok(now['keylink_relay_errors_total{kind="tls_handshake"}'] >
    (before['keylink_relay_errors_total{kind="tls_handshake"}'] ?? 0), relay.log());
});

test('a client that never handshakes holds up nobody and is dropped', async () => {
  const silent = net.connect(relay.port, '127.0.0.1');
  const dropped = new Promise((resolve) => silent.on('close', resolve));
  silent.on('error', () => {});
  await within(new Promise((resolve) => silent.once('connect', resolve)), STEP_MS, 'the silent TCP connection');

  // Served while the silent one waits: a WebSocket client (node's ws over TLS) and /health.
  const honest = await Client.connect(relay.url, { ca: fs.readFileSync(ca) });
  const topic = randomTopic();
  await honest.subscribe(topic);
  assert.equal(await honest.publish(topic, 'over wss'), true);
  const health = await relay.get('/health');
  assert.equal(health.status, 200, health.body);
  await honest.close();

  // The relay drops the silent one (its handshake has the HTTP request's 10 s bound) and says so.
  await within(dropped, STEP_MS, 'the relay dropping a client that never handshakes');
  await until(() => /tls handshake failed.*timed out/.test(relay.log()), STEP_MS, 'the handshake timeout in the log');
});
