'use strict';
// Interop: keylink's WalletConnect pairing URIs, envelopes, session keys and relay JWTs (through the
// wc_peer program) against the real @walletconnect/utils 2.25.0 and @walletconnect/relay-auth 1.1.0,
// in both directions, over random inputs.
//
//   KEYLINK_WC_PEER=build/interop/wc_peer node --test interop/wc_utils.test.js
// KEYLINK_INTEROP_SEED replays a run (each failure prints its seed); KEYLINK_INTEROP_CASES sets the
// number of random cases per direction (default 250).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Peer, clip } = require('./peer_process');
const { makeRandom } = require('./seeded_random');
const utils = require('@walletconnect/utils');
const relayAuth = require('@walletconnect/relay-auth');

const CASES = Number(process.env.KEYLINK_INTEROP_CASES || 250);
const SEED = Number(process.env.KEYLINK_INTEROP_SEED || crypto.randomInt(2 ** 31));

// ---------- the peer ---------------------------------------------------------------------------


let peer;
before(() => {
  assert.ok(process.env.KEYLINK_WC_PEER, 'set KEYLINK_WC_PEER to the wc_peer program');
  peer = new Peer(process.env.KEYLINK_WC_PEER, 'wc_peer');
});
after(() => peer.close());

// ---------- random inputs, reproducible from SEED ----------------------------------------------

// Code points by kind: ASCII, JSON escapes and controls, Latin-1, several scripts, astral and ZWJ
// emoji, combining marks and the separators JSON.stringify leaves raw. Never a lone surrogate: it
// has no UTF-8 form, so neither side could carry it.
const POOLS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?',
  '"\\/\n\r\t\b\f\u0000\u0001\u001f\u007f',
  'éüßçøåñ¡¿«»€£¥©®°±µ¶·',
  'Привет мир Ελληνικά עברית العربية हिन्दी',
  '漢字かなカナ한국어中文測試',
  '😀🔑𝄞𐍈\u{10FFFF}\u{1F468}\u200d\u{1F469}\u200d\u{1F467}',
  '\u0301\u0308\u200b\u200d\u2028\u2029\ufeff\ufffd\uffff',
].map((pool) => Array.from(pool));

// Up to maxLength code points; a long text has 1 Ki to 50 Ki code points (up to 200 KB of UTF-8,
// under the 1 MiB of base64 Envelope::decode accepts).
function randomText(rnd, maxLength = 64, long = false) {
  const length = long ? rnd.int(1024, 50_000) : rnd.int(0, maxLength);
  const pool = rnd.chance(0.5) ? rnd.pick(POOLS) : null;
  let out = '';
  for (let i = 0; i < length; i++) out += rnd.pick(pool || rnd.pick(POOLS));
  return out;
}

function randomValue(rnd, depth = 0) {
  switch (rnd.int(0, depth > 3 ? 4 : 6)) {
    case 0: return null;
    case 1: return rnd.chance(0.5);
    case 2: return rnd.pick([0, -1, 2 ** 53 - 1, -(2 ** 31), rnd.int(-1e9, 1e9), rnd.int(0, 1e6) / 7]);
    case 3: case 4: return randomText(rnd);
    case 5: return Array.from({ length: rnd.int(0, 5) }, () => randomValue(rnd, depth + 1));
    default: return Object.fromEntries(
      Array.from({ length: rnd.int(0, 5) }, () => [randomText(rnd, 12), randomValue(rnd, depth + 1)]));
  }
}

const WC_METHODS = ['wc_sessionPropose', 'wc_sessionSettle', 'wc_sessionRequest', 'wc_sessionDelete',
  'wc_sessionPing', 'wc_pairingDelete', 'wc_pairingPing', 'wc_sessionAuthenticate', 'keylink_link',
  'keylink_encryptV2', 'eth_sendTransaction', 'personal_sign', 'eth_signTypedData_v4'];

