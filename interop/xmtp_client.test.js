'use strict';
// Two real xmtp-js 13.0.4 Clients whose only network is keylink-relay, through xmtp_api_client.js (the
// XMTP <-> relay mapping the C++ side uses: include/keylink/wire/xmtp/relay_mapping.h). Each creates its
// identity (keys backed up to the private store topic, contact published), Alice starts a conversation,
// and they exchange messages both ways: listed from history (keylink_query) and streamed live
// (irn_subscribe). Needs KEYLINK_RELAY and NODE_PATH=interop/node_modules (for tests/e2e/client.js).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const xmtp = require('@xmtp/xmtp-js');
const { privateKeyToAccount } = require('viem/accounts');
const { Relay, within } = require('./relay_process');
const { RelayApiClient, relayTopic, relayPayload, decodeEnvelope, XMTP_RELAY_TAG } = require('./xmtp_api_client');
const e2e = require('../tests/e2e/client.js');

const STEP_MS = 30000;  // a bound for hangs, not a timing check

let relay;
const apiClients = [];
const dropped = [];

function wallet() {
  const account = privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`);
  return { getAddress: async () => account.address, signMessage: (message) => account.signMessage({ message }) };
}

async function createClient() {
  return within(xmtp.Client.create(wallet(), {
    env: 'local',
    apiClientFactory: () => {
      const api = new RelayApiClient(relay.url, { log: (line) => dropped.push(line) });
      apiClients.push(api);
      return api;
    },
    skipContactPublishing: false,  // the other side finds the contact on the relay
    persistConversations: false,
  }), STEP_MS, 'Client.create');
}

// The next value of an async iterator, bounded.
function next(stream, what) {
  return within(stream.next(), STEP_MS, what).then((result) => {
    assert.notEqual(result.done, true, `${what}: the stream ended`);
    return result.value;
  });
}

before(async () => {
  relay = await Relay.start(['--store', 'memory']);
});

after(async () => {
  for (const api of apiClients) await api.close();
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
});

test('the mapping: an Envelope as xmtp-js publishes it is kept under hex(sha256(topic)) with the tag', async () => {
  const log = [];
  const api = new RelayApiClient(relay.url, { log: (line) => log.push(line) });
  apiClients.push(api);
  const contentTopic = `/xmtp/0/m-${crypto.randomBytes(8).toString('hex')}/proto`;
  const sent = new Date(1700000000123);
  await api.publish([{ contentTopic, message: Uint8Array.from([1, 2, 3]), timestamp: sent }]);
  const raw = await e2e.Client.connect(relay.url);
  try {
    const page = await raw.request('keylink_query', { topic: relayTopic(contentTopic) });
    assert.equal(page.messages.length, 1);
    assert.equal(page.messages[0].tag, XMTP_RELAY_TAG);
    const envelope = decodeEnvelope(Buffer.from(page.messages[0].message, 'base64'));
    assert.deepEqual(envelope, { contentTopic, timestampNs: '1700000000123000000', message: Uint8Array.from([1, 2, 3]) });
    assert.equal(page.messages[0].message, relayPayload(envelope));
    // Hand-made bytes agree with the C++ test vector (src/wire/xmtp/relay_mapping_test.cc).
    assert.equal(relayPayload({ contentTopic: '/xmtp/0/m-0123456789abcdef/proto', timestampNs: '1700000000123456789',
      message: Uint8Array.from([1, 2, 3]) }), 'CiAveG10cC8wL20tMDEyMzQ1Njc4OWFiY2RlZi9wcm90bxCVmpfs45/nyxcaAwECAw==');
    assert.equal(relayTopic('/xmtp/0/m-0123456789abcdef/proto'),
      '7f05ce9ff0afecd789ba10ba5fcf4bd5e62474c5e4dca60d011f47f71130f122');

    // Paging both ways, with time bounds, and an envelope for another topic dropped.
    for (let i = 0; i < 25; i++) {
      await api.publish([{ contentTopic, message: Buffer.from(`p${i}`), timestamp: new Date(1700000001000 + i) }]);
    }
    await raw.publish(relayTopic(contentTopic), relayPayload({ contentTopic: '/xmtp/0/other/proto', timestampNs: '1',
      message: Buffer.from('stray') }), { ttl: 2592000 });
    const text = (envelopes) => envelopes.map((e) => Buffer.from(e.message).toString());
    const all = await api.query({ contentTopic }, { pageSize: 7 });
    assert.equal(all.length, 26);
    assert.deepEqual(text(all.slice(1)), Array.from({ length: 25 }, (_, i) => `p${i}`));
    const down = await api.query({ contentTopic }, { direction: xmtp.SortDirection.SORT_DIRECTION_DESCENDING,
      pageSize: 10, limit: 5 });
    assert.deepEqual(text(down), ['p24', 'p23', 'p22', 'p21', 'p20']);
    assert.ok(log.some((line) => line.includes('envelope for /xmtp/0/other/proto')), log.join('\n'));
    const [batch] = await api.batchQuery([{ contentTopic, pageSize: 3 }]);
    assert.equal(batch.length, 3);
    const ranged = await api.query({ contentTopic, startTime: new Date(1700000001005),
      endTime: new Date(1700000001009) }, {});
    assert.equal(ranged.length, 0, 'the relay selects on when it received them (now), not on timestampNs');

    // A new subscriber gets only what comes after it subscribed (the relay would deliver the backlog).
    const listener = new RelayApiClient(relay.url);
    apiClients.push(listener);
    const streamed = [];
    await new Promise((resolve) => setTimeout(resolve, 5));  // subscribe in a later millisecond than the backlog's
    const subscription = listener.subscribe({ contentTopics: [contentTopic] }, (envelope) => streamed.push(envelope));
    await api.publish([{ contentTopic, message: Buffer.from('live') }]);
    await within((async () => { while (streamed.length === 0) await new Promise((r) => setTimeout(r, 10)); })(),
      STEP_MS, 'the live envelope');
    // The relay delivers a topic's messages in publish order: any backlog would have come first.
    assert.deepEqual(text(streamed), ['live']);
    await subscription.unsubscribe();
  } finally {
    await raw.close();
  }
});

test('two xmtp-js clients talk through keylink-relay: history and live streams, both ways', async () => {
  const alice = await createClient();
  const bob = await createClient();
  assert.equal(await within(alice.canMessage(bob.address), STEP_MS, 'canMessage'), true);

  // Bob streams new conversations before Alice starts one.
  const incoming = await bob.conversations.stream();
  const conversationId = 'keylink.dev/interop/' + crypto.randomBytes(4).toString('hex');
  const aliceSide = await within(alice.conversations.newConversation(bob.address,
    { conversationId, metadata: {} }), STEP_MS, 'newConversation');
  const bobSide = await next(incoming, 'Bob: the new conversation');
  await incoming.return();
  assert.equal(bobSide.topic, aliceSide.topic);
  assert.equal(bobSide.peerAddress, alice.address);
  assert.equal(bobSide.context?.conversationId, conversationId);

  // Live: each side streams the conversation, and each message arrives on the other side's stream.
  const bobStream = await bobSide.streamMessages();
  const aliceStream = await aliceSide.streamMessages();
  await within(aliceSide.send('hello from alice'), STEP_MS, 'Alice sends');
  let got = await next(bobStream, 'Bob streams Alice\'s message');
  assert.equal(got.content, 'hello from alice');
  assert.equal(got.senderAddress, alice.address);
  // Alice's stream sees her own message too, as on the XMTP network.
  assert.equal((await next(aliceStream, 'Alice streams her own message')).content, 'hello from alice');

  await within(bobSide.send('hello from bob'), STEP_MS, 'Bob sends');
  got = await next(aliceStream, 'Alice streams Bob\'s message');
  assert.equal(got.content, 'hello from bob');
  assert.equal(got.senderAddress, bob.address);
  await bobStream.return();
  await aliceStream.return();

  // History: both sides list the same two messages in order, and Bob finds the conversation by listing.
  for (const [who, conversation] of [['Alice', aliceSide], ['Bob', bobSide]]) {
    const messages = await within(conversation.messages(), STEP_MS, `${who} lists messages`);
    assert.deepEqual(messages.map((m) => m.content), ['hello from alice', 'hello from bob'], who);
  }
  const listed = await within(bob.conversations.list(), STEP_MS, 'Bob lists conversations');
  assert.ok(listed.some((c) => c.topic === aliceSide.topic));
  const newest = await bobSide.messages({ direction: xmtp.SortDirection.SORT_DIRECTION_DESCENDING, limit: 1 });
  assert.deepEqual(newest.map((m) => m.content), ['hello from bob']);

  // A client that starts after the messages were sent does not stream them again (XMTP: only new ones).
  const laterStream = await bobSide.streamMessages();
  await within(aliceSide.send('third'), STEP_MS, 'Alice sends a third');
  assert.equal((await next(laterStream, 'Bob streams only the new message')).content, 'third');
  await laterStream.return();
});
