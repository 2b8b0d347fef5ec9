'use strict';
// One wallet, one messaging identity, whichever client made it: the keylink CLI and a real xmtp-js 13
// Client, both on keylink-relay, share the identity through its backup on the private store topic.
// - keylink makes the identity (first chat command): xmtp-js Client.create with the same wallet loads it;
// - xmtp-js makes it: `keylink account restore` with the wallet's phrase adopts it at the first chat command;
// and consent decisions (private preferences topic, self-encrypted) made by either are read by the other.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { mnemonicToAccount } = require('viem/accounts');
const { within } = require('./relay_process');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');

// Two published BIP39 test phrases (Hardhat's, and the BIP39 spec's all-"abandon" one).
const PHRASES = [
  'test test test test test test test test test test test junk',
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
];

const fixture = new XmtpCliFixture();
const run = (home, args) => fixture.run(home, args);
const xmtpClient = (phrase) => fixture.xmtpClient(mnemonicToAccount(phrase));

function identityKeyOf(client) {
  return Buffer.from(client.publicKeyBundle.identityKey.secp256k1Uncompressed.bytes).toString('hex');
}

before(() => fixture.start());
after(() => fixture.stop());

test('an identity keylink made is the one xmtp-js loads for the same wallet', async () => {
  const home = await fixture.restore('keylink-first', PHRASES[0]);
  await run(home, ['chat', 'list']);  // makes the identity, backs it up, publishes the contact
  const shown = JSON.parse((await run(home, ['account', 'show', '--json'])).stdout);
  assert.equal(shown.address, mnemonicToAccount(PHRASES[0]).address);
  assert.match(shown.identity_key, /^04[0-9a-f]{128}$/);

  const client = await xmtpClient(PHRASES[0]);
  assert.equal(client.address, shown.address);
  assert.equal(identityKeyOf(client), shown.identity_key);
});

test('consent recorded by either client of the identity is read by the other', async () => {
  const home = fixture.homes[0];  // the first test's: keylink and xmtp-js hold the same identity
  const client = await xmtpClient(PHRASES[0]);
  const spammer = mnemonicToAccount(PHRASES[1], { addressIndex: 7 }).address;
  const friend = mnemonicToAccount(PHRASES[1], { addressIndex: 8 }).address;

  await run(home, ['contacts', 'deny', spammer]);
  await within(client.contacts.refreshConsentList(), STEP_MS, 'refreshConsentList');
  assert.equal(client.contacts.consentState(spammer), 'denied');

  await within(client.contacts.allow([friend]), STEP_MS, 'contacts.allow');
  const listed = JSON.parse((await run(home, ['contacts', '--json'])).stdout);
  const consent = Object.fromEntries(listed.map((c) => [c.address, c.consent]));
  assert.equal(consent[friend], 'allowed', JSON.stringify(listed));
  assert.equal(consent[spammer], 'denied', JSON.stringify(listed));
});

test('an identity xmtp-js made is the one keylink adopts for the same wallet', async () => {
  const client = await xmtpClient(PHRASES[1]);
  const home = await fixture.restore('xmtp-first', PHRASES[1]);
  const before = JSON.parse((await run(home, ['account', 'show', '--json'])).stdout);
  assert.equal(before.identity_key, null);  // account show only reads the home
  const listed = await run(home, ['chat', 'list']);
  assert.match(listed.stderr, /Restored this wallet's messaging identity/);
  const shown = JSON.parse((await run(home, ['account', 'show', '--json'])).stdout);
  assert.equal(shown.address, client.address);
  assert.equal(shown.identity_key, identityKeyOf(client));
});