// A JSON-RPC 2.0 request, result or error, as the text a peer seals.
function randomMessage(rnd) {
  if (rnd.chance(0.01)) return '';
  const id = rnd.chance(0.7) ? 1_700_000_000_000_000 + rnd.int(0, 999_999) * 1000 : String(rnd.int(0, 1e9));
  const kind = rnd.int(0, 2);
  const message = { id, jsonrpc: '2.0' };
  if (kind === 0) Object.assign(message, { method: rnd.pick(WC_METHODS), params: randomValue(rnd, 1) || {} });
  if (kind === 1) message.result = randomValue(rnd);
  if (kind === 2) message.error = { code: rnd.int(-32768, 9999), message: randomText(rnd) };
  if (rnd.chance(0.1)) message.long = randomText(rnd, 0, true);
  return JSON.stringify(message);
}

// Method names: mostly identifiers, sometimes with characters form-urlencoding must escape ("exotic").
const EXOTIC = Array.from(' +&=%?#/:@;~*\'()[]!$é😀\u2028');
function randomMethods(rnd) {
  return Array.from({ length: rnd.int(0, 6) }, () => {
    if (rnd.chance(0.5)) return rnd.pick(WC_METHODS);
    const chars = Array.from({ length: rnd.int(1, 24) }, () => rnd.pick(Array.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.')));
    if (rnd.chance(0.2)) chars.splice(rnd.int(0, chars.length), 0, rnd.pick(EXOTIC));
    return chars.join('');
  });
}

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
function x25519KeyPair(rnd) {
  const privateKey = rnd.hex(32);
  const key = crypto.createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, Buffer.from(privateKey, 'hex')]), format: 'der', type: 'pkcs8' });
  const publicKey = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  return { privateKey, publicKey };
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ed25519PrivateKey = (seedHex) => crypto.createPrivateKey({
  key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seedHex, 'hex')]), format: 'der', type: 'pkcs8' });


// Runs count cases of one check with its own random stream, and fails once at the end with the first
// failures and their inputs, so that one mismatch does not hide how many cases pass.
async function runCases(t, count, oneCase, streamId) {
  const rnd = makeRandom(SEED + streamId * 7919);
  const failures = [];
  for (let i = 0; i < count; i++) {
    const input = {};
    try {
      await oneCase(rnd, input);
    } catch (error) {
      failures.push(`#${i}: ${clip(error.message, 600)}\n    input: ${clip(JSON.stringify(input), 600)}`);
    }
  }
  t.diagnostic(`${count - failures.length}/${count} cases passed (KEYLINK_INTEROP_SEED=${SEED})`);
  if (failures.length) {
    assert.fail(`${failures.length}/${count} cases failed (KEYLINK_INTEROP_SEED=${SEED}):\n${failures.slice(0, 4).join('\n')}`);
  }
}

// ---------- sanity: the packages load from CommonJS on this node --------------------------------

test('the CommonJS builds of @walletconnect/utils and relay-auth load', () => {
  for (const name of ['parseUri', 'formatUri', 'encrypt', 'decrypt', 'deserialize', 'deriveSymKey', 'hashKey']) {
    assert.equal(typeof utils[name], 'function', name);
  }
  for (const name of ['generateKeyPair', 'signJWT', 'verifyJWT', 'decodeJWT', 'encodeIss']) {
    assert.equal(typeof relayAuth[name], 'function', name);
  }
});

// ---------- pairing URIs -----------------------------------------------------------------------

function randomUriParams(rnd, input) {
  input.symKey = rnd.hex(32);
  input.now = rnd.int(1_600_000_000, 2_000_000_000);
  input.expiry = input.now + rnd.int(1, 86_400);
  input.methods = randomMethods(rnd);
  input.relay = { protocol: 'irn' };
  if (rnd.chance(0.2)) input.relay.data = randomText(rnd, 40) || 'x';
  // keylink's own parameters, which @walletconnect/utils must read past.
  input.kl = {};
  if (rnd.chance(0.3)) input.kl['kl-code'] = String(rnd.int(0, 999_999)).padStart(6, '0');
  if (rnd.chance(0.3)) input.kl['kl-key'] = rnd.hex(32);
  if (rnd.chance(0.2)) input.kl['kl-lan'] = `${rnd.int(1, 254)}.${rnd.int(0, 255)}.0.${rnd.int(1, 254)}:${rnd.int(1024, 65535)}`;
  if (rnd.chance(0.1)) input.kl['kl-name'] = randomText(rnd, 20);
  return input;
}

