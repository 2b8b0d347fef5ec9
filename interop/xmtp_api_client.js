'use strict';
// xmtp-js 13.0.4's ApiClient (src/ApiClient.ts) over keylink-relay's WebSocket JSON-RPC, with the
// mapping of include/keylink/wire/xmtp/relay_mapping.h (DESIGN.md, "The relay"):
//   relay topic   = lowercase hex(sha256(XMTP content topic))
//   relay message = standard padded base64 of message_api.v1.Envelope{content_topic=1, timestamp_ns=2, message=3}
//   irn_publish   ttl 30 days (2592000 s), tag 9000
//   query         keylink_query {topic, startMs, endMs, cursor, limit, direction}, following its cursors
//   subscribe     irn_subscribe; each irn_subscription is decoded, handed over, then acked
//
// The connection is tests/e2e/client.js's Client (relay-auth JWT of an Ed25519 key of our own; the
// relay's client id is that key's did:key), so its `ws` and relay-auth come from interop/node_modules
// through NODE_PATH. A test transport: it does not reconnect; when the connection ends, every
// subscription's onConnectionLost is called.
//
// Differences from the XMTP network, by design of the relay:
// - Time bounds: the relay selects on the time it received a message (publishedAt, ms); the envelopes
//   it returns are then filtered on their own timestampNs, exactly. An envelope that reached the relay
//   after endTime is not found.
// - Subscriptions: the relay delivers a fresh subscriber every unacked message the topic still holds;
//   XMTP delivers only new ones, so deliveries the relay received before the subscription started are
//   acked and dropped.
// - Envelopes that do not decode, or whose contentTopic is not the topic their relay topic stands for,
//   are dropped (and acked): a relay or a peer can put anything on any topic.
// - The relay does not deliver a client its own publishes; XMTP does, so publish() hands each accepted
//   envelope to this client's own subscriptions on its topic.
// - setAuthenticator is kept but unused: the relay authenticates the connection, not each publish.
const crypto = require('node:crypto');
const path = require('node:path');
const { messageApi } = require('@xmtp/proto');
const relayAuth = require('@walletconnect/relay-auth');

const e2e = require(path.join(__dirname, '..', 'tests', 'e2e', 'client.js'));

const XMTP_TTL_SECONDS = 30 * 24 * 3600;
const XMTP_RELAY_TAG = 9000;
const MAX_RELAY_QUERY_LIMIT = 1000;  // keylink-relay's default --max-query
const MAX_QUERY_TOTAL = 100000;       // relay messages over all pages of one query, as XmtpTransport

const { SortDirection } = messageApi;

function relayTopic(contentTopic) {
  return crypto.createHash('sha256').update(contentTopic, 'utf8').digest('hex');
}

// --- message_api.v1.Envelope, by hand (proto3: default values are left out, as our C++ encoder does) ---

function varint(value) {
  let v = BigInt(value);
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return Buffer.from(out);
}

function encodeEnvelope({ contentTopic, timestampNs, message }) {
  const parts = [];
  const topic = Buffer.from(contentTopic, 'utf8');
  if (topic.length) parts.push(Buffer.from([0x0a]), varint(topic.length), topic);
  const ts = BigInt(timestampNs ?? 0);
  if (ts) parts.push(Buffer.from([0x10]), varint(ts));
  const bytes = Buffer.from(message ?? []);
  if (bytes.length) parts.push(Buffer.from([0x1a]), varint(bytes.length), bytes);
  return Buffer.concat(parts);
}

// Throws on anything that is not a well-formed Envelope with a content topic.
function decodeEnvelope(bytes) {
  let at = 0;
  const readVarint = () => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return value;
    }
    throw new Error('varint too long');
  };
  const readLength = () => {
    const length = Number(readVarint());
    if (at + length > bytes.length) throw new Error('truncated field');
    const field = bytes.subarray(at, at + length);
    at += length;
    return field;
  };
  const envelope = { contentTopic: '', timestampNs: '0', message: new Uint8Array() };
  while (at < bytes.length) {
    const key = readVarint();
    const field = Number(key >> 3n);
    const type = Number(key & 7n);
    if (field === 1 && type === 2) {
      envelope.contentTopic = new TextDecoder('utf-8', { fatal: true }).decode(readLength());
    } else if (field === 2 && type === 0) {
      envelope.timestampNs = BigInt.asUintN(64, readVarint()).toString();
    } else if (field === 3 && type === 2) {
      envelope.message = Uint8Array.from(readLength());
    } else if (type === 0) {
      readVarint();
    } else if (type === 2) {
      readLength();
    } else if (type === 1 || type === 5) {
      at += type === 1 ? 8 : 4;
      if (at > bytes.length) throw new Error('truncated field');
    } else {
      throw new Error(`unsupported wire type ${type}`);
    }
  }
  if (!envelope.contentTopic) throw new Error('Envelope.content_topic: missing');
  return envelope;
}

