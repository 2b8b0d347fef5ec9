// A minimal WalletConnect-style relay on node's `ws` package: the comparison (c) of docs/benchmarks.md,
// "Relay" — what many projects deploy. It does the JSON-RPC subset relay_bench drives and nothing more:
// irn_subscribe -> subscription id, irn_publish -> result true and irn_subscription to every subscriber
// of the topic, irn_unsubscribe, and acks read and dropped. No storage, no auth check (the JWT's issuer
// only names the client), no limits.
//
//   NODE_PATH=interop/node_modules node bench/node_ws_relay.js --listen 127.0.0.1:PORT
// prints "node_ws_relay listening on ws://HOST:PORT" once listening; SIGTERM closes it.
'use strict';
const crypto = require('node:crypto');
const { WebSocketServer } = require('ws');

const arg = process.argv.indexOf('--listen');
const [host, port] = (arg > 0 ? process.argv[arg + 1] : '127.0.0.1:8788').split(':');

const subscribers = new Map(); // topic -> Map(socket -> subscription id)
let nextId = 1;

function clientIdOf(url) {
  const auth = new URL(url, 'ws://x').searchParams.get('auth') || '';
  try {
    return JSON.parse(Buffer.from(auth.split('.')[1] || '', 'base64url').toString()).iss || '';
  } catch {
    return '';
  }
}

function answer(socket, id, result) {
  socket.send(`{"id":${JSON.stringify(id)},"jsonrpc":"2.0","result":${JSON.stringify(result)}}`);
}

function fail(socket, id, code, message) {
  socket.send(JSON.stringify({ id, jsonrpc: '2.0', error: { code, message } }));
}

function publish(params) {
  const topicSubscribers = subscribers.get(params.topic);
  if (!topicSubscribers) return;
  const publishedAt = Date.now();
  for (const [socket, subscriptionId] of topicSubscribers) {
    socket.send(JSON.stringify({
      id: nextId++,
      jsonrpc: '2.0',
      method: 'irn_subscription',
      params: {
        id: subscriptionId,
        data: { topic: params.topic, message: params.message, publishedAt, tag: params.tag, attestation: null },
      },
    }));
  }
}

function handle(socket, clientId, text) {
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    return fail(socket, null, -32700, 'parse error');
  }
  const { id, method, params } = request;
  if (method === undefined) return; // a client's result: the ack of an irn_subscription
  switch (method) {
    case 'irn_publish':
      if (typeof params?.topic !== 'string' || typeof params.message !== 'string') {
        return fail(socket, id, -32602, 'topic and message are required');
      }
      answer(socket, id, true);
      return publish(params);
    case 'irn_subscribe': {
      if (typeof params?.topic !== 'string') return fail(socket, id, -32602, 'topic is required');
      const subscriptionId = crypto.createHash('sha256').update(params.topic + clientId).digest('hex');
      if (!subscribers.has(params.topic)) subscribers.set(params.topic, new Map());
      subscribers.get(params.topic).set(socket, subscriptionId);
      socket.topics.add(params.topic);
      return answer(socket, id, subscriptionId);
    }
    case 'irn_unsubscribe':
      subscribers.get(params?.topic)?.delete(socket);
      return answer(socket, id, true);
    default:
      return fail(socket, id, -32601, `unknown method ${method}`);
  }
}

const server = new WebSocketServer({ host, port: Number(port), maxPayload: 256 * 1024 });
server.on('connection', (socket, request) => {
  const clientId = clientIdOf(request.url);
  socket.topics = new Set();
  socket.on('message', (data) => handle(socket, clientId, data.toString()));
  socket.on('close', () => {
    for (const topic of socket.topics) {
      const topicSubscribers = subscribers.get(topic);
      topicSubscribers?.delete(socket);
      if (topicSubscribers?.size === 0) subscribers.delete(topic);
    }
  });
  socket.on('error', () => {});
});
server.on('listening', () => console.log(`node_ws_relay listening on ws://${host}:${server.address().port}`));
process.on('SIGTERM', () => {
  for (const client of server.clients) client.terminate();
  server.close(() => process.exit(0));
});