function jsFormat(input, overrides = {}) {
  return utils.formatUri({
    protocol: 'wc', version: 2, topic: utils.hashKey(input.symKey), symKey: input.symKey, relay: input.relay,
    expiryTimestamp: input.expiry, methods: input.methods.length ? input.methods : undefined, ...overrides });
}

test('uri: keylink formats, parseUri reads the same fields', (t) => runCases(t, CASES, async (rnd, input) => {
  randomUriParams(rnd, input);
  const { uri } = await peer.ok({ op: 'format_uri', symKey: input.symKey, expiry: input.expiry,
    methods: input.methods, relay: input.relay, kl: input.kl });
  input.uri = uri;
  const parsed = utils.parseUri(uri);
  assert.deepEqual({ topic: parsed.topic, version: parsed.version, symKey: parsed.symKey, relay: parsed.relay,
    expiry: parsed.expiryTimestamp, methods: parsed.methods || [] },
  { topic: utils.hashKey(input.symKey), version: 2, symKey: input.symKey, relay: input.relay,
    expiry: input.expiry, methods: input.methods });
  const query = Object.fromEntries(new URLSearchParams(uri.slice(uri.indexOf('?'))));
  assert.deepEqual(Object.fromEntries(Object.entries(query).filter(([k]) => k.startsWith('kl-'))), input.kl);
}, 1));

test('uri: formatUri formats, keylink reads the same fields', (t) => runCases(t, CASES, async (rnd, input) => {
  randomUriParams(rnd, input);
  input.uri = jsFormat(input);
  // An app adds keylink's parameters the way JS adds any: URLSearchParams.
  const extra = new URLSearchParams(input.kl).toString();
  if (extra) input.uri += `&${extra}`;
  if (rnd.chance(0.15)) input.uri = input.uri.replace(/^wc:/, 'wc://');
  const parsed = await peer.ok({ op: 'parse_uri', uri: input.uri, now: input.expiry - rnd.int(1, 300) });
  const { protocol, ...relayData } = input.relay;
  assert.deepEqual({ topic: parsed.topic, symKey: parsed.symKey, expiry: parsed.expiry, methods: parsed.methods,
    relayProtocol: parsed.relayProtocol, relay: parsed.relay, kl: parsed.kl },
  { topic: utils.hashKey(input.symKey), symKey: input.symKey, expiry: input.expiry, methods: input.methods,
    relayProtocol: protocol, relay: relayData, kl: input.kl });
}, 2));

test('uri: keylink formats the very text formatUri formats', (t) => runCases(t, CASES, async (rnd, input) => {
  randomUriParams(rnd, input);
  const { uri } = await peer.ok({ op: 'format_uri', symKey: input.symKey, expiry: input.expiry,
    methods: input.methods, relay: input.relay });
  assert.equal(uri, jsFormat(input));
}, 3));

test('uri: keylink refuses expired, mismatched and wrong-version URIs from formatUri', (t) => runCases(t, 100, async (rnd, input) => {
  randomUriParams(rnd, input);
  const expired = await peer.refused({ op: 'parse_uri', uri: jsFormat(input), now: input.expiry + rnd.int(1, 86_400) });
  assert.deepEqual([expired.category, expired.code], ['keylink.wire', 4], 'an expired URI is wire::Errc::kExpired');
  assert.match(expired.error, /expir/i, 'the refusal of an expired URI says so');
  await peer.refused({ op: 'parse_uri', uri: jsFormat(input, { topic: rnd.hex(32) }), now: input.now });
  await peer.refused({ op: 'parse_uri', uri: jsFormat(input, { version: rnd.pick([1, 3]) }), now: input.now });
}, 4));