function relayPayload(envelope) {
  return encodeEnvelope(envelope).toString('base64');
}

// The Envelope in a relay message, or undefined (with the reason given to `dropped`).
function openPayload(text, contentTopic, dropped) {
  let envelope;
  try {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.toString('base64') !== text) throw new Error('not standard padded base64');
    envelope = decodeEnvelope(bytes);
  } catch (error) {
    dropped(`not an XMTP envelope: ${error.message}`);
    return undefined;
  }
  if (envelope.contentTopic !== contentTopic) {
    dropped(`envelope for ${envelope.contentTopic} on the relay topic of ${contentTopic}`);
    return undefined;
  }
  return envelope;
}

const nsOf = (date) => (date ? BigInt(date.getTime()) * 1000000n : undefined);

class RelayApiClient {
  // relayUrl: ws://127.0.0.1:PORT of keylink-relay. key: a relay-auth key pair (new when not given).
  constructor(relayUrl, { key = e2e.keyPair(), requestTimeoutMs = 20000, log = () => {} } = {}) {
    this.relayUrl = relayUrl;
    this.key = key;
    this.requestTimeoutMs = requestTimeoutMs;
    this.log = log;
    this.subscriptions = new Set();
    this.authenticator = undefined;
  }

  // For Client.create's apiClientFactory.
  static factory(relayUrl, options) {
    return () => new RelayApiClient(relayUrl, options);
  }

  connection() {
    if (!this.connecting) {
      this.connecting = e2e.Client.connect(this.relayUrl, { key: this.key, autoAck: false }).then((client) => {
        client.listeners.add((delivery) => this.onDelivery(client, delivery));
        client.closed.then(() => {
          for (const subscription of this.subscriptions) subscription.lost(new Error('relay connection closed'));
        });
        return client;
      });
    }
    return this.connecting;
  }

  async request(method, params) {
    const client = await this.connection();
    return client.request(method, params, this.requestTimeoutMs);
  }

  setAuthenticator(authenticator) {
    this.authenticator = authenticator;
  }

  // --- publish ---------------------------------------------------------------------------------

  async publish(messages) {
    const envelopes = messages.map(({ contentTopic, message, timestamp }) => {
      if (!contentTopic.length) throw new Error('Content topic cannot be empty string');
      if (!message.length) throw new Error('0 length messages not allowed');
      return { contentTopic, timestampNs: nsOf(timestamp || new Date()).toString(), message };
    });
    for (const envelope of envelopes) {
      const accepted = await this.request('irn_publish', {
        topic: relayTopic(envelope.contentTopic),
        message: relayPayload(envelope),
        ttl: XMTP_TTL_SECONDS,
        tag: XMTP_RELAY_TAG,
        prompt: false,
      });
      if (accepted !== true) throw new Error(`relay did not accept the publish: ${JSON.stringify(accepted)}`);
      await this.echo(envelope);
    }
    return {};  // PublishResponse has no fields
  }

  // --- query -----------------------------------------------------------------------------------

  async *queryIteratePages({ contentTopic, startTime, endTime }, { direction, pageSize = 10 } = {}) {
    if (!contentTopic || !contentTopic.length) throw new Error('Must specify content topics');
    const startNs = nsOf(startTime);
    const endNs = nsOf(endTime);
    const params = {
      topic: relayTopic(contentTopic),
      limit: Math.max(1, Math.min(pageSize, MAX_RELAY_QUERY_LIMIT)),
      direction: direction === SortDirection.SORT_DIRECTION_DESCENDING ? 'desc' : 'asc',
    };
    if (startTime) params.startMs = startTime.getTime();
    if (endTime) params.endMs = endTime.getTime();
    let seen = 0;
    for (;;) {
      const page = await this.request('keylink_query', params);
      seen += page.messages.length;
      if (seen > MAX_QUERY_TOTAL) throw new Error(`more than ${MAX_QUERY_TOTAL} messages on ${contentTopic}`);
      const envelopes = [];
      for (const { message } of page.messages) {
        const envelope = openPayload(message, contentTopic, (why) => this.log(`query ${contentTopic}: ${why}`));
        if (!envelope) continue;
        const ts = BigInt(envelope.timestampNs);
        if ((startNs !== undefined && ts < startNs) || (endNs !== undefined && ts > endNs)) continue;
        envelopes.push(envelope);
      }
      if (envelopes.length) yield envelopes;
      if (page.cursor === undefined || page.messages.length === 0) return;
      params.cursor = page.cursor;
    }
  }

