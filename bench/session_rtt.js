'use strict';
// Request round trip dApp -> wallet -> dApp through a keylink-relay (docs/benchmarks.md, "Session"), for
// two JS SignClients (@walletconnect/sign-client 2.25.0): the yardstick of bench/session_bench. N
// sessions between one dApp client and one wallet client, each session running personal_sign requests
// in a closed loop (one in flight); the wallet answers every wc_sessionRequest at once with a fixed
// result (no signing), so this measures the SDK's protocol work, its storage and the relay. Like
// session_bench, whose two parties run on two threads, the wallet runs on a worker thread.
// The SDK's wallet hands session requests to the app one at a time (for all sessions together), and
// waits requestQueueDelay (1 s) after each answer before the next: a UI throttle that would make this
// measure a timer. It is set to 0 here; --sdk-queue-delay keeps it (impl "js-sign-client-1s-queue").
//
//   node bench/session_rtt.js [--relay ws://127.0.0.1:PORT | ws://...] [--sessions N] [--seconds 10]
//                             [--warmup 2] [--sdk-queue-delay]
// prints one JSON line per configuration:
//   {"impl":"js-sign-client","sessions":N,"requests":..,"seconds":..,"rps":..,"p50_us":..,"p99_us":..}
// Without --sessions it runs 1 and 32. Without a relay URL it starts keylink-relay (KEYLINK_RELAY, else
// build/apps/keylink-relay/keylink-relay) for each configuration, with --store memory, the publish limit
// off (--publish-rate 0: one client stands for many here) and --min-ttl 30; bring your own relay with the
// same flags. Every wait is bounded; nothing but the JSON lines goes to stdout.
const path = require('node:path');
const { createRequire } = require('node:module');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const interopRequire = createRequire(path.join(__dirname, '..', 'interop', 'package.json'));
const { SignClient } = interopRequire('@walletconnect/sign-client');
const { Relay, within } = require(path.join(__dirname, '..', 'interop', 'relay_process'));

// The SDK adds a listener per publish in flight; 32 sessions exceed node's warning threshold of 10.
require('node:events').defaultMaxListeners = 1000;

const CHAIN = 'eip155:1';
const ACCOUNT = '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23';  // the same as session_bench's
const STEP_MS = 30000;

async function makeClient(name, relayUrl) {
  const client = await within(SignClient.init({
    projectId: 'keylink-bench',
    relayUrl,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-bench-${name}-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: 'silent',
    metadata: { name: `bench ${name}`, description: 'session_rtt', url: 'https://keylink.invalid', icons: [] },
  }), STEP_MS, `SignClient.init (${name})`);
  client.core.verify.resolve = async () => undefined;  // offline: no verify server
  return client;
}

async function closeClient(client) {
  client.core.heartbeat.stop();
  try {
    await within(client.core.relayer.transportClose(), 5000, 'closing a client');
  } catch { /* the process ends anyway */ }
}

// The wallet, on a worker thread: pairs when told, approves every proposal, answers every request.
async function walletMain() {
  const wallet = await makeClient('wallet', workerData.relayUrl);
  if (!workerData.sdkQueueDelay) wallet.engine.requestQueueDelay = 0;
  wallet.on('session_proposal', async (proposal) => {
    try {
      const { topic } = await wallet.approve({
        id: proposal.id,
        namespaces: { eip155: { accounts: [`${CHAIN}:${ACCOUNT}`], methods: ['personal_sign'], events: [] } },
      });
      parentPort.postMessage({ type: 'approved', topic });
    } catch (error) {
      parentPort.postMessage({ type: 'error', message: `approve: ${error.message}` });
    }
  });
  wallet.on('session_request', ({ topic, id }) => {
    wallet.respond({ topic, response: { id, jsonrpc: '2.0', result: '0x00' } }).catch((error) => {
      parentPort.postMessage({ type: 'error', message: `respond: ${error.message}` });
    });
  });
  parentPort.on('message', async (message) => {
    if (message.type === 'pair') {
      wallet.pair({ uri: message.uri }).catch((error) => {
        parentPort.postMessage({ type: 'error', message: `pair: ${error.message}` });
      });
    } else if (message.type === 'stop') {
      await closeClient(wallet);
      parentPort.postMessage({ type: 'stopped' });
      parentPort.close();
    }
  });
  parentPort.postMessage({ type: 'ready' });
}

// The wallet worker seen from the main thread: send(message), next(type) for its replies.
class WalletWorker {
  constructor(relayUrl, sdkQueueDelay) {
    this.worker = new Worker(__filename, { workerData: { relayUrl, sdkQueueDelay } });
    this.queue = [];
    this.waiting = [];
    this.errors = [];
    this.worker.on('message', (message) => {
      if (message.type === 'error') {
        this.errors.push(message.message);
        return;
      }
      const waiter = this.waiting.findIndex((w) => w.type === message.type);
      if (waiter >= 0) this.waiting.splice(waiter, 1)[0].resolve(message);
      else this.queue.push(message);
    });
    this.worker.on('error', (error) => this.errors.push(`worker: ${error.stack || error.message}`));
  }

