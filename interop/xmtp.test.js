'use strict';
// Interop: keylink's XMTP v2 wire types and crypto (through the xmtp_peer program) against the real
// @xmtp/xmtp-js 13.0.4, in both directions, over random cases: AES-256-GCM-HKDF ciphertexts, key and
// bundle protobufs (decode then re-encode to the same bytes), 3DH secrets, V2 invitations (topic and
// key material, sealed by either side), V2 messages (signed content, both directions) and sender HMACs.
//
//   KEYLINK_XMTP_PEER=build/interop/xmtp_peer node --test interop/xmtp.test.js
// KEYLINK_INTEROP_SEED and KEYLINK_INTEROP_CASES: see xmtp_cases.js.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const xmtp = require('@xmtp/xmtp-js');
const proto = require('@xmtp/proto');
const { CASES, hex, unhex, runCases, setUp, pair: pairOf } = require('./xmtp_cases');

const shared = setUp();
const { identities } = shared;
const pair = (rnd) => pairOf(rnd, identities);
let peer;
before(() => { peer = shared.peer; });

test('the CommonJS build of @xmtp/xmtp-js 13.0.4 loads', () => {
  for (const name of ['encrypt', 'decrypt', 'PrivateKeyBundleV1', 'PrivateKeyBundleV2', 'SealedInvitation',
    'InMemoryKeystore', 'generateHmacSignature', 'Ciphertext']) {
    assert.ok(xmtp[name], name);
  }
});

// ---------- (a) the symmetric primitive ----------------------------------------------------------

test('Ciphertext: sealed by xmtp-js opens in keylink, and the other way', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    input.secret = hex(rnd.bytes(rnd.pick([32, 65, 195, rnd.int(1, 300)])));
    input.plaintext = hex(rnd.bytes(rnd.chance(0.1) ? 0 : rnd.int(1, rnd.chance(0.1) ? 70_000 : 600)));
    input.aad = hex(rnd.bytes(rnd.chance(0.2) ? 0 : rnd.int(1, 400)));
    const js = await xmtp.encrypt(unhex(input.plaintext), unhex(input.secret), unhex(input.aad));
    const jsBytes = hex(js.toBytes());
    const opened = await peer.ok({ op: 'open', secret: input.secret, ciphertext: jsBytes, aad: input.aad });
    assert.equal(opened.plaintext, input.plaintext, 'keylink opened xmtp-js ciphertext to other bytes');
    const reencoded = await peer.ok({ op: 'reencode', type: 'Ciphertext', bytes: jsBytes });
    assert.equal(reencoded.bytes, jsBytes, 'Ciphertext re-encoding differs');

    // Tampered payload or another AAD: refused.
    const tampered = xmtp.Ciphertext.fromBytes(js.toBytes());
    tampered.aes256GcmHkdfSha256.payload[rnd.int(0, tampered.aes256GcmHkdfSha256.payload.length - 1)] ^= 1 << rnd.int(0, 7);
    await peer.refused({ op: 'open', secret: input.secret, ciphertext: hex(tampered.toBytes()), aad: input.aad });
    await peer.refused({ op: 'open', secret: input.secret, ciphertext: jsBytes, aad: `${input.aad}00` });

    const ours = await peer.ok({ op: 'seal', secret: input.secret, plaintext: input.plaintext, aad: input.aad });
    const plain = await xmtp.decrypt(xmtp.Ciphertext.fromBytes(unhex(ours.ciphertext)), unhex(input.secret), unhex(input.aad));
    assert.equal(hex(plain), input.plaintext, 'xmtp-js opened keylink ciphertext to other bytes');
  }, 1);
});

// ---------- (b) key protobufs ---------------------------------------------------------------------

test('keys and bundles from xmtp-js decode in keylink and re-encode to the same bytes', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const who = rnd.pick(identities);
    input.address = who.address;
    const items = [
      ['PublicKey', who.v1.identityKey.publicKey.toBytes()],
      ['PublicKey', who.v1.getCurrentPreKey().publicKey.toBytes()],
      ['PublicKeyBundle', who.v1.getPublicKeyBundle().toBytes()],
      ['SignedPublicKey', who.publicBundle.identityKey.toBytes()],
      ['SignedPublicKey', who.publicBundle.preKey.toBytes()],
      ['UnsignedPublicKey', who.publicBundle.preKey.keyBytes],
      ['Signature', who.publicBundle.identityKey.signature.toBytes()],
      ['Signature', who.publicBundle.preKey.signature.toBytes()],
      ['SignedPublicKeyBundle', who.publicBundle.toBytes()],
      ['PrivateKeyBundle', who.v1.encode()],
      ['PrivateKeyBundle', who.v2.encode()],
      ['ContactBundle', proto.contact.ContactBundle.encode({ v2: { keyBundle: who.publicBundle } }).finish()],
      ['ContactBundle', proto.contact.ContactBundle.encode({ v1: { keyBundle: who.v1.getPublicKeyBundle() } }).finish()],
    ];
    for (const [type, bytes] of items) {
      input.type = type;
      const answer = await peer.ok({ op: 'reencode', type, bytes: hex(bytes) });
      assert.equal(answer.bytes, hex(bytes), `${type} re-encoding differs`);
      if (type === 'SignedPublicKeyBundle') {
        assert.equal(answer.walletAddress, who.address, 'wallet address recovered from the identity key');
        assert.equal(answer.preKeySigned, true, 'pre-key signature by the identity key');
      }
    }
    // Truncated bundles are refused, never misread.
    const bundle = who.publicBundle.toBytes();
    input.cut = rnd.int(1, bundle.length - 1);
    await peer.refused({ op: 'reencode', type: 'SignedPublicKeyBundle', bytes: hex(bundle.subarray(0, input.cut)) });
  }, 2);
});

