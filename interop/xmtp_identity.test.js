'use strict';
// Interop: keylink's XMTP identity (through the xmtp_peer program) against the real @xmtp/xmtp-js
// 13.0.4: identities keylink creates for a wallet verify in xmtp-js and convert to V2 as
// PrivateKeyBundleV2.fromLegacyBundle does, byte for byte; identities xmtp-js creates verify in keylink;
// bundles with an altered or foreign wallet signature, or an altered pre-key signature, are refused by
// both; private-store backups written by xmtp-js's NetworkKeyManager (through its keystore providers)
// open in keylink and keylink's open in xmtp-js, with wallets signing with v = 27/28 and v = 0/1; and
// keylink's topic strings are xmtp-js's.
//
//   KEYLINK_XMTP_PEER=build/interop/xmtp_peer node --test interop/xmtp_identity.test.js
// KEYLINK_INTEROP_SEED and KEYLINK_INTEROP_CASES: see xmtp_cases.js.
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const xmtp = require('@xmtp/xmtp-js');
const proto = require('@xmtp/proto');
const { getAddress } = require('viem');
const { privateKeyToAccount } = require('viem/accounts');
const { CASES, hex, unhex, runCases, setUp, pair } = require('./xmtp_cases');

const shared = setUp();
const { identities } = shared;
let peer;
before(() => { peer = shared.peer; });

// The private-store cases each make an identity and run a wallet signature per side: fewer of them.
const STORE_CASES = Math.max(1, Math.ceil(CASES / 4));
const BAD_SIGNATURE = 3; // crypto::Errc::kBadSignature
const DECRYPT_FAILED = 4; // crypto::Errc::kDecryptFailed

// A wallet from its private key, as an xmtp-js Signer. A "ledger" wallet answers signMessage with
// v = 0/1 instead of 27/28, as Ledger does (NetworkKeyManager tries v ± 27 for them).
function walletOf(keyHex, { ledger = false } = {}) {
  const account = privateKeyToAccount(`0x${keyHex}`);
  const signMessage = async (message) => {
    const signature = await account.signMessage({ message });
    if (!ledger) return signature;
    const v = parseInt(signature.slice(-2), 16);
    return `${signature.slice(0, -2)}${(v - 27).toString(16).padStart(2, '0')}`;
  };
  return { address: account.address, signer: { getAddress: async () => account.address, signMessage } };
}

// A wallet key: 32 random bytes, below the group order (all but certain).
const walletKey = (rnd) => `${rnd.hex(1).replace(/^f/, 'e')}${rnd.hex(31)}`;
const nowMs = (rnd) => String(1_600_000_000_000 + rnd.int(0, 200_000_000_000));
const v1Of = (bundleHex) => new xmtp.PrivateKeyBundleV1(proto.privateKey.PrivateKeyBundle.decode(unhex(bundleHex)).v1);
const contactV1 = (bundle) => proto.contact.ContactBundle.encode({ v1: { keyBundle: bundle } }).finish();
const contactV2 = (bundle) => proto.contact.ContactBundle.encode({ v2: { keyBundle: bundle } }).finish();

// The address xmtp-js reads from a bundle's identity key, or undefined when it cannot read one.
async function jsSigner(bundle) {
  try {
    return await bundle.walletSignatureAddress();
  } catch {
    return undefined;
  }
}

async function jsPreKeySigned(bundle) {
  try {
    return await bundle.identityKey.verifyKey(bundle.preKey);
  } catch {
    return false;
  }
}

// A network that keeps what is published, for the keystore providers (ApiClient: publish, queryIterator).
function memoryNetwork() {
  const topics = new Map();
  return {
    topics,
    published: 0,
    async publish(envelopes) {
      for (const { contentTopic, message } of envelopes) {
        this.published += 1;
        if (!topics.has(contentTopic)) topics.set(contentTopic, []);
        topics.get(contentTopic).push({ contentTopic, message, timestampNs: '0' });
      }
    },
    setAuthenticator() {},
    async *queryIterator({ contentTopic }) {
      for (const envelope of [...(topics.get(contentTopic) || [])].reverse()) yield envelope;
    },
  };
}

const privateStoreTopic = (address) => xmtp.buildUserPrivateStoreTopic(`${getAddress(address)}/key_bundle`);

// ---------- identities keylink creates -------------------------------------------------------------

