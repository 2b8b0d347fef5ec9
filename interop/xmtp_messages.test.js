'use strict';
// Interop: keylink's XMTP V1 messages, content types, compression, self-encryption and private
// preferences (through the xmtp_peer program, ops in xmtp_peer_messages.cc) against the real
// @xmtp/xmtp-js 13.0.4 and the @xmtp/content-type-* codecs it uses, in both directions, over random cases.
//
//   KEYLINK_XMTP_PEER=build/interop/xmtp_peer node --test interop/xmtp_messages.test.js
// KEYLINK_INTEROP_SEED and KEYLINK_INTEROP_CASES: see xmtp_cases.js.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const xmtp = require('@xmtp/xmtp-js');
const proto = require('@xmtp/proto');
const { TextCodec, ContentTypeText } = require('@xmtp/content-type-text');
const { ReactionCodec, ContentTypeReaction } = require('@xmtp/content-type-reaction');
const { ReplyCodec, ContentTypeReply } = require('@xmtp/content-type-reply');
const { CASES, hex, unhex, runCases, setUp, pair: pairOf } = require('./xmtp_cases');

const shared = setUp();
const { identities } = shared;
const pair = (rnd) => pairOf(rnd, identities);
let peer;
before(() => { peer = shared.peer; });

// xmtp-js Client's own encodeContent / decodeContent (codec lookup, fallback, compression with its
// 1000-byte decompression limit), on a Client that never connects.
const client = Object.create(xmtp.Client.prototype);
client._codecs = new Map();
for (const codec of [new TextCodec(), new ReactionCodec(), new ReplyCodec()]) {
  client._codecs.set(`${codec.contentType.authorityId}/${codec.contentType.typeId}`, codec);
}

const WIRE_BAD_VERSION = 3;
const WIRE_TOO_LARGE = 2;

const randomText = (rnd, max = 80) => {
  const pieces = ['a', 'Z', ' ', '0', 'é', 'ß', '😀', '👍🏽', '中文', '"', '\\', '\n', '\t', '\u0001', '/', '{"x":1}', '\u2028'];
  let text = '';
  const n = rnd.int(0, max);
  for (let i = 0; i < n; i++) text += rnd.pick(pieces);
  return text;
};

// ---------- V1 messages --------------------------------------------------------------------------

test('V1 messages: sealed by xmtp-js open in keylink on both sides, and the other way', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const [a, b] = pair(rnd);
    const third = identities.find((who) => who !== a && who !== b);
    const payload = rnd.bytes(rnd.chance(0.1) ? 0 : rnd.int(1, 2000));
    const timestamp = 1_600_000_000_000 + rnd.int(0, 2e11);
    Object.assign(input, { a: a.address, b: b.address, payload: hex(payload), timestamp });

    // xmtp-js seals (A to B); keylink opens as the recipient and as the sender.
    const js = await xmtp.MessageV1.encode(a.keystore, payload, a.v1.getPublicKeyBundle(), b.v1.getPublicKeyBundle(),
      new Date(timestamp));
    const jsBytes = hex(js.toBytes());
    for (const reader of [b, a]) {
      const opened = await peer.ok({ op: 'open_message_v1', privateBundle: hex(reader.v1.encode()), message: jsBytes });
      assert.equal(opened.payload, hex(payload), 'keylink opened an xmtp-js V1 message to other bytes');
      assert.equal(opened.bytes, jsBytes, 'Message{v1} re-encoding differs');
      assert.equal(opened.timestamp, String(timestamp));
      assert.equal(opened.senderWallet, a.address, 'sender wallet');
    }
    await peer.refused({ op: 'open_message_v1', privateBundle: hex(third.v1.encode()), message: jsBytes });

    // keylink seals (A to B); xmtp-js reads the header and opens it on both sides.
    const ours = await peer.ok({ op: 'seal_message_v1', privateBundle: hex(a.v1.encode()),
      recipient: hex(b.v1.getPublicKeyBundle().toBytes()), payload: hex(payload), timestamp: String(timestamp) });
    const message = await xmtp.MessageV1.fromBytes(unhex(ours.message));
    assert.equal(message.senderAddress, a.address, 'xmtp-js sender address of a keylink message');
    assert.equal(message.recipientAddress, b.address, 'xmtp-js recipient address of a keylink message');
    assert.equal(message.sent.getTime(), timestamp);
    for (const reader of [b, a]) {
      const plain = await message.decrypt(reader.keystore, reader.v1.getPublicKeyBundle());
      assert.equal(hex(plain), hex(payload), 'xmtp-js opened a keylink V1 message to other bytes');
    }

    // Another header (the AAD) over the same ciphertext: refused by both.
    const header = proto.message.MessageHeaderV1.decode(js.headerBytes);
    header.timestamp = header.timestamp.add(rnd.int(1, 1000));
    const tampered = proto.message.Message.encode({ v1: { headerBytes: proto.message.MessageHeaderV1.encode(header).finish(),
      ciphertext: js.ciphertext } }).finish();
    await peer.refused({ op: 'open_message_v1', privateBundle: hex(b.v1.encode()), message: hex(tampered) });
    const ourMessage = proto.message.Message.decode(unhex(ours.message));
    const ourHeader = proto.message.MessageHeaderV1.decode(ourMessage.v1.headerBytes);
    ourHeader.timestamp = ourHeader.timestamp.add(1);
    const response = await b.keystore.decryptV1({ requests: [{ payload: ourMessage.v1.ciphertext,
      peerKeys: ourHeader.sender, headerBytes: proto.message.MessageHeaderV1.encode(ourHeader).finish(), isSender: false }] });
    assert.ok(response.responses[0].error, 'xmtp-js opened a keylink message under a tampered header');
  }, 11);
});