// ---------- (c) 3DH -------------------------------------------------------------------------------

test('3DH: keylink derives the secrets xmtp-js derives, on both sides', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const [a, b] = pair(rnd);
    const isRecipient = rnd.chance(0.5);
    Object.assign(input, { a: a.address, b: b.address, isRecipient });
    const js = await a.v2.sharedSecret(b.publicBundle, a.v2.getCurrentPreKey().publicKey, isRecipient);
    assert.equal(js.length, 195);
    const ours = await peer.ok({ op: 'shared_secret', privateBundle: hex(a.v2.encode()),
      peerBundle: hex(b.publicBundle.toBytes()), isRecipient });
    assert.equal(ours.secret, hex(js), '3DH secret differs');
  }, 3);
});

// ---------- (d) V2 invitations --------------------------------------------------------------------

const randomConversationId = (rnd) => (rnd.chance(0.3) ? '' : rnd.pick([
  `xmtp.org/${rnd.int(0, 1e6)}`, `lens.dev/dm/${hex(rnd.bytes(8))}`, 'keylink/é😀', `${rnd.int(0, 1e9)}`]));

test('V2 invitations: same topic and key material; sealed invitations open on the other side', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const [a, b] = pair(rnd);
    const conversationId = randomConversationId(rnd);
    const createdNs = xmtp.dateToNs(new Date(1_700_000_000_000 + rnd.int(0, 1e9)));
    Object.assign(input, { a: a.address, b: b.address, conversationId });

    // xmtp-js creates (A invites B); keylink derives the same keys from either side and opens it.
    const response = await a.keystore.createInvite({
      recipient: b.publicBundle, createdNs, context: conversationId ? { conversationId, metadata: {} } : undefined });
    const jsInvitation = await xmtp.SealedInvitation.fromBytes(response.payload).v1.getInvitation(b.v2);
    const jsKey = hex(jsInvitation.aes256GcmHkdfSha256.keyMaterial);
    assert.equal(response.conversation.topic, jsInvitation.topic);
    for (const [me, them] of [[a, b], [b, a]]) {
      const ours = await peer.ok({ op: 'invitation', privateBundle: hex(me.v2.encode()),
        peerBundle: hex(them.publicBundle.toBytes()), conversationId });
      assert.equal(ours.topic, jsInvitation.topic, 'topic differs');
      assert.equal(ours.keyMaterial, jsKey, 'key material differs');
      assert.equal(ours.myAddress, me.address);
    }
    for (const viewer of [b, a]) {
      const opened = await peer.ok({ op: 'open_invitation', privateBundle: hex(viewer.v2.encode()), sealed: hex(response.payload) });
      assert.equal(opened.topic, jsInvitation.topic);
      assert.equal(opened.keyMaterial, jsKey);
      assert.equal(opened.conversationId, conversationId);
      assert.equal(opened.createdNs, createdNs.toString());
    }
    const reencoded = await peer.ok({ op: 'reencode', type: 'SealedInvitation', bytes: hex(response.payload) });
    assert.equal(reencoded.bytes, hex(response.payload), 'SealedInvitation re-encoding differs');

    // keylink creates (B invites A); xmtp-js opens it as recipient and as sender.
    const ourSealed = await peer.ok({ op: 'create_invitation', privateBundle: hex(b.v2.encode()),
      peerBundle: hex(a.publicBundle.toBytes()), conversationId, createdNs: createdNs.toString() });
    for (const viewer of [a, b]) {
      const invitation = await xmtp.SealedInvitation.fromBytes(unhex(ourSealed.sealed)).v1.getInvitation(viewer.v2);
      assert.equal(invitation.topic, jsInvitation.topic, 'xmtp-js read another topic from keylink invitation');
      assert.equal(hex(invitation.aes256GcmHkdfSha256.keyMaterial), jsKey);
    }
    const saved = await a.keystore.saveInvites({ requests: [{ payload: unhex(ourSealed.sealed),
      contentTopic: xmtp.buildUserInviteTopic(a.address), timestampNs: createdNs }] });
    assert.equal(saved.responses[0].error, undefined, `xmtp-js keystore refused keylink invitation: ${JSON.stringify(saved.responses[0].error)}`);
    assert.equal(saved.responses[0].result.conversation.topic, jsInvitation.topic);
  }, 4);
});

// ---------- V2 messages ---------------------------------------------------------------------------

const thirtyDayPeriod = () => Math.floor(Date.now() / 1000 / 60 / 60 / 24 / 30);