test('an identity keylink creates verifies in xmtp-js, and is what xmtp-js would make of its keys', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    input.walletKey = walletKey(rnd);
    input.nowMs = nowMs(rnd);
    const wallet = walletOf(input.walletKey);
    const ours = await peer.ok({ op: 'identity_create', walletKey: input.walletKey, nowMs: input.nowMs });
    assert.equal(ours.address, wallet.address);

    const v1 = v1Of(ours.v1);
    assert.ok(v1.validatePublicKeys(), 'private keys match their public keys');
    assert.equal(hex(v1.encode()), ours.v1, 'V1 bundle re-encodes to the same bytes');
    assert.equal(v1.identityKey.timestamp.toString(), input.nowMs);
    assert.equal(v1.preKeys.length, 1);
    assert.equal(v1.preKeys[0].timestamp.toString(), input.nowMs);

    const publicV1 = xmtp.PublicKeyBundle.fromBytes(unhex(ours.publicV1));
    assert.equal(publicV1.walletSignatureAddress(), wallet.address, 'V1 identity key signed by the wallet');
    assert.ok(await publicV1.identityKey.verifyKey(publicV1.preKey), 'V1 pre-key signed by the identity key');
    assert.equal(hex(v1.getPublicKeyBundle().toBytes()), ours.publicV1);
    const publicV2 = xmtp.SignedPublicKeyBundle.fromBytes(unhex(ours.publicV2));
    assert.equal(await publicV2.walletSignatureAddress(), wallet.address, 'V2 identity key signed by the wallet');
    assert.ok(await publicV2.identityKey.verifyKey(publicV2.preKey), 'V2 pre-key signed by the identity key');

    // V1 -> V2 as xmtp-js does it, byte for byte.
    const v2 = xmtp.PrivateKeyBundleV2.fromLegacyBundle(v1);
    assert.equal(hex(v2.encode()), ours.v2, 'PrivateKeyBundleV2.fromLegacyBundle differs');
    assert.equal(hex(v2.getPublicKeyBundle().toBytes()), ours.publicV2);
    assert.equal(hex(xmtp.SignedPublicKeyBundle.fromLegacyBundle(publicV1).toBytes()), ours.publicV2);

    // The signatures are the ones xmtp-js makes for these keys (both deterministic, RFC 6979).
    const identityPublic = new xmtp.PublicKey({
      timestamp: v1.identityKey.publicKey.timestamp,
      secp256k1Uncompressed: v1.identityKey.publicKey.secp256k1Uncompressed,
    });
    await identityPublic.signWithWallet(wallet.signer);
    assert.ok(identityPublic.signature.equals(v1.identityKey.publicKey.signature), 'wallet signature differs');
    const preKeyPublic = new xmtp.PublicKey({
      timestamp: v1.preKeys[0].publicKey.timestamp,
      secp256k1Uncompressed: v1.preKeys[0].publicKey.secp256k1Uncompressed,
    });
    await v1.identityKey.signKey(preKeyPublic);
    assert.ok(preKeyPublic.signature.equals(v1.preKeys[0].publicKey.signature), 'pre-key signature differs');

    // Client.ensureUserContactPublished: ContactBundle{v1}, then ContactBundle{v2}, stamped now.
    assert.equal(ours.contacts.length, 2);
    for (const contact of ours.contacts) {
      assert.equal(contact.topic, xmtp.buildUserContactTopic(wallet.address));
      assert.equal(contact.timestampNs, (BigInt(input.nowMs) * 1_000_000n).toString());
    }
    assert.equal(ours.contacts[0].message, hex(contactV1(publicV1)));
    assert.equal(ours.contacts[1].message, hex(contactV2(publicV2)));
    const decoded = xmtp.decodeContactBundle(unhex(ours.contacts[1].message));
    assert.equal(await decoded.walletSignatureAddress(), wallet.address);
  }, 101);
});

// ---------- identities xmtp-js creates ---------------------------------------------------------------

test('an identity xmtp-js creates verifies in keylink, and converts to the same V2 bundle', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const who = rnd.pick(identities);
    input.address = who.address;
    const items = [
      ['PublicKeyBundle', who.v1.getPublicKeyBundle().toBytes()],
      ['SignedPublicKeyBundle', who.publicBundle.toBytes()],
      ['ContactBundle', contactV1(who.v1.getPublicKeyBundle())],
      ['ContactBundle', contactV2(who.publicBundle)],
      ['ContactBundle', who.v1.getPublicKeyBundle().toBytes()], // the first clients' bare bundle
    ];
    for (const [type, bytes] of items) {
      input.type = type;
      const answer = await peer.ok({ op: 'identity_verify', type, bytes: hex(bytes), address: who.address });
      assert.equal(answer.address, who.address, `${type}: keylink read another wallet`);
    }
    const adopted = await peer.ok({ op: 'identity_adopt', address: who.address, v1: hex(who.v1.encode()) });
    assert.equal(adopted.v2, hex(who.v2.encode()), 'keylink V1 -> V2 differs from fromLegacyBundle');
    assert.equal(adopted.publicV2, hex(who.publicBundle.toBytes()));
    // Adopting it as another wallet's identity is refused.
    const other = identities.find((i) => i !== who);
    const refused = await peer.refused({ op: 'identity_adopt', address: other.address, v1: hex(who.v1.encode()) });
    assert.equal(refused.code, BAD_SIGNATURE, refused.error);
  }, 102);
});