test('V1 and V2 messages are kept apart', async () => {
  const [a, b] = identities;
  const js = await xmtp.MessageV1.encode(a.keystore, new Uint8Array([1]), a.v1.getPublicKeyBundle(),
    b.v1.getPublicKeyBundle(), new Date());
  const v2 = proto.message.Message.encode({ v2: { headerBytes: proto.message.MessageHeaderV2.encode({
    createdNs: xmtp.dateToNs(new Date()), topic: '/xmtp/0/m-00/proto' }).finish(), ciphertext: js.ciphertext } }).finish();
  const refused = await peer.refused({ op: 'open_message_v1', privateBundle: hex(b.v1.encode()), message: hex(v2) });
  assert.equal(refused.code, WIRE_BAD_VERSION);
  const asV2 = await peer.refused({ op: 'reencode', type: 'MessageV2', bytes: hex(js.toBytes()) });
  assert.equal(asV2.code, WIRE_BAD_VERSION);
});

// ---------- content types ------------------------------------------------------------------------

const randomContent = (rnd) => {
  const kind = rnd.pick(['text', 'reaction', 'reply']);
  const reference = rnd.chance(0.9) ? hex(rnd.bytes(32)) : randomText(rnd, 10);
  const inbox = rnd.chance(0.3) ? (rnd.chance(0.1) ? '' : hex(rnd.bytes(32))) : undefined;
  if (kind === 'text') return { kind, value: randomText(rnd, 300), contentType: ContentTypeText };
  if (kind === 'reaction') {
    const value = { reference, action: rnd.pick(['added', 'removed']), schema: rnd.pick(['unicode', 'shortcode', 'custom']),
      content: rnd.pick(['👍', '❤️', ':smile:', randomText(rnd, 20)]) };
    if (inbox !== undefined) value.referenceInboxId = inbox;
    return { kind, value, contentType: ContentTypeReaction };
  }
  const value = { reference, content: randomText(rnd, 200), contentType: ContentTypeText };
  if (inbox !== undefined) value.referenceInboxId = inbox;
  return { kind, value, contentType: ContentTypeReply };
};

// The request that makes keylink encode the same value.
const encodeRequest = ({ kind, value }) => {
  if (kind === 'text') return { op: 'encode_content', kind, text: value };
  if (kind === 'reaction') return { op: 'encode_content', kind, reaction: value };
  return { op: 'encode_content', kind, reply: { reference: value.reference, referenceInboxId: value.referenceInboxId, text: value.content } };
};