  async *queryIterator(params, options) {
    for await (const page of this.queryIteratePages(params, options)) yield* page;
  }

  async query(params, { direction = SortDirection.SORT_DIRECTION_ASCENDING, limit, pageSize } = {}) {
    const out = [];
    const maxPageSize = params.contentTopic.startsWith('userpreferences-') ? 500 : 100;
    const size = pageSize ? Math.min(pageSize, maxPageSize) : maxPageSize;
    for await (const page of this.queryIteratePages(params, { direction, pageSize: size })) {
      for (const envelope of page) {
        out.push(envelope);
        if (limit && out.length === limit) return out;
      }
    }
    return out;
  }

  // One page per query, as the network's BatchQuery answers.
  async batchQuery(queries) {
    return Promise.all(queries.map(async (query) => {
      const pages = this.queryIteratePages(query, {
        direction: query.direction || SortDirection.SORT_DIRECTION_ASCENDING,
        pageSize: query.pageSize || 10,
      });
      const first = await pages.next();
      await pages.return();
      return first.done ? [] : first.value;
    }));
  }

  // --- subscribe -------------------------------------------------------------------------------

  subscribe(params, callback, onConnectionLost) {
    if (!params.contentTopics.length) throw new Error('Must provide list of contentTopics to subscribe to');
    const subscription = {
      topics: new Map(),  // relay topic -> content topic
      since: Date.now(),  // deliveries the relay received before this are backlog
      active: true,
      callback,
      lost: (error) => {
        if (subscription.active) onConnectionLost?.(error);
      },
    };
    this.subscriptions.add(subscription);
    const update = async (contentTopics) => {
      const wanted = new Map(contentTopics.map((topic) => [relayTopic(topic), topic]));
      const gone = [...subscription.topics.keys()].filter((topic) => !wanted.has(topic));
      const added = [...wanted.keys()].filter((topic) => !subscription.topics.has(topic));
      subscription.topics = wanted;
      for (const topic of added) await this.request('irn_subscribe', { topic });
      for (const topic of gone) await this.unsubscribeIfUnused(topic);
    };
    subscription.ready = update(params.contentTopics).catch((error) => {
      this.log(`subscribe: ${error.message}`);
      subscription.lost(error);
    });
    return {
      unsubscribe: async () => {
        subscription.active = false;
        this.subscriptions.delete(subscription);
        for (const topic of subscription.topics.keys()) await this.unsubscribeIfUnused(topic);
      },
      updateContentTopics: (topics) => update(topics),
    };
  }

  async unsubscribeIfUnused(topic) {
    for (const other of this.subscriptions) if (other.active && other.topics.has(topic)) return;
    await this.request('irn_unsubscribe', { topic, id: crypto.createHash('sha256')
      .update(topic + this.clientId()).digest('hex') });
  }

  clientId() {
    return relayAuth.encodeIss(this.key.publicKey);
  }

  // The relay never delivers a client its own publishes (WalletConnect's rule); the XMTP network does,
  // so our subscriptions on the topic get the envelope here, once the relay has accepted it.
  async echo(envelope) {
    const topic = relayTopic(envelope.contentTopic);
    for (const subscription of [...this.subscriptions]) {
      if (!subscription.active || !subscription.topics.has(topic)) continue;
      try {
        await subscription.callback({ ...envelope });
      } catch (error) {
        this.log(`subscription callback: ${error.message}`);
      }
    }
  }

  // The ack goes after the callbacks have run (a delivery that is dropped is acked too).
  async onDelivery(client, delivery) {
    for (const subscription of [...this.subscriptions]) {
      const contentTopic = subscription.topics.get(delivery.topic);
      if (!subscription.active || contentTopic === undefined) continue;
      if (delivery.publishedAt < subscription.since) continue;
      const envelope = openPayload(delivery.message, contentTopic, (why) => this.log(`delivery: ${why}`));
      try {
        if (envelope) await subscription.callback(envelope);
      } catch (error) {
        this.log(`subscription callback: ${error.message}`);
      }
    }
    client.ack(delivery);
  }

  async close() {
    for (const subscription of this.subscriptions) subscription.active = false;
    this.subscriptions.clear();
    if (this.connecting) await (await this.connecting).close();
  }
}

module.exports = {
  RelayApiClient, relayTopic, relayPayload, encodeEnvelope, decodeEnvelope, XMTP_TTL_SECONDS, XMTP_RELAY_TAG,
};