// ---------- bad signatures ---------------------------------------------------------------------------

const flipBit = (bytes, rnd) => { bytes[rnd.int(0, bytes.length - 1)] ^= 1 << rnd.int(0, 7); };

test('a bundle with an altered or foreign wallet signature, or an altered pre-key signature, is refused by both', async (t) => {
  // Subjects: xmtp-js identities and keylink ones.
  const subjects = identities.map((who) => ({
    address: who.address, wallet: who.wallet, publicV1: who.v1.getPublicKeyBundle().toBytes(),
  }));
  for (let i = 0; i < 4; i++) {
    const key = `${i + 1}`.repeat(64);
    const ours = await peer.ok({ op: 'identity_create', walletKey: key, nowMs: '1700000000000' });
    subjects.push({ address: ours.address, wallet: walletOf(key).signer, publicV1: unhex(ours.publicV1) });
  }
  await runCases(t, CASES, async (rnd, input) => {
    const [who, other] = pair(rnd, subjects);
    input.address = who.address;
    input.mode = rnd.pick(['identity signature', 'identity key', 'another wallet', 'pre-key signature']);
    input.version = rnd.pick(['V1', 'V2']);
    // A copy: protobufjs decodes byte fields as views into the buffer it reads.
    const v1 = xmtp.PublicKeyBundle.fromBytes(Uint8Array.from(who.publicV1));
    if (input.mode === 'identity signature') flipBit(v1.identityKey.signature.ecdsaCompact.bytes, rnd);
    if (input.mode === 'identity key') flipBit(v1.identityKey.secp256k1Uncompressed.bytes.subarray(1), rnd);
    if (input.mode === 'pre-key signature') flipBit(v1.preKey.signature.ecdsaCompact.bytes, rnd);
    if (input.mode === 'another wallet') await v1.identityKey.signWithWallet(other.wallet);
    const bundle = input.version === 'V1' ? v1 : xmtp.SignedPublicKeyBundle.fromLegacyBundle(v1);
    const type = input.version === 'V1' ? 'PublicKeyBundle' : 'SignedPublicKeyBundle';
    const bytes = hex(bundle.toBytes());

    // xmtp-js: getUserContactFromNetwork keeps a bundle only when its signer is the topic's wallet;
    // the pre-key signature is checked before any 3DH (sharedSecret).
    const jsAddress = await jsSigner(bundle);
    if (input.mode === 'pre-key signature') {
      assert.equal(jsAddress, who.address);
      assert.equal(await jsPreKeySigned(bundle), false, 'xmtp-js accepted the pre-key');
    } else {
      assert.notEqual(jsAddress, who.address, 'xmtp-js read the expected wallet');
    }
    if (input.mode === 'another wallet') assert.equal(jsAddress, other.address);

    const refused = await peer.refused({ op: 'identity_verify', type, bytes, address: who.address });
    if (input.mode === 'identity key' && /wire/.test(refused.category)) return; // no longer a curve point
    assert.equal(refused.code, BAD_SIGNATURE, refused.error);
    assert.match(refused.category, /crypto/);
    assert.match(refused.error, input.mode === 'pre-key signature' ? /pre-key/ : /identity key/);
    if (input.mode === 'another wallet') {
      const answer = await peer.ok({ op: 'identity_verify', type, bytes });
      assert.equal(answer.address, other.address, 'keylink and xmtp-js read different signers');
    }
  }, 103);
});

// ---------- the private store --------------------------------------------------------------------------