// ---------- envelopes ---------------------------------------------------------------------------

function typeOneKeys(rnd, input) {
  const sender = x25519KeyPair(rnd);
  const receiver = x25519KeyPair(rnd);
  Object.assign(input, { sender, receiver, symKey: utils.deriveSymKey(sender.privateKey, receiver.publicKey) });
}

test('envelope type 0: keylink seals, decrypt opens', (t) => runCases(t, CASES, async (rnd, input) => {
  Object.assign(input, { symKey: rnd.hex(32), message: randomMessage(rnd) });
  const { envelope } = await peer.ok({ op: 'seal', type: 0, symKey: input.symKey, message: input.message });
  input.envelope = envelope;
  assert.equal(utils.deserialize({ encoded: envelope }).type[0], 0);
  assert.equal(utils.decrypt({ symKey: input.symKey, encoded: envelope }), input.message);
}, 5));

test('envelope type 0: encrypt seals, keylink opens', (t) => runCases(t, CASES, async (rnd, input) => {
  Object.assign(input, { symKey: rnd.hex(32), message: randomMessage(rnd) });
  input.envelope = utils.encrypt({ type: 0, symKey: input.symKey, message: input.message });
  const opened = await peer.ok({ op: 'open', symKey: input.symKey, envelope: input.envelope });
  assert.deepEqual(opened, { type: 0, message: input.message });
}, 6));

test('envelope type 1: keylink seals, deserialize + deriveSymKey + decrypt open', (t) => runCases(t, CASES, async (rnd, input) => {
  typeOneKeys(rnd, input);
  input.message = randomMessage(rnd);
  const { envelope } = await peer.ok({ op: 'seal', type: 1, symKey: input.symKey,
    senderPublicKey: input.sender.publicKey, message: input.message });
  input.envelope = envelope;
  const { type, senderPublicKey } = utils.deserialize({ encoded: envelope });
  assert.equal(type[0], 1);
  const senderHex = Buffer.from(senderPublicKey).toString('hex');
  assert.equal(senderHex, input.sender.publicKey);
  const symKey = utils.deriveSymKey(input.receiver.privateKey, senderHex);
  assert.equal(utils.decrypt({ symKey, encoded: envelope }), input.message);
}, 7));

test('envelope type 1: encrypt seals, keylink derives the key and opens', (t) => runCases(t, CASES, async (rnd, input) => {
  typeOneKeys(rnd, input);
  input.message = randomMessage(rnd);
  input.envelope = utils.encrypt({ type: 1, symKey: input.symKey, senderPublicKey: input.sender.publicKey,
    message: input.message });
  const opened = await peer.ok({ op: 'open', privateKey: input.receiver.privateKey, envelope: input.envelope });
  assert.deepEqual(opened, { type: 1, senderPublicKey: input.sender.publicKey, message: input.message });
}, 8));

test('envelope type 2: both directions', (t) => runCases(t, 100, async (rnd, input) => {
  input.message = randomMessage(rnd);
  const { envelope } = await peer.ok({ op: 'seal', type: 2, message: input.message });
  assert.equal(utils.decodeTypeTwoEnvelope(envelope), input.message);
  assert.equal(envelope, utils.encodeTypeTwoEnvelope(input.message));
  const opened = await peer.ok({ op: 'open', envelope: utils.encodeTypeTwoEnvelope(input.message) });
  assert.deepEqual(opened, { type: 2, message: input.message });
}, 9));

test('envelope: with the same nonce keylink seals the very text encrypt seals', (t) => runCases(t, CASES, async (rnd, input) => {
  typeOneKeys(rnd, input);
  Object.assign(input, { type: rnd.int(0, 1), message: randomMessage(rnd), nonce: rnd.hex(12) });
  const senderPublicKey = input.type === 1 ? input.sender.publicKey : undefined;
  const { envelope } = await peer.ok({ op: 'seal', type: input.type, symKey: input.symKey, senderPublicKey,
    message: input.message, nonce: input.nonce });
  assert.equal(envelope, utils.encrypt({ type: input.type, symKey: input.symKey, senderPublicKey,
    message: input.message, iv: input.nonce }));
}, 10));

