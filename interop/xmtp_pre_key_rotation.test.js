'use strict';
// Device removal's new pre-key (XmtpNode::rotate_pre_key, run on a keylink CLI home by
// xmtp_rotate_pre_key) against real xmtp-js 13.0.4 Clients on keylink-relay: a Client that fetches the
// contact afterwards gets the new pre-key and starts a conversation the home reads; a Client that
// fetched it before keeps the old bundle (xmtp-js caches contacts for its lifetime) until it forgets it,
// and what it seals to the old pre-key still reads, since the home keeps its older pre-keys. What
// xmtp-js does not do: order contact bundles by their signed creation times. It takes the newest
// envelope whose bundle the wallet signed, so the old bundle republished later by anyone wins again
// there (keylink's find_contact refuses that: xmtp_node_test.cc).
// Needs KEYLINK_RELAY, KEYLINK_CLI, KEYLINK_ROTATE_PRE_KEY, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { contact: contactProto } = require('@xmtp/proto');
const { privateKeyToAccount } = require('viem/accounts');
const xmtp = require('@xmtp/xmtp-js');
const { within } = require('./relay_process');
const { PASSPHRASE } = require('./keylink_cli');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');

const fixture = new XmtpCliFixture();
const run = (party, args) => fixture.run(party, args);
const xmtpClient = () => fixture.xmtpClient(privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const preKeyOf = (bundle) => hex(bundle.preKey.secp256k1Uncompressed.bytes);

// Runs xmtp_rotate_pre_key on the home; returns the new pre-key it printed (hex).
async function rotatePreKey(home) {
  const program = process.env.KEYLINK_ROTATE_PRE_KEY;
  assert.ok(program, 'set KEYLINK_ROTATE_PRE_KEY to the xmtp_rotate_pre_key program');
  const child = spawn(program, [home.dir, fixture.relay.url], { env: { ...process.env, KEYLINK_PASSPHRASE: PASSPHRASE } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const code = await within(new Promise((resolve) => child.on('exit', resolve)), STEP_MS, 'rotate_pre_key');
  assert.equal(code, 0, stderr);
  assert.match(stdout.trim(), /^04[0-9a-f]{128}$/);
  return stdout.trim();
}

async function readChat(party, peer) {
  return JSON.parse((await run(party, ['chat', 'read', peer, '--json'])).stdout).map((m) => [m.sender, m.text]);
}

before(() => fixture.start());
after(() => fixture.stop());

let rotated;  // what the first test leaves for the second: { alice, aliceAddress, oldBundle, newPreKey }

test('after a new pre-key xmtp-js fetches it and invites to it; what was sealed before still reads', async () => {
  const alice = fixture.home('alice');
  await run(alice, ['chat', 'list']);  // makes the identity and publishes its contact
  const aliceAddress = JSON.parse((await run(alice, ['account', 'show', '--json'])).stdout).address;

  // Bob fetches Alice's contact before the rotation and starts a conversation with it.
  const bob = await xmtpClient();
  const oldBundle = await within(bob.getUserContact(aliceAddress), STEP_MS, 'Bob fetches the contact');
  const oldPreKey = preKeyOf(oldBundle);
  const before = await within(bob.conversations.newConversation(aliceAddress), STEP_MS, 'Bob starts');
  await within(before.send('sealed to the old pre-key'), STEP_MS, 'Bob sends');

  const newPreKey = await rotatePreKey(alice);
  assert.notEqual(newPreKey, oldPreKey);

  // A Client that fetches the contact now gets the new pre-key, whichever bundle (V1 or V2) it takes.
  const carol = await xmtpClient();
  const fetched = await within(carol.getUserContact(aliceAddress), STEP_MS, 'Carol fetches the contact');
  assert.equal(preKeyOf(fetched), newPreKey);
  // Bob's Client keeps the bundle it fetched before (knownPublicKeyBundles) until it forgets it.
  assert.equal(preKeyOf(await bob.getUserContact(aliceAddress)), oldPreKey);
  bob.forgetContact(aliceAddress);
  assert.equal(preKeyOf(await within(bob.getUserContact(aliceAddress), STEP_MS, 'Bob fetches again')), newPreKey);

  const after = await within(carol.conversations.newConversation(aliceAddress), STEP_MS, 'Carol starts');
  await within(after.send('sealed to the new pre-key'), STEP_MS, 'Carol sends');

  assert.deepEqual(await readChat(alice, carol.address), [[carol.address, 'sealed to the new pre-key']]);
  assert.deepEqual(await readChat(alice, bob.address), [[bob.address, 'sealed to the old pre-key']]);

  // The home answers with its new bundle: Carol reads the reply as from Alice's address.
  await run(alice, ['chat', 'send', carol.address, 'answered after the rotation']);
  const answered = await within((async () => {
    for (;;) {
      const messages = await after.messages();
      if (messages.length === 2) return messages;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), STEP_MS, 'Carol reads the answer');
  assert.equal(answered[1].content, 'answered after the rotation');
  assert.equal(answered[1].senderAddress, aliceAddress);
  console.log(`xmtp-js took a ${fetched.constructor.name} contact and made a ${after.constructor.name}`);
  rotated = { alice, aliceAddress, oldBundle, newPreKey };
});

test('xmtp-js takes the old bundle again when anyone republishes it later', async () => {
  assert.ok(rotated, 'the first test rotated a home');
  const { alice, aliceAddress, oldBundle, newPreKey } = rotated;
  const mallory = await xmtpClient();
  const kind = oldBundle instanceof xmtp.PublicKeyBundle
    ? { v1: { keyBundle: oldBundle } }
    : { v2: { keyBundle: oldBundle } };
  await within(mallory.publishEnvelopes([{
    contentTopic: xmtp.buildUserContactTopic(aliceAddress),
    message: contactProto.ContactBundle.encode(kind).finish(),
    timestamp: new Date(Date.now() + 1000),
  }]), STEP_MS, 'Mallory republishes the old bundle');

  const dave = await xmtpClient();
  const fetched = await within(dave.getUserContact(aliceAddress), STEP_MS, 'Dave fetches the contact');
  assert.equal(preKeyOf(fetched), preKeyOf(oldBundle));
  assert.notEqual(preKeyOf(fetched), newPreKey);
  // Sealed to the old pre-key, which the home kept (and so did every device removed since it was made).
  const conversation = await within(dave.conversations.newConversation(aliceAddress), STEP_MS, 'Dave starts');
  await within(conversation.send('sealed to the replayed bundle'), STEP_MS, 'Dave sends');
  assert.deepEqual(await readChat(alice, dave.address), [[dave.address, 'sealed to the replayed bundle']]);
});
