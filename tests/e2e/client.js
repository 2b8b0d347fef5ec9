'use strict';
// A raw WalletConnect relay client for the end-to-end tests: one WebSocket, JSON-RPC requests with
// bounded waits, irn_subscription deliveries recorded and (unless told otherwise) acknowledged.
const crypto = require('node:crypto');
const path = require('node:path');
const WebSocket = require('ws');
const relayAuth = require('@walletconnect/relay-auth');

const interop = path.join(__dirname, '..', '..', 'interop');
const { Relay, within, until } = require(path.join(interop, 'relay_process.js'));

const REQUEST_MS = 20000;

function keyPair(seed = crypto.randomBytes(32)) {
  return relayAuth.generateKeyPair(seed);
}

// A relay-auth JWT (what @walletconnect/core sends); aud is the relay URL unless told otherwise.
async function token(relayUrl, { key = keyPair(), aud = relayUrl, ttl = 86400, iat } = {}) {
  return relayAuth.signJWT(crypto.randomBytes(32).toString('hex'), aud, ttl, key, iat);
}

class Client {
  // Opens a connection authenticated with `key` (the same key is the same client id). `jwt` replaces
  // the token; `rawUrl` replaces the whole URL.
  static async connect(relayUrl, { key = keyPair(), jwt, rawUrl, autoAck = true, timeoutMs = 10000 } = {}) {
    const client = new Client();
    client.key = key;
    client.autoAck = autoAck;
    client.nextId = 1;
    client.pending = new Map();
    client.deliveries = [];  // every irn_subscription, in arrival order: {id, topic, message, publishedAt, tag}
    client.listeners = new Set();
    client.unexpected = [];  // frames that were neither answers nor deliveries
    const url = rawUrl ?? `${relayUrl}/?auth=${encodeURIComponent(jwt ?? await token(relayUrl, { key }))}`;
    client.ws = new WebSocket(url, { maxPayload: 64 << 20 });
    client.closed = new Promise((resolve) => {
      client.ws.on('close', (code, reason) => {
        for (const { reject } of client.pending.values()) reject(new Error(`connection closed (${code} ${reason})`));
        client.pending.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    client.ws.on('error', () => {});  // the close event follows and says what happened
    client.ws.on('message', (data) => client.onFrame(data.toString()));
    await within(new Promise((resolve, reject) => {
      client.ws.once('open', resolve);
      client.ws.once('unexpected-response', (_, response) => reject(new Error(`HTTP ${response.statusCode}`)));
      client.closed.then(({ code, reason }) => reject(new Error(`closed before open: ${code} ${reason}`)));
    }), timeoutMs, `connecting to ${relayUrl}`);
    return client;
  }

  onFrame(text) {
    const frame = JSON.parse(text);
    if (frame.method === 'irn_subscription') {
      const delivery = { id: frame.id, subscription: frame.params.id, ...frame.params.data };
      this.deliveries.push(delivery);
      if (this.autoAck) this.ack(delivery);
      for (const listener of this.listeners) listener(delivery);
      return;
    }
    const waiting = this.pending.get(frame.id);
    if (!waiting) {
      this.unexpected.push(frame);
      return;
    }
    this.pending.delete(frame.id);
    waiting.resolve(frame);
  }

  ack(delivery) {
    this.send({ id: delivery.id, jsonrpc: '2.0', result: true });
  }

  send(frame) {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  // The whole answer frame ({id, jsonrpc, result} or {id, jsonrpc, error}) of a request.
  call(method, params, timeoutMs = REQUEST_MS) {
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.send({ id, jsonrpc: '2.0', method, params });
    return within(answer, timeoutMs, `answer to ${method} #${id}`);
  }

  // The result of a request; throws on a JSON-RPC error.
  async request(method, params, timeoutMs) {
    const answer = await this.call(method, params, timeoutMs);
    if (answer.error) {
      const error = new Error(`${method}: ${answer.error.code} ${answer.error.message}`);
      error.rpc = answer.error;
      throw error;
    }
    return answer.result;
  }

  // Sends a raw frame and waits for the next answer that is not to one of our numbered requests.
  async raw(frame, timeoutMs = REQUEST_MS) {
    const before = this.unexpected.length;
    this.send(frame);
    await until(() => this.unexpected.length > before, timeoutMs, 'an answer to a raw frame');
    return this.unexpected[before];
  }

  publish(topic, message, extra = {}) {
    return this.request('irn_publish', { topic, message, ttl: 300, tag: 0, ...extra });
  }

  subscribe(topic) {
    return this.request('irn_subscribe', { topic });
  }

  received(topic) {
    return this.deliveries.filter((d) => d.topic === topic);
  }

  close() {
    this.ws.close(1000);
    return within(this.closed, 5000, 'close').catch(() => this.ws.terminate());
  }
}

function randomTopic() {
  return crypto.randomBytes(32).toString('hex');
}

module.exports = { Relay, Client, within, until, keyPair, token, randomTopic, REQUEST_MS };