test('envelope: keylink refuses tampered, truncated and wrongly keyed envelopes from encrypt', (t) => runCases(t, 100, async (rnd, input) => {
  typeOneKeys(rnd, input);
  Object.assign(input, { type: rnd.int(0, 1), message: randomMessage(rnd) });
  const key = input.type === 1 ? { privateKey: input.receiver.privateKey } : { symKey: input.symKey };
  input.envelope = utils.encrypt({ type: input.type, symKey: input.symKey, senderPublicKey: input.sender.publicKey,
    message: input.message });
  const bytes = Buffer.from(input.envelope, 'base64');
  // A type byte turned into 2 is a valid, unauthenticated link-mode envelope, so the type byte is left alone.
  // The top bit of a type 1 sender key (bit 7 of byte 32) is ignored by X25519 (RFC 7748): flipped, it
  // names the same key and the envelope must still open. Every other flip must fail.
  input.flipped = rnd.int(8, bytes.length * 8 - 1);
  bytes[input.flipped >> 3] ^= 1 << (input.flipped & 7);
  const tampered = { op: 'open', ...key, envelope: bytes.toString('base64') };
  if (input.type === 1 && input.flipped === 32 * 8 + 7) {
    assert.equal((await peer.ok(tampered)).message, input.message);
  } else {
    await peer.refused(tampered);
  }
  const short = Buffer.from(input.envelope, 'base64').subarray(0, rnd.int(0, 28)).toString('base64');
  await peer.refused({ op: 'open', ...key, envelope: short });
  const wrong = input.type === 1 ? { privateKey: rnd.hex(32) } : { symKey: rnd.hex(32) };
  const refusal = await peer.refused({ op: 'open', ...wrong, envelope: input.envelope });
  assert.deepEqual([refusal.category, refusal.code], ['keylink.crypto', 4], 'a wrong key is crypto::Errc::kDecryptFailed');
}, 11));

// ---------- session keys -------------------------------------------------------------------------

test('derive: keylink derives the symKey deriveSymKey derives', (t) => runCases(t, CASES, async (rnd, input) => {
  input.a = x25519KeyPair(rnd);
  // Sometimes any 32 bytes as the peer's key, high bit included: both sides must mask it (RFC 7748).
  input.b = rnd.chance(0.2) ? { publicKey: rnd.hex(32) } : x25519KeyPair(rnd);
  const { symKey } = await peer.ok({ op: 'derive', privateKey: input.a.privateKey, publicKey: input.b.publicKey });
  assert.equal(symKey, utils.deriveSymKey(input.a.privateKey, input.b.publicKey));
  if (input.b.privateKey) {
    const back = await peer.ok({ op: 'derive', privateKey: input.b.privateKey, publicKey: input.a.publicKey });
    assert.equal(back.symKey, symKey);
  }
}, 12));

test('derive: keylink refuses low-order public keys', async () => {
  const lowOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];
  const privateKey = crypto.randomBytes(32).toString('hex');
  for (const publicKey of lowOrder) {
    const refusal = await peer.refused({ op: 'derive', privateKey, publicKey });
    assert.deepEqual([refusal.category, refusal.code], ['keylink.crypto', 2], `${publicKey} is crypto::Errc::kWeakKey`);
  }
});

// ---------- relay auth JWTs ----------------------------------------------------------------------

