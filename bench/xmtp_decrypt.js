'use strict';
// xmtp-js 13 opening 1 KiB V2 messages, the yardstick of bench/xmtp_bench.cc's BM_OpenMessagesV2: the
// same work per message (Message{v2} decode and topic check, keystore decryptV2, SignedContent decode,
// the sender's signatures, content decode), through xmtp-js's own path (ConversationV2.processEnvelope,
// then decryptBatch: what conversation.messages() does after its query), in batches of 100.
// Two Clients reach each other through a keylink-relay it starts (the messages are made once); the
// timed loop does no IO. Prints messages/s (best of five rounds), or {"open": messages/s} with --json.
//   NODE_PATH=interop/node_modules node bench/xmtp_decrypt.js --relay-program PATH [--json] [--seconds=3]
const path = require('node:path');
const crypto = require('node:crypto');
const { createRequire } = require('node:module');

const interop = path.join(__dirname, '..', 'interop');
const interopRequire = createRequire(path.join(interop, 'package.json'));
const xmtp = interopRequire('@xmtp/xmtp-js');
const { privateKeyToAccount } = interopRequire('viem/accounts');
const { Relay } = require(path.join(interop, 'relay_process.js'));
const { RelayApiClient } = require(path.join(interop, 'xmtp_api_client.js'));

const args = process.argv.slice(2);
const json = args.includes('--json');
const program = args[args.indexOf('--relay-program') + 1];
const secondsArg = args.find((a) => a.startsWith('--seconds='));
const seconds = secondsArg ? Number(secondsArg.split('=')[1]) : 3;
const BATCH = 100;

async function client(relay, apis) {
  const account = privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`);
  const wallet = { getAddress: async () => account.address, signMessage: (message) => account.signMessage({ message }) };
  return xmtp.Client.create(wallet, {
    env: 'local',
    apiClientFactory: () => {
      const api = new RelayApiClient(relay.url, { log: () => {} });
      apis.push(api);
      return api;
    },
    persistConversations: false,
  });
}

async function main() {
  if (!program || program.startsWith('--')) throw new Error('--relay-program PATH (keylink-relay) is required');
  const relay = await Relay.start(['--store', 'memory', '--publish-rate', '0'], { path: program });
  const apis = [];
  try {
    const alice = await client(relay, apis);
    const bob = await client(relay, apis);
    const sending = await alice.conversations.newConversation(bob.address);
    const text = 'x'.repeat(1024);
    for (let i = 0; i < BATCH; i++) await sending.send(text);
    const [reading] = await bob.conversations.list();
    const envelopes = await bob.apiClient.query({ contentTopic: reading.topic }, {});
    if (envelopes.length !== BATCH) throw new Error(`expected ${BATCH} envelopes, got ${envelopes.length}`);

    const open = async () => {
      const messages = await Promise.all(envelopes.map((e) => reading.processEnvelope(e)));
      const decoded = await reading.decryptBatch(messages, true);
      if (decoded.length !== BATCH || decoded[0].content !== text) throw new Error('decoding failed');
    };
    // Batches until the time is up; the best of five rounds after a warm-up (JIT, GC).
    const round = async (ms) => {
      let count = 0;
      const start = process.hrtime.bigint();
      let now = start;
      while (now - start < BigInt(ms) * 1000000n) {
        await open();
        count += BATCH;
        now = process.hrtime.bigint();
      }
      return count / (Number(now - start) / 1e9);
    };
    await round(seconds * 250);
    let best = 0;
    for (let i = 0; i < 5; i++) best = Math.max(best, await round(seconds * 1000 / 5));
    if (json) {
      console.log(JSON.stringify({ open: best }));
    } else {
      console.log(`xmtp-js 13 V2 open, 1 KiB text, batches of ${BATCH}: ${best.toFixed(0)} messages/s`);
    }
  } finally {
    for (const api of apis) await api.close();
    await relay.stop('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
