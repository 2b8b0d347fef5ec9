'use strict';
// An xmtp-js 13 Keystore whose keys stay in a wallet: every RPC of xmtp-js's keystore `apiDefs` is a
// request of the WalletConnect `xmtp` namespace (docs/keystore.md) over a @walletconnect/sign-client
// session, the way xmtp-js's own remote keystore (SnapKeystore) is a table over the same `apiDefs`:
//   params {req: base64(apiDefs[name].req.encode(request)), appCounter, appSig}  (no req without a request)
//   result {res: base64(apiDefs[name].res)}
//   appSig = Ed25519 of "keylink-keystore-request-v1" ‖ 0x00 ‖ u32be len ‖ topic ‖ u32be len ‖ method
//            ‖ sha256(req) ‖ u64be(appCounter), under the app key offered in sessionProperties.xmtp_appKey.
// What xmtp-js keeps on the app side as InMemoryKeystore does (the private preferences actions it read,
// the preferences topic) is kept here in memory; nothing here ever holds a private key of the account.
const crypto = require('node:crypto');
const xmtp = require('@xmtp/xmtp-js');
const { privatePreferences } = require('@xmtp/proto');

const REQUEST_DOMAIN = 'keylink-keystore-request-v1';
const CHAIN = 'xmtp:v2';
// docs/keystore.md: the methods of the namespace, with the one the push server needs.
const METHODS = [
  'decryptV1', 'decryptV2', 'encryptV1', 'encryptV2', 'saveInvites', 'createInvite', 'createAuthToken', 'signDigest',
  'getPublicKeyBundle', 'getV1Conversations', 'getV2Conversations', 'saveV1Conversations', 'selfEncrypt',
  'selfDecrypt', 'getPrivatePreferencesTopicIdentifier', 'getV2ConversationHmacKeys', 'getRefreshJob',
  'setRefreshJob', 'getKeystoreStatus',
];
const PUSH_METHOD = 'getV2ConversationHmacKeys';

// The codecs of each RPC: xmtp-js's keystore apiDefs, and getKeystoreStatus from its snap apiDefs.
function codecOf(name) {
  const def = xmtp.keystoreApiDefs[name] || xmtp.snapKeystoreApiDefs[name];
  if (!def) throw new Error(`no xmtp-js apiDef for ${name}`);
  return def;
}

// An Ed25519 app key: its raw 32-byte public key is the end of the SPKI DER.
function newAppKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, publicKeyRaw: Buffer.from(raw), publicKeyBase64: Buffer.from(raw).toString('base64') };
}

function u32be(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64be(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

// The bytes the app key signs (docs/keystore.md, "The app proves itself on every request").
function signedBytes(channel, method, req, counter) {
  const text = (s) => Buffer.concat([u32be(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);
  return Buffer.concat([
    Buffer.from(REQUEST_DOMAIN, 'utf8'), Buffer.from([0]), text(channel), text(method),
    crypto.createHash('sha256').update(req).digest(), u64be(counter),
  ]);
}

// params of one request: req (bytes, or null for a method without one) signed with `privateKey`.
function requestParams(privateKey, channel, method, req, counter) {
  const bytes = req ? Buffer.from(req) : Buffer.alloc(0);
  const params = {};
  if (req) params.req = bytes.toString('base64');
  params.appCounter = counter;
  params.appSig = crypto.sign(null, signedBytes(channel, method, bytes, counter), privateKey).toString('base64');
  return params;
}

// The proposal's xmtp namespace and sessionProperties for `appKey`; `methods` defaults to every
// method but the push server's.
function proposal(appKey, methods = METHODS.filter((m) => m !== PUSH_METHOD)) {
  return {
    requiredNamespaces: { xmtp: { chains: [CHAIN], methods: methods.map((m) => `xmtp_${m}`), events: [] } },
    sessionProperties: { xmtp_appKey: appKey.publicKeyBase64 },
  };
}

class WalletKeystoreAdapter {
  // signClient: a connected SignClient; topic: the session; appKey: newAppKey()'s.
  constructor(signClient, topic, appKey, { address, onCall } = {}) {
    this.signClient = signClient;
    this.topic = topic;
    this.appKey = appKey;
    this.counter = 0;
    this.address = address;
    this.onCall = onCall;  // (name, req bytes, {res} or {error}) of each call, for a test's record
    this.queue = Promise.resolve();
    this.preferences = new Map();
    for (const name of METHODS) {
      const { req, res } = codecOf(name);
      this[name] = (request) => this.call(name, req ? req.encode(req.fromPartial(request || {})).finish() : null, res);
    }
  }

  nextCounter() {
    this.counter += 1;
    return this.counter;
  }

  // The wallet checks that counters grow: a request must not overtake the one signed before it, so
  // calls go one at a time (xmtp-js issues some in parallel).
  call(name, req, res) {
    const run = this.queue.then(() => this.send(name, req, res));
    this.queue = run.catch(() => {});
    return run;
  }

  async send(name, req, res) {
    const method = `xmtp_${name}`;
    const params = requestParams(this.appKey.privateKey, this.topic, method, req, this.nextCounter());
    let result;
    try {
      result = await this.signClient.request({ topic: this.topic, chainId: CHAIN, request: { method, params } });
    } catch (error) {
      if (this.onCall) this.onCall(name, req, { error });
      const shown = error instanceof Error ? error.message : JSON.stringify(error);
      const wrapped = new Error(`${method} refused by the wallet: ${shown}`);
      wrapped.rpcError = error;
      wrapped.method = method;
      wrapped.req = req;
      throw wrapped;
    }
    const bytes = Buffer.from(typeof result?.res === 'string' ? result.res : '', 'base64');
    if (this.onCall) this.onCall(name, req, { res: bytes });
    return res.decode(bytes);
  }

  // What xmtp-js's InMemoryKeystore does on the app side around the RPCs.
  async getAccountAddress() {
    if (!this.address) {
      const bundle = new xmtp.PublicKeyBundle(await this.getPublicKeyBundle());
      this.address = bundle.walletSignatureAddress();
    }
    return this.address;
  }

  async getPrivatePreferencesTopic() {
    if (!this.preferencesTopic) {
      const { identifier } = await this.getPrivatePreferencesTopicIdentifier();
      this.preferencesTopic = xmtp.buildContentTopic(`userpreferences-${identifier}`);
    }
    return this.preferencesTopic;
  }

  async createPrivatePreference(action) {
    const { responses } = await this.selfEncrypt({
      requests: [{ payload: privatePreferences.PrivatePreferencesAction.encode(action).finish() }],
    });
    const contentTopic = await this.getPrivatePreferencesTopic();
    const timestamp = new Date();
    return responses.filter((r) => r.result?.encrypted)
      .map((r) => ({ contentTopic, message: r.result.encrypted, timestamp }));
  }

  getPrivatePreferences() {
    return this.preferences;
  }

  savePrivatePreferences(data) {
    for (const [key, action] of data) this.preferences.set(key, action);
  }
}

// A KeystoreProvider for Client.create's keystoreProviders.
function walletKeystoreProvider(adapter) {
  return { newKeystore: async () => adapter };
}

module.exports = {
  WalletKeystoreAdapter, walletKeystoreProvider, newAppKey, requestParams, signedBytes, proposal, METHODS, CHAIN,
  PUSH_METHOD,
};
