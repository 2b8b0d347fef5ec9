'use strict';
// A raw WalletConnect relay client for the end-to-end tests: one WebSocket, JSON-RPC requests with
// bounded waits, irn_subscription deliveries recorded and (unless told otherwise) acknowledged.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const WebSocket = require('ws');
const relayAuth = require('@walletconnect/relay-auth');

const interop = path.join(__dirname, '..', '..', 'interop');
const { Relay, within, until } = require(path.join(interop, 'relay_process.js'));

const REQUEST_MS = 20000;
const BYSTANDER_WAIT_MS = 30000;

function keyPair(seed = crypto.randomBytes(32)) {
  return relayAuth.generateKeyPair(seed);
}

// A relay-auth JWT (what @walletconnect/core sends); aud is the relay URL unless told otherwise.
async function token(relayUrl, { key = keyPair(), aud = relayUrl, ttl = 86400, iat } = {}) {
  return relayAuth.signJWT(crypto.randomBytes(32).toString('hex'), aud, ttl, key, iat);
}

class Client {
  // Opens a connection authenticated with `key` (the same key is the same client id). `jwt` replaces
  // the token; `rawUrl` replaces the whole URL; `ca` is the PEM CA a wss:// relay's certificate chains to.
  static async connect(relayUrl, { key = keyPair(), jwt, rawUrl, headers, ca, autoAck = true, timeoutMs = 10000 } = {}) {
    const client = new Client();
    client.key = key;
    client.autoAck = autoAck;
    client.nextId = 1;
    client.pending = new Map();
    client.deliveries = [];  // every irn_subscription, in arrival order: {id, topic, message, publishedAt, tag}
    client.listeners = new Set();
    client.unexpected = [];  // frames that were neither answers nor deliveries
    const url = rawUrl ?? `${relayUrl}/?auth=${encodeURIComponent(jwt ?? await token(relayUrl, { key }))}`;
    client.ws = new WebSocket(url, { maxPayload: 64 << 20, headers, ...(ca ? { ca } : {}) });
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

// A WebSocket client written by hand over TCP, for frames `ws` will not send (invalid UTF-8, say):
// send(opcode, payload) writes one masked frame; `texts` holds the relay's text frames as they come;
// `closed` resolves with the relay's close {code, reason} (code 1005 when its close frame had none, 1006
// when the connection ended without one).
async function rawSocket(relayUrl, jwt, timeoutMs = 10000) {
  const { hostname, port } = new URL(relayUrl);
  const socket = net.connect(Number(port), hostname);
  const key = crypto.randomBytes(16).toString('base64');
  socket.write(`GET /?auth=${encodeURIComponent(jwt)} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buffer = Buffer.alloc(0);
  const texts = [];
  let upgraded = false;
  let onUpgrade;
  const opened = new Promise((resolve, reject) => { onUpgrade = { resolve, reject }; });
  const closed = new Promise((resolve) => {
    let result = { code: 1006, reason: '' };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 4);
        if (!head.startsWith('HTTP/1.1 101')) return onUpgrade.reject(new Error(head.split('\r\n')[0]));
        upgraded = true;
        onUpgrade.resolve();
      }
      for (;;) {  // server frames are unmasked
        if (buffer.length < 2) return;
        let length = buffer[1] & 0x7f;
        let at = 2;
        if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); at = 4; }
        if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); at = 10; }
        if (buffer.length < at + length) return;
        const opcode = buffer[0] & 0x0f;
        const payload = buffer.subarray(at, at + length);
        buffer = buffer.subarray(at + length);
        if (opcode === 1) texts.push(payload.toString());
        if (opcode === 8) {
          result = payload.length >= 2 ? { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString() }
            : { code: 1005, reason: '' };
          socket.end();
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      onUpgrade.reject(new Error('closed before the upgrade'));
      resolve(result);
    });
  });
  await within(opened, timeoutMs, 'the WebSocket upgrade');
  const send = (opcode, payload) => {
    const mask = crypto.randomBytes(4);
    const header = payload.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    socket.write(Buffer.concat([header, mask, masked]));
  };
  return { socket, send, texts, closed };
}

// An honest pair beside a test's hostile clients: one client publishes a message every 20 ms to a topic
// another one subscribes to; finish() checks that every publish was answered true and delivered.
class Bystander {
  static async start(url) {
    const b = new Bystander();
    b.topic = randomTopic();
    b.receiver = await Client.connect(url);
    await b.receiver.subscribe(b.topic);
    b.sender = await Client.connect(url);
    b.sent = [];
    b.failures = [];
    b.running = true;
    b.loop = (async () => {
      for (let i = 0; b.running; i++) {
        const message = `bystander-${i}`;
        try {
          if (await b.sender.publish(b.topic, message) !== true) throw new Error('not true');
          b.sent.push(message);
        } catch (error) {
          b.failures.push(`${message}: ${error.message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return b;
  }

  async finish() {
    this.running = false;
    await within(this.loop, BYSTANDER_WAIT_MS, 'the bystander loop');
    assert.deepEqual(this.failures, [], 'the bystander publishes all answered true');
    await until(() => this.receiver.received(this.topic).length >= this.sent.length, BYSTANDER_WAIT_MS,
      'the bystander messages delivered');
    assert.deepEqual(this.receiver.received(this.topic).map((d) => d.message), this.sent);
    // And it still works now, both ways.
    const last = `bystander-final-${crypto.randomUUID()}`;
    assert.equal(await this.sender.publish(this.topic, last), true);
    await until(() => this.receiver.received(this.topic).some((d) => d.message === last), BYSTANDER_WAIT_MS, 'a last message');
    assert.equal(this.sender.ws.readyState, 1);
    assert.equal(this.receiver.ws.readyState, 1);
    return this.sent.length + 1;
  }
}

function randomTopic() {
  return crypto.randomBytes(32).toString('hex');
}

// Publishes m-0, m-1, … keeping `window` in flight, until `stop(next)` or the connection ends or `max`
// went. The first `fastFirst` as fast as they go, then paced (5 ms between publishes per window slot), so
// that a test that kills something is still publishing when it does. Returns the numbers of the publishes
// answered `true`, and how many were refused or still unanswered when it ended.
function publisher(client, topic, { until: stop, fastFirst, max, window = 8, waitMs = 60000 }) {
  const confirmed = new Set();
  let next = 0;
  let unanswered = 0;
  let failures = 0;
  const done = new Promise((resolve) => {
    let inFlight = 0;
    let ended = false;
    const stopped = () => client.ws.readyState !== 1 || stop(next) || next >= max;
    const finish = () => {
      if (ended || inFlight > 0 || !stopped()) return;
      ended = true;
      resolve();
    };
    const pump = () => {
      while (!ended && inFlight < window && !stopped()) {
        const n = next++;
        inFlight++;
        client.call('irn_publish', { topic, message: `m-${n}`, ttl: 3600, tag: 0 }, waitMs).then(
          (answer) => {
            if (answer.result === true) confirmed.add(n);
            else failures++;
          },
          () => { unanswered++; },
        ).finally(() => {
          inFlight--;
          if (n < fastFirst) pump();
          else setTimeout(pump, 5);  // paced once the subscriber pauses: still publishing at the kill
        });
      }
      finish();
    };
    pump();
  });
  return { confirmed, done, get inFlight() { return next - confirmed.size - unanswered - failures; },
    get published() { return next; }, get unanswered() { return unanswered; },
    get failures() { return failures; } };
}

// A CA, and a certificate it signs for 127.0.0.1 and localhost (with the CA after it: the chain), made
// in `into` with the openssl CLI (KEYLINK_OPENSSL, else openssl on PATH). Returns the PEM files' paths.
function makeCertificates(into) {
  const at = (name) => path.join(into, name);
  const openssl = (...args) => execFileSync(process.env.KEYLINK_OPENSSL || 'openssl', args,
    { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=keylink e2e CA', '-keyout', at('ca.key'), '-out', at('ca.pem'));
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', at('server.key'), '-out', at('server.csr'));
  fs.writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-days', '1', '-extfile', at('server.ext'), '-out', at('server.crt'));
  fs.writeFileSync(at('server.pem'), fs.readFileSync(at('server.crt'), 'utf8') + fs.readFileSync(at('ca.pem'), 'utf8'));
  return { ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key') };
}

module.exports = { Relay, Client, Bystander, within, until, keyPair, token, randomTopic, rawSocket, publisher, makeCertificates, REQUEST_MS };