test('V2 messages: sealed by the xmtp-js keystore open in keylink (signed content, sender HMAC), and back', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const [a, b] = pair(rnd);
    const createdNs = xmtp.dateToNs(new Date(1_700_000_000_000 + rnd.int(0, 1e9)));
    const response = await a.keystore.createInvite({ recipient: b.publicBundle, createdNs,
      context: { conversationId: `keylink/${rnd.int(0, 1e9)}`, metadata: {} } });
    const invitation = await xmtp.SealedInvitation.fromBytes(response.payload).v1.getInvitation(b.v2);
    const topic = invitation.topic;
    const keyMaterial = hex(invitation.aes256GcmHkdfSha256.keyMaterial);
    Object.assign(input, { a: a.address, b: b.address, topic });

    // As xmtp-js ConversationV2.encodeMessage does it: EncodedContent, signed by pre-key 0 over
    // sha256(header ‖ payload), wrapped in SignedContent, encrypted by the keystore with the sender HMAC.
    const header = proto.message.MessageHeaderV2.encode({ createdNs, topic }).finish();
    const text = Array.from({ length: rnd.int(0, 200) }, () => rnd.pick(Array.from('abc xyz é😀\n'))).join('');
    const encoded = proto.content.EncodedContent.encode({
      type: { authorityId: 'xmtp.org', typeId: 'text', versionMajor: 1, versionMinor: 0 },
      parameters: { encoding: 'UTF-8' }, content: new TextEncoder().encode(text),
      fallback: rnd.chance(0.5) ? text : undefined }).finish();
    const digest = new Uint8Array(crypto.createHash('sha256').update(header).update(encoded).digest());
    const signature = await a.keystore.signDigest({ digest, identityKey: false, prekeyIndex: 0 });
    const signedContent = proto.content.SignedContent.encode({ payload: encoded, sender: a.publicBundle, signature }).finish();
    const periodBefore = thirtyDayPeriod();
    const encrypted = await a.keystore.encryptV2({ requests: [{ payload: signedContent, headerBytes: header, contentTopic: topic }] });
    const periodAfter = thirtyDayPeriod();
    const { encrypted: ciphertext, senderHmac } = encrypted.responses[0].result;
    const message = proto.message.Message.encode({ v2: { headerBytes: header, ciphertext, senderHmac, shouldPush: true } }).finish();

    const opened = await peer.ok({ op: 'open_message_v2', keyMaterial, message: hex(message) });
    assert.equal(opened.payload, hex(signedContent), 'keylink opened another payload');
    assert.equal(opened.topic, topic);
    assert.equal(opened.createdNs, createdNs.toString());
    assert.equal(opened.bytes, hex(message), 'Message re-encoding differs');
    assert.equal(opened.signer, a.address, 'signed content: signer');
    assert.equal(opened.content, hex(encoded), 'EncodedContent re-encoding differs');
    if (periodBefore === periodAfter) {
      const ours = await peer.ok({ op: 'sender_hmac', keyMaterial, period: periodBefore, address: a.address, header: hex(header) });
      assert.equal(ours.hmac, hex(senderHmac), 'sender HMAC differs');
    }

    // keylink seals (as B); the xmtp-js keystores of both sides open it.
    const ours = await peer.ok({ op: 'seal_message_v2', keyMaterial, topic, createdNs: createdNs.toString(),
      payload: hex(signedContent), period: thirtyDayPeriod(), senderAddress: b.address });
    const decoded = proto.message.Message.decode(unhex(ours.message)).v2;
    for (const keystore of [a.keystore, b.keystore]) {
      if (keystore === b.keystore) {
        await b.keystore.saveInvites({ requests: [{ payload: response.payload, contentTopic: 'invite', timestampNs: createdNs }] });
      }
      const decrypted = await keystore.decryptV2({ requests: [{ payload: decoded.ciphertext, headerBytes: decoded.headerBytes, contentTopic: topic }] });
      assert.equal(decrypted.responses[0].error, undefined, `xmtp-js refused keylink message: ${JSON.stringify(decrypted.responses[0].error)}`);
      assert.equal(hex(decrypted.responses[0].result.decrypted), hex(signedContent));
    }
    const header2 = proto.message.MessageHeaderV2.decode(decoded.headerBytes);
    assert.equal(header2.topic, topic);
    assert.equal(header2.createdNs.toString(), createdNs.toString());
  }, 6);
});

// ---------- sender HMAC ---------------------------------------------------------------------------

test('sender_hmac: keylink computes the HMAC xmtp-js attaches to V2 messages', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    input.keyMaterial = hex(rnd.bytes(32));
    input.period = rnd.int(0, 2000);
    input.address = rnd.pick(identities).address;
    input.header = hex(rnd.bytes(rnd.int(0, 300)));
    const js = await xmtp.generateHmacSignature(unhex(input.keyMaterial),
      new TextEncoder().encode(`${input.period}-${input.address}`), unhex(input.header));
    const ours = await peer.ok({ op: 'sender_hmac', ...input });
    assert.equal(ours.hmac, hex(js));
  }, 5);
});