test('content types: xmtp-js codec bytes decode in keylink; keylink writes the same bytes, which xmtp-js decodes', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const item = randomContent(rnd);
    Object.assign(input, item);
    const { payload } = await client.encodeContent(item.value, { contentType: item.contentType });
    // ts-proto leaves an empty map value out of its entry, libprotobuf writes it: with an empty parameter
    // (a reply to an empty reference) the bytes differ, the values do not.
    const sameBytes = Object.values(proto.content.EncodedContent.decode(payload).parameters).every((v) => v !== '');
    const decoded = await peer.ok({ op: 'decode_content', bytes: hex(payload) });
    if (sameBytes) assert.equal(decoded.bytes, hex(payload), 'EncodedContent re-encoding differs');
    assert.equal(decoded.type, item.contentType.toString());
    const js = await client.decodeContent(payload);
    assert.equal(decoded.fallback, js.contentFallback, 'fallback');
    if (item.kind === 'text') {
      assert.equal(decoded.text, item.value);
    } else if (item.kind === 'reaction') {
      assert.deepEqual(decoded.reaction, JSON.parse(JSON.stringify(item.value)));
    } else {
      assert.equal(decoded.reply.reference, item.value.reference);
      assert.equal(decoded.reply.referenceInboxId, item.value.referenceInboxId || undefined);
      assert.equal(decoded.reply.text, item.value.content);
    }

    const ours = await peer.ok(encodeRequest(item));
    if (sameBytes) assert.equal(ours.bytes, hex(payload), 'keylink encodes other bytes than xmtp-js');
    const back = await client.decodeContent(unhex(ours.bytes));
    assert.equal(back.error, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(back.content)), JSON.parse(JSON.stringify(js.content)));
  }, 12);
});

test('content types: legacy reactions and unknown encodings', async () => {
  const legacy = proto.content.EncodedContent.encode({ type: ContentTypeReaction,
    parameters: { encoding: 'UTF-8', action: 'removed', reference: 'ab', schema: 'shortcode' },
    content: new TextEncoder().encode(':tada:') }).finish();
  const js = await client.decodeContent(legacy);
  const ours = await peer.ok({ op: 'decode_content', bytes: hex(legacy) });
  assert.deepEqual(ours.reaction, JSON.parse(JSON.stringify(js.content)));
  const latin1 = proto.content.EncodedContent.encode({ type: ContentTypeText, parameters: { encoding: 'latin1' },
    content: new Uint8Array([0x61]) }).finish();
  await assert.rejects(client.decodeContent(latin1));
  await peer.refused({ op: 'decode_content', bytes: hex(latin1) });
});

test('text content with any bytes reads as xmtp-js reads it (TextDecoder)', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const pool = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xbb, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff];
    const bytes = Uint8Array.from({ length: rnd.int(0, 24) }, () => (rnd.chance(0.7) ? rnd.pick(pool) : rnd.int(0, 255)));
    if (rnd.chance(0.2)) bytes.set([0xef, 0xbb, 0xbf].slice(0, Math.min(3, bytes.length)));
    input.bytes = hex(bytes);
    const payload = proto.content.EncodedContent.encode({ type: ContentTypeText, parameters: { encoding: 'UTF-8' },
      content: bytes }).finish();
    const js = await client.decodeContent(payload);
    const ours = await peer.ok({ op: 'decode_content', bytes: hex(payload) });
    assert.equal(ours.text, js.content);
  }, 16);
});

test('compressed content: xmtp-js compression decodes in keylink; keylink compression decodes in xmtp-js', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const text = 'x'.repeat(rnd.int(0, 12)) + randomText(rnd, rnd.chance(0.5) ? 60 : 1500);
    const compression = rnd.pick([0, 1]);
    Object.assign(input, { text, compression });
    const { payload } = await client.encodeContent(text, { compression });
    const decoded = await peer.ok({ op: 'decode_content', bytes: hex(payload) });
    assert.equal(decoded.text, text, 'keylink inflated xmtp-js content to other text');

    const ours = await peer.ok({ op: 'encode_content', kind: 'text', text, compression });
    const size = Buffer.byteLength(text);
    if (size <= 1000) {
      const back = await client.decodeContent(unhex(ours.bytes));
      assert.equal(back.content, text, 'xmtp-js inflated keylink content to other text');
    } else {
      // xmtp-js 13 Client.decodeContent inflates at most 1000 bytes, whoever compressed it.
      await assert.rejects(client.decodeContent(unhex(ours.bytes)), /maximum output size exceeded/);
      await assert.rejects(client.decodeContent(payload), /maximum output size exceeded/);
      await peer.refused({ op: 'decode_content', bytes: ours.bytes, maxSize: 1000 });
    }
  }, 13);
});

test('compressed content: a zip bomb is refused at the limit', async () => {
  const zeros = new Uint8Array(6 * 1024 * 1024);
  const stream = new Blob([zeros]).stream().pipeThrough(new CompressionStream('gzip'));
  const bomb = new Uint8Array(await new Response(stream).arrayBuffer());
  const bytes = proto.content.EncodedContent.encode({ type: ContentTypeText, parameters: { encoding: 'UTF-8' },
    compression: proto.content.Compression.COMPRESSION_GZIP, content: bomb }).finish();
  assert.ok(bytes.length < 16 * 1024);
  const refused = await peer.refused({ op: 'decode_content', bytes: hex(bytes) });
  assert.equal(refused.code, WIRE_TOO_LARGE);
});