test('private-store backups xmtp-js writes open in keylink, v = 27/28 and v = 0/1', async (t) => {
  await runCases(t, STORE_CASES, async (rnd, input, i) => {
    input.walletKey = walletKey(rnd);
    input.ledger = i % 2 === 1;
    const wallet = walletOf(input.walletKey, { ledger: input.ledger });
    const network = memoryNetwork();
    // KeyGeneratorKeystoreProvider: PrivateKeyBundleV1.generate, then NetworkKeyManager.storePrivateKeyBundle.
    const keystore = await new xmtp.KeyGeneratorKeystoreProvider().newKeystore({}, network, wallet.signer);
    const topic = privateStoreTopic(wallet.address);
    assert.ok(network.topics.has(topic), 'xmtp-js stored no backup on the expected topic');
    const stored = network.topics.get(topic)[0].message;

    const opened = await peer.ok({ op: 'private_store_open', walletKey: input.walletKey, stored: hex(stored) });
    assert.equal(opened.address, wallet.address);
    assert.equal(opened.v1, hex((await keystore.getPrivateKeyBundle()).encode()), 'keylink opened another bundle');

    const otherKey = walletKey(rnd);
    const refused = await peer.refused({ op: 'private_store_open', walletKey: otherKey, stored: hex(stored) });
    assert.equal(refused.code, DECRYPT_FAILED, refused.error);
    assert.match(refused.error, /another wallet/);
  }, 104);
});

test('private-store backups keylink writes open in xmtp-js, v = 27/28 and v = 0/1', async (t) => {
  await runCases(t, STORE_CASES, async (rnd, input, i) => {
    input.walletKey = walletKey(rnd);
    input.ledger = i % 2 === 1;
    input.nowMs = nowMs(rnd);
    const wallet = walletOf(input.walletKey, { ledger: input.ledger });
    const ours = await peer.ok({ op: 'identity_create', walletKey: input.walletKey, nowMs: input.nowMs });
    const sealed = await peer.ok({ op: 'private_store_seal', walletKey: input.walletKey, v1: ours.v1, nowMs: input.nowMs });
    assert.equal(sealed.topic, privateStoreTopic(wallet.address));
    assert.equal(sealed.timestampNs, (BigInt(input.nowMs) * 1_000_000n).toString());
    const decoded = proto.privateKey.EncryptedPrivateKeyBundle.decode(unhex(sealed.stored));
    assert.equal(hex(decoded.v1.walletPreKey), sealed.walletPreKey);

    const network = memoryNetwork();
    await network.publish([{ contentTopic: sealed.topic, message: unhex(sealed.stored) }]);
    // NetworkKeystoreProvider: NetworkKeyManager.loadPrivateKeyBundle, then an InMemoryKeystore.
    const keystore = await new xmtp.NetworkKeystoreProvider().newKeystore({}, network, wallet.signer);
    assert.equal(hex((await keystore.getPrivateKeyBundle()).encode()), ours.v1, 'xmtp-js opened another bundle');
    assert.equal(await keystore.getAccountAddress(), wallet.address);
    assert.equal(network.published, 1, 'xmtp-js rewrote the backup: it took it for a legacy format');

    // Another wallet cannot open it.
    const stranger = walletOf(walletKey(rnd));
    await assert.rejects(new xmtp.NetworkKeystoreProvider().newKeystore({}, network, {
      getAddress: wallet.signer.getAddress, signMessage: stranger.signer.signMessage,
    }));
    // Opened by keylink too.
    const opened = await peer.ok({ op: 'private_store_open', walletKey: input.walletKey, stored: sealed.stored });
    assert.equal(opened.v1, ours.v1);
  }, 105);
});

// ---------- topics -------------------------------------------------------------------------------------

test('topic strings are xmtp-js builders\'', async (t) => {
  await runCases(t, CASES, async (rnd, input) => {
    const spell = (address) => (rnd.chance(0.5) ? address.toLowerCase() : getAddress(address));
    input.address = spell(`0x${rnd.hex(20)}`);
    input.peerAddress = spell(`0x${rnd.hex(20)}`);
    input.identifier = rnd.hex(rnd.int(1, 40));
    const ours = await peer.ok({ op: 'topics', ...input });
    assert.equal(ours.contact, xmtp.buildUserContactTopic(input.address));
    assert.equal(ours.intro, xmtp.buildUserIntroTopic(input.address));
    assert.equal(ours.invite, xmtp.buildUserInviteTopic(input.address));
    assert.equal(ours.privateStore, privateStoreTopic(input.address));
    assert.equal(ours.dm, xmtp.buildDirectMessageTopic(input.address, input.peerAddress));
    assert.equal(ours.v2, xmtp.buildDirectMessageTopicV2(input.identifier));
    // buildUserPrivatePreferencesTopic is not exported by the package; it is this one line.
    assert.equal(ours.userPreferences, xmtp.buildContentTopic(`userpreferences-${input.identifier}`));
  }, 106);
});