function randomJwtInput(rnd, input) {
  Object.assign(input, {
    seed: rnd.hex(32),
    sub: rnd.chance(0.7) ? rnd.hex(32) : randomText(rnd),
    aud: rnd.chance(0.7) ? rnd.pick(['wss://relay.walletconnect.org', 'wss://relay.walletconnect.com',
      `ws://127.0.0.1:${rnd.int(1024, 65535)}`]) : randomText(rnd),
    iat: rnd.int(1_600_000_000, 2_100_000_000),
    ttl: rnd.int(1, 7 * 86_400),
  });
  const keyPair = relayAuth.generateKeyPair(Buffer.from(input.seed, 'hex'));
  return { keyPair, claims: { iss: relayAuth.encodeIss(keyPair.publicKey), sub: input.sub, aud: input.aud,
    iat: input.iat, exp: input.iat + input.ttl } };
}

test('jwt: keylink signs, verifyJWT accepts and decodeJWT reads the same claims', (t) => runCases(t, CASES, async (rnd, input) => {
  const { claims } = randomJwtInput(rnd, input);
  const { jwt, iss } = await peer.ok({ op: 'sign_jwt', ...input });
  input.jwt = jwt;
  assert.equal(iss, claims.iss);
  assert.equal(await relayAuth.verifyJWT(jwt), true, 'verifyJWT');
  const decoded = relayAuth.decodeJWT(jwt);
  assert.deepEqual(decoded.header, { alg: 'EdDSA', typ: 'JWT' });
  assert.deepEqual(decoded.payload, claims);
  assert.deepEqual(Object.keys(decoded.payload), ['iss', 'sub', 'aud', 'iat', 'exp']);
}, 13));

test('jwt: signJWT signs, keylink verifies with the same claims', (t) => runCases(t, CASES, async (rnd, input) => {
  const { keyPair, claims } = randomJwtInput(rnd, input);
  input.jwt = await relayAuth.signJWT(input.sub, input.aud, input.ttl, keyPair, input.iat);
  const verified = await peer.ok({ op: 'verify_jwt', jwt: input.jwt });
  assert.deepEqual(verified, claims);
}, 14));

test('jwt: keylink signs the very text signJWT signs', (t) => runCases(t, CASES, async (rnd, input) => {
  const { keyPair } = randomJwtInput(rnd, input);
  const { jwt } = await peer.ok({ op: 'sign_jwt', ...input });
  assert.equal(jwt, await relayAuth.signJWT(input.sub, input.aud, input.ttl, keyPair, input.iat));
}, 15));

test('jwt: keylink refuses tampered tokens and other algorithms from relay-auth', (t) => runCases(t, 100, async (rnd, input) => {
  const { keyPair, claims } = randomJwtInput(rnd, input);
  const jwt = await relayAuth.signJWT(input.sub, input.aud, input.ttl, keyPair, input.iat);
  // Change one character of the token to another base64url character (or a dot into one).
  input.at = rnd.int(0, jwt.length - 1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let replacement;
  do replacement = rnd.pick(Array.from(alphabet)); while (replacement === jwt[input.at]);
  input.tampered = jwt.slice(0, input.at) + replacement + jwt.slice(input.at + 1);
  await peer.refused({ op: 'verify_jwt', jwt: input.tampered });
  // A well-signed token whose header names another algorithm.
  const header = { alg: rnd.pick(['none', 'HS256', 'ES256', 'EdDSA']), typ: 'JWT' };
  if (header.alg === 'EdDSA') header.typ = 'JWS';
  const data = relayAuth.encodeData({ header, payload: claims });
  const signature = crypto.sign(null, data, ed25519PrivateKey(input.seed));
  await peer.refused({ op: 'verify_jwt', jwt: relayAuth.encodeJWT({ header, payload: claims, signature }) });
}, 16));

test('jwt: a token signJWT signs at the current time (its default iat) verifies in keylink', async () => {
  const keyPair = relayAuth.generateKeyPair();
  const jwt = await relayAuth.signJWT(crypto.randomBytes(32).toString('hex'), 'wss://relay.walletconnect.org', 86_400, keyPair);
  const verified = await peer.ok({ op: 'verify_jwt', jwt });
  assert.deepEqual(verified, relayAuth.decodeJWT(jwt).payload);
});