// ---------- self-encryption and private preferences ----------------------------------------------

test('self-encryption: the xmtp-js keystore and keylink open each other\'s; the topic identifier matches', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const [a, b] = pair(rnd);
    const plaintext = rnd.bytes(rnd.chance(0.1) ? 0 : rnd.int(1, 1500));
    Object.assign(input, { a: a.address, plaintext: hex(plaintext) });
    const bundle = hex(rnd.chance(0.5) ? a.v1.encode() : a.v2.encode());

    const sealed = await a.keystore.selfEncrypt({ requests: [{ payload: plaintext }] });
    const jsPayload = sealed.responses[0].result.encrypted;
    const opened = await peer.ok({ op: 'self_decrypt', privateBundle: bundle, payload: hex(jsPayload) });
    assert.equal(opened.plaintext, hex(plaintext), 'keylink opened an xmtp-js self-encryption to other bytes');
    await peer.refused({ op: 'self_decrypt', privateBundle: hex(b.v1.encode()), payload: hex(jsPayload) });

    const ours = await peer.ok({ op: 'self_encrypt', privateBundle: bundle, plaintext: hex(plaintext) });
    const back = await a.keystore.selfDecrypt({ requests: [{ payload: unhex(ours.payload) }] });
    assert.equal(back.responses[0].error, undefined, 'xmtp-js refused a keylink self-encryption');
    assert.equal(hex(back.responses[0].result.decrypted), hex(plaintext));
    const foreign = await b.keystore.selfDecrypt({ requests: [{ payload: unhex(ours.payload) }] });
    assert.ok(foreign.responses[0].error, 'another identity opened it');

    const { identifier } = await a.keystore.getPrivatePreferencesTopicIdentifier();
    const topic = await peer.ok({ op: 'preferences_topic', privateBundle: bundle });
    assert.equal(topic.identifier, identifier, 'private preferences topic identifier differs');
  }, 14);
});

const ACTION_KINDS = {
  allowAddress: 'walletAddresses', denyAddress: 'walletAddresses', allowGroup: 'groupIds', denyGroup: 'groupIds',
  allowInboxId: 'inboxIds', denyInboxId: 'inboxIds',
};

test('PrivatePreferencesAction: bytes round-trip both ways, also sealed as xmtp-js Contacts does', async (t) => {
  const Action = proto.privatePreferences.PrivatePreferencesAction;
  await runCases(t, CASES, async (rnd, input) => {
    const kind = rnd.pick(Object.keys(ACTION_KINDS));
    const count = rnd.int(0, 4);
    const entries = Array.from({ length: count }, () => (ACTION_KINDS[kind] === 'walletAddresses'
      ? (rnd.chance(0.5) ? rnd.pick(identities).address : `0x${hex(rnd.bytes(20))}`)
      : hex(rnd.bytes(rnd.int(1, 32)))));
    Object.assign(input, { kind, entries });
    const jsBytes = hex(Action.encode({ [kind]: { [ACTION_KINDS[kind]]: entries } }).finish());
    const decoded = await peer.ok({ op: 'reencode_preferences_action', bytes: jsBytes });
    assert.equal(decoded.bytes, jsBytes, 'PrivatePreferencesAction re-encoding differs');
    assert.equal(decoded.kind, kind);
    assert.deepEqual(decoded.entries, entries);

    const ours = await peer.ok({ op: 'encode_preferences_action', kind, entries });
    assert.equal(ours.bytes, jsBytes, 'keylink encodes other bytes than @xmtp/proto');
    assert.deepEqual(Action.decode(unhex(ours.bytes))[kind][ACTION_KINDS[kind]], entries);

    // What xmtp-js publishes to the private preferences topic: the action, self-encrypted.
    const who = rnd.pick(identities);
    const sealed = await who.keystore.selfEncrypt({ requests: [{ payload: unhex(jsBytes) }] });
    const opened = await peer.ok({ op: 'self_decrypt', privateBundle: hex(who.v1.encode()),
      payload: hex(sealed.responses[0].result.encrypted) });
    assert.equal(opened.plaintext, jsBytes);
  }, 15);
});
