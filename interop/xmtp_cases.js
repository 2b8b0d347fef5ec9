'use strict';
// What the XMTP interop tests (xmtp*.test.js) share: the xmtp_peer program, identities made by xmtp-js as
// its Client makes them, and random cases reproducible from a seed.
//
// KEYLINK_INTEROP_SEED replays the inputs drawn from the seed (wallet and XMTP keys come from xmtp-js's
// own generator and differ per run); KEYLINK_INTEROP_CASES sets the number of cases per check
// (default 100).
const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { Peer } = require('./peer_process');
const { makeRandom } = require('./seeded_random');
const xmtp = require('@xmtp/xmtp-js');
const { privateKeyToAccount } = require('viem/accounts');

const CASES = Number(process.env.KEYLINK_INTEROP_CASES || 100);
const SEED = Number(process.env.KEYLINK_INTEROP_SEED || crypto.randomInt(2 ** 31));
const IDENTITIES = 12;

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (text) => new Uint8Array(Buffer.from(text, 'hex'));

// Runs count cases with their own random stream and fails once at the end, with the first failures.
async function runCases(t, count, oneCase, streamId) {
  const rnd = makeRandom(SEED + streamId * 7919);
  const failures = [];
  for (let i = 0; i < count; i++) {
    const input = {};
    try {
      await oneCase(rnd, input, i);
    } catch (error) {
      failures.push(`#${i}: ${error.message.slice(0, 600)}\n    input: ${JSON.stringify(input).slice(0, 600)}`);
    }
  }
  t.diagnostic(`${count - failures.length}/${count} cases passed (KEYLINK_INTEROP_SEED=${SEED})`);
  if (failures.length) {
    assert.fail(`${failures.length}/${count} cases failed (KEYLINK_INTEROP_SEED=${SEED}):\n${failures.slice(0, 4).join('\n')}`);
  }
}

// A wallet (viem account) and the XMTP keys xmtp-js makes for it.
async function makeIdentity() {
  const account = privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`);
  const wallet = { getAddress: async () => account.address, signMessage: (message) => account.signMessage({ message }) };
  const v1 = await xmtp.PrivateKeyBundleV1.generate(wallet);
  const v2 = xmtp.PrivateKeyBundleV2.fromLegacyBundle(v1);
  const keystore = await xmtp.InMemoryKeystore.create(v1, xmtp.InMemoryPersistence.create());
  return { account, wallet, address: account.address, v1, v2, keystore, publicBundle: v2.getPublicKeyBundle() };
}

// Registers the before/after hooks of a test file: the peer starts and IDENTITIES identities are made.
// Returns an object whose `peer` is set once the hooks ran.
function setUp() {
  const shared = { peer: undefined, identities: [] };
  before(async () => {
    assert.ok(process.env.KEYLINK_XMTP_PEER, 'set KEYLINK_XMTP_PEER to the xmtp_peer program');
    shared.peer = new Peer(process.env.KEYLINK_XMTP_PEER, 'xmtp_peer');
    for (let i = 0; i < IDENTITIES; i++) shared.identities.push(await makeIdentity());
  });
  after(() => shared.peer.close());
  return shared;
}

// Two different identities.
function pair(rnd, identities) {
  const a = rnd.int(0, identities.length - 1);
  let b = rnd.int(0, identities.length - 2);
  if (b >= a) b += 1;
  return [identities[a], identities[b]];
}

module.exports = { CASES, SEED, hex, unhex, runCases, makeIdentity, setUp, pair };