  send(message) {
    this.worker.postMessage(message);
  }

  next(type, what) {
    const queued = this.queue.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(this.queue.splice(queued, 1)[0]);
    return within(new Promise((resolve) => this.waiting.push({ type, resolve })), STEP_MS,
      `${what}${this.errors.length ? ` (wallet: ${this.errors.join('; ')})` : ''}`);
  }
}

function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(relayUrl, sessions, seconds, warmup, sdkQueueDelay) {
  const wallet = new WalletWorker(relayUrl, sdkQueueDelay);
  await wallet.next('ready', 'the wallet worker');
  const dapp = await makeClient('dapp', relayUrl);

  const topics = [];
  for (let i = 0; i < sessions; i++) {
    const { uri, approval } = await within(dapp.connect({
      optionalNamespaces: { eip155: { chains: [CHAIN], methods: ['personal_sign'], events: [] } },
    }), STEP_MS, `connect ${i}`);
    wallet.send({ type: 'pair', uri });
    const session = await within(approval(), STEP_MS, `session ${i}`);
    await wallet.next('approved', `approval ${i}`);
    topics.push(session.topic);
  }

  // Closed loop per session; a latency counts when its answer arrives while measuring.
  const state = { running: true, measuring: false, completed: 0, latencies: [], failures: [] };
  const loop = async (topic) => {
    while (state.running) {
      const started = process.hrtime.bigint();
      try {
        await dapp.request({ topic, chainId: CHAIN, request: { method: 'personal_sign', params: ['0x00', ACCOUNT] } });
      } catch (error) {
        state.failures.push(error.message || JSON.stringify(error));
        if (state.failures.length > 10) state.running = false;
        continue;
      }
      if (state.measuring) {
        state.latencies.push(Number(process.hrtime.bigint() - started) / 1000);
        state.completed += 1;
      }
    }
  };
  const loops = topics.map(loop);
  await sleep(warmup * 1000);
  state.measuring = true;
  const start = process.hrtime.bigint();
  await sleep(seconds * 1000);
  state.running = false;
  state.measuring = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  await within(Promise.all(loops), STEP_MS, 'the requests in flight');  // each loop ends after its answer

  wallet.send({ type: 'stop' });
  await wallet.next('stopped', 'the wallet worker stopping').catch(() => wallet.worker.terminate());
  await closeClient(dapp);
  if (state.failures.length > 0 || wallet.errors.length > 0) {
    throw new Error(`requests failed: ${[...state.failures, ...wallet.errors].slice(0, 5).join('; ')}`);
  }
  if (state.completed === 0) throw new Error('no request completed while measuring');
  const sorted = state.latencies.sort((a, b) => a - b);
  return {
    impl: sdkQueueDelay ? 'js-sign-client-1s-queue' : 'js-sign-client',
    sessions,
    requests: state.completed,
    seconds: elapsed,
    rps: state.completed / elapsed,
    p50_us: quantile(sorted, 0.5),
    p99_us: quantile(sorted, 0.99),
  };
}

function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  if (at >= 0 && at + 1 < args.length) return args[at + 1];
  const inline = args.find((a) => a.startsWith(`${name}=`));
  return inline ? inline.slice(name.length + 1) : fallback;
}

async function main() {
  const positional = process.argv.slice(2).find((a) => /^wss?:\/\//.test(a));
  const givenRelay = option('--relay', positional);
  const sessionCounts = option('--sessions') ? [Number(option('--sessions'))] : [1, 32];
  const seconds = Number(option('--seconds', '10'));
  const warmup = Number(option('--warmup', '2'));
  const sdkQueueDelay = process.argv.includes('--sdk-queue-delay');
  if (sessionCounts.some((n) => !(n >= 1)) || !(seconds > 0) || !(warmup >= 0)) {
    throw new Error('usage: session_rtt.js [--relay URL] [--sessions N] [--seconds S] [--warmup S]');
  }
  for (const sessions of sessionCounts) {
    let relay;
    if (!givenRelay) {
      const program = process.env.KEYLINK_RELAY ||
        path.join(__dirname, '..', 'build', 'apps', 'keylink-relay', 'keylink-relay');
      relay = await Relay.start(['--store', 'memory', '--publish-rate', '0', '--min-ttl', '30', '--log-level', 'warn'],
        { path: program });
    }
    try {
      const result = await measure(givenRelay || relay.url, sessions, seconds, warmup, sdkQueueDelay);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      if (relay) await relay.stop('SIGTERM');
    }
  }
}

if (isMainThread) {
  main().then(() => process.exit(0), (error) => {
    console.error(`session_rtt: ${error.stack || error.message}`);
    process.exit(1);
  });
} else {
  walletMain().catch((error) => {
    parentPort.postMessage({ type: 'error', message: `wallet: ${error.stack || error.message}` });
  });
}
