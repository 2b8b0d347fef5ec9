'use strict';
// An attacker with the real @xmtp/xmtp-js 13.0.4 against a keylink CLI home (the victim, Alice) that
// converses with another real xmtp-js Client (Bob), all on one keylink-relay. The attacker is a stranger
// who can publish anything to any topic and knows what the relay shows (topics travel in the clear in
// each envelope). Each attack must be refused alone, and Alice's conversation with Bob stay as it was
// and readable, both ways.
// The relay runs without its publish rate limit: the flood case publishes 100,000 envelopes.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const xmtp = require('@xmtp/xmtp-js');
const { privateKeyToAccount } = require('viem/accounts');
const { within } = require('./relay_process');
const { contact: contactProto } = require('@xmtp/proto');
const { RelayApiClient, relayTopic, relayPayload, XMTP_TTL_SECONDS, XMTP_RELAY_TAG } = require('./xmtp_api_client');
const e2e = require('../tests/e2e/client.js');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');

const fixture = new XmtpCliFixture();
const run = (party, args) => fixture.run(party, args);
const newAccount = () => privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`);

async function until(what, check) {
  return within((async () => {
    for (;;) {
      const value = await check();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), STEP_MS, what);
}

const listChats = async (party) => JSON.parse((await run(party, ['chat', 'list', '--json'])).stdout);
const readChat = async (party, peer) => JSON.parse((await run(party, ['chat', 'read', peer, '--json'])).stdout);

// A stranger: a wallet, the XMTP keys xmtp-js makes for it (never published), and a relay connection.
async function stranger() {
  const account = newAccount();
  const wallet = { getAddress: async () => account.address, signMessage: (message) => account.signMessage({ message }) };
  const v1 = await xmtp.PrivateKeyBundleV1.generate(wallet);
  const api = new RelayApiClient(fixture.relay.url);
  fixture.apiClients.push(api);
  return { address: account.address, v1, v2: xmtp.PrivateKeyBundleV2.fromLegacyBundle(v1), api };
}

// Alice (keylink) and Bob (xmtp-js) with one message each way on their conversation.
async function conversing(name) {
  const bob = await fixture.xmtpClient(newAccount());
  const alice = fixture.home(name);
  await run(alice, ['chat', 'list']);
  const aliceAddress = JSON.parse((await run(alice, ['account', 'show', '--json'])).stdout).address;
  await run(alice, ['chat', 'send', bob.address, 'hello bob']);
  const conversation = await until('Bob finds the conversation', async () =>
    (await bob.conversations.list()).find((c) => c.peerAddress === aliceAddress));
  await within(conversation.send('hello alice'), STEP_MS, 'Bob answers');
  return { alice, aliceAddress, bob, conversation };
}

// The conversation is Bob's, shows both messages, and a new message from Alice opens at Bob.
async function stillBobs({ alice, bob, conversation }, text) {
  const listed = await listChats(alice);
  assert.deepEqual(listed.map((c) => [c.peer, c.topic]), [[bob.address, conversation.topic]]);
  const read = await readChat(alice, bob.address);
  assert.deepEqual(read.slice(0, 2).map((m) => m.text), ['hello bob', 'hello alice']);
  await run(alice, ['chat', 'send', bob.address, text]);
  await until(`Bob reads "${text}"`, async () => (await conversation.messages()).some((m) => m.content === text));
}

// Alice's signed bundle as any XMTP client finds it on her contact topic.
async function bundleOf(client, address) {
  const contact = await within(client.getUserContact(address), STEP_MS, 'getUserContact');
  assert.ok(contact, `no contact of ${address}`);
  return contact instanceof xmtp.SignedPublicKeyBundle ? contact : xmtp.SignedPublicKeyBundle.fromLegacyBundle(contact);
}

// Envelopes with whatever timestamp the stranger likes, in irn_batchPublish frames of 500 (the relay's
// --max-batch), on one connection of its own.
async function publishRaw(envelopes) {
  const client = await e2e.Client.connect(fixture.relay.url);
  try {
    for (let i = 0; i < envelopes.length; i += 500) {
      const messages = envelopes.slice(i, i + 500).map((envelope) => ({
        topic: relayTopic(envelope.contentTopic), message: relayPayload(envelope), ttl: XMTP_TTL_SECONDS,
        tag: XMTP_RELAY_TAG }));
      assert.equal(await client.request('irn_batchPublish', { messages }, STEP_MS), true);
    }
  } finally {
    await client.close();
  }
}

before(() => fixture.start(['--publish-rate', '0']));
after(() => fixture.stop());

test('an invitation of a stranger to a known topic is refused, whatever its date', async () => {
  const party = await conversing('alice-topic');
  const mallory = await stranger();
  const aliceBundle = await bundleOf(party.bob, party.aliceAddress);
  // Dated 1 ms (older than the real invitation: it used to win), now, and an hour ago.
  for (const created of [new Date(1), new Date(), new Date(Date.now() - 3600 * 1000)]) {
    const invitation = new xmtp.InvitationV1({
      topic: party.conversation.topic,
      context: undefined,
      aes256GcmHkdfSha256: { keyMaterial: crypto.randomBytes(32) },
      consentProof: undefined,
    });
    const sealed = await xmtp.SealedInvitation.createV1({ sender: mallory.v2, recipient: aliceBundle, created, invitation });
    await mallory.api.publish([{ contentTopic: xmtp.buildUserInviteTopic(party.aliceAddress), message: sealed.toBytes(),
      timestamp: created }]);
  }
  await stillBobs(party, 'after the stranger');
});

test('envelopes dated 2^63 ns, 2^64 - 1 ns or a century ahead are refused alone', async () => {
  const party = await conversing('alice-dates');
  const century = (BigInt(Date.now()) + 100n * 365n * 24n * 3600n * 1000n) * 1000000n;
  const junk = (text) => new TextEncoder().encode(text);
  const envelopes = [];
  for (const timestampNs of [2n ** 63n, 2n ** 64n - 1n, century]) {
    envelopes.push({ contentTopic: party.conversation.topic, timestampNs: timestampNs.toString(), message: junk('dated') });
    envelopes.push({ contentTopic: xmtp.buildUserInviteTopic(party.aliceAddress), timestampNs: timestampNs.toString(),
      message: junk('dated') });
  }
  await publishRaw(envelopes);
  // Bob's next message is read, however far ahead the junk said it was.
  await within(party.conversation.send('after the dates'), STEP_MS, 'Bob sends');
  const read = await readChat(party.alice, party.bob.address);
  assert.deepEqual(read.map((m) => m.text), ['hello bob', 'hello alice', 'after the dates']);
  await stillBobs(party, 'answer after the dates');
});

test('100,000 junk envelopes on the invite topic: each refused, every command succeeds, the chat stays', async () => {
  const party = await conversing('alice-flood');
  const invites = xmtp.buildUserInviteTopic(party.aliceAddress);
  const envelopes = [];
  for (let i = 0; i < 100000; i++) {
    envelopes.push({ contentTopic: invites, timestampNs: (BigInt(Date.now()) * 1000000n + BigInt(i)).toString(),
      message: crypto.randomBytes(24) });
  }
  await publishRaw(envelopes);
  // A command reads a bounded part of the flood and carries on at the next: each one succeeds.
  await stillBobs(party, 'after the flood');
  // And a real invitation after the flood arrives once the commands have read past it.
  const carol = await fixture.xmtpClient(newAccount());
  const withCarol = await within(carol.conversations.newConversation(party.aliceAddress), STEP_MS, 'newConversation');
  await within(withCarol.send('from carol'), STEP_MS, 'Carol sends');
  let listed = [];
  for (let i = 0; i < 12 && !listed.some((c) => c.peer === carol.address); i++) listed = await listChats(party.alice);
  assert.ok(listed.some((c) => c.peer === carol.address), JSON.stringify(listed));
  assert.ok(listed.some((c) => c.peer === party.bob.address && c.topic === party.conversation.topic));
});

test('an older bundle of a wallet, republished later, does not replace its current one', async () => {
  const bobAccount = newAccount();
  const bobWallet = { getAddress: async () => bobAccount.address,
    signMessage: (message) => bobAccount.signMessage({ message }) };
  // Bob's first keys, never used, then the identity his client makes (later, so newer).
  const old = await xmtp.PrivateKeyBundleV1.generate(bobWallet);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const bob = await fixture.xmtpClient(bobAccount);
  // The stranger republishes the old bundle, in both forms, stamped now.
  const mallory = await stranger();
  const oldBundle = old.getPublicKeyBundle();
  const contactTopic = xmtp.buildUserContactTopic(bob.address);
  await mallory.api.publish([
    { contentTopic: contactTopic, message: contactProto.ContactBundle.encode({ v1: { keyBundle: oldBundle } }).finish() },
    { contentTopic: contactTopic, message: contactProto.ContactBundle.encode({
      v2: { keyBundle: xmtp.SignedPublicKeyBundle.fromLegacyBundle(oldBundle) } }).finish() },
  ]);
  // Alice writes to Bob: his current keys get it.
  const alice = fixture.home('alice-bundle');
  await run(alice, ['chat', 'send', bob.address, 'to your current keys']);
  const conversation = await until('Bob finds the conversation', async () => (await bob.conversations.list())[0]);
  const messages = await conversation.messages();
  assert.deepEqual(messages.map((m) => m.content), ['to your current keys']);
});
