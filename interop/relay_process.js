'use strict';
// Starts keylink-relay (KEYLINK_RELAY) on a free loopback port for a test, and stops it. Shared by
// interop/sign_client_relay.test.js and the tests in tests/e2e/.
const { spawn } = require('node:child_process');
const http = require('node:http');
const https = require('node:https');
const readline = require('node:readline');

const READY = /^keylink-relay listening on (wss?:\/\/\S+)$/;

class Relay {
  // args: extra flags (e.g. ['--store', 'memory']). Resolves once the relay printed its URL. ca: the PEM
  // CA that get() trusts when the relay serves TLS (--tls-cert).
  static async start(args, { timeoutMs = 15000, path = process.env.KEYLINK_RELAY, ca } = {}) {
    if (!path) throw new Error('set KEYLINK_RELAY to the keylink-relay program');
    const relay = new Relay();
    relay.ca = ca;
    relay.output = [];
    relay.child = spawn(path, ['--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    relay.exited = new Promise((resolve) => {
      relay.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
    readline.createInterface({ input: relay.child.stderr }).on('line', (line) => relay.output.push(`[err] ${line}`));
    const lines = readline.createInterface({ input: relay.child.stdout });
    relay.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`keylink-relay not ready after ${timeoutMs} ms:\n${relay.log()}`)),
        timeoutMs);
      lines.on('line', (line) => {
        relay.output.push(line);
        const match = READY.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      relay.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`keylink-relay exited (${signal || code}) before listening:\n${relay.log()}`));
      });
    });
    relay.port = Number(new URL(relay.url).port);
    return relay;
  }

  log() {
    return this.output.join('\n');
  }

  // GET a path of the relay's HTTP side (HTTPS for a wss:// relay): {status, body}. Each GET has a
  // connection of its own, on every Node version (Node 19+ keeps the global agent's connections alive,
  // Node 18 does not): the relay counts a connection that is not upgraded against its per-IP cap and
  // closes it at --upgrade-timeout.
  get(path, timeoutMs = 10000) {
    const tls = this.url.startsWith('wss:');
    return new Promise((resolve, reject) => {
      const options = { host: '127.0.0.1', port: this.port, path, timeout: timeoutMs, agent: false, ...(tls ? { ca: this.ca } : {}) };
      const request = (tls ? https : http).get(options, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => { body += chunk; });
        response.on('end', () => resolve({ status: response.statusCode, body }));
      });
      request.on('timeout', () => request.destroy(new Error(`GET ${path} timed out`)));
      request.on('error', reject);
    });
  }

  // The relay's /metrics as {name or name{labels}: number}.
  async metrics() {
    const { body } = await this.get('/metrics');
    const values = {};
    for (const line of body.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      values[line.slice(0, space)] = Number(line.slice(space + 1));
    }
    return values;
  }

  // Sends a signal and waits (bounded) for the exit: {code, signal}.
  async stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`keylink-relay did not exit ${timeoutMs} ms after ${signal}:\n${this.log()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

// Resolves with the promise's value, or rejects with `what` once timeoutMs have passed.
function within(promise, timeoutMs, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Polls `check` (sync or async) every intervalMs until it returns a truthy value; fails after timeoutMs.
async function until(check, timeoutMs, what, intervalMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

module.exports = { Relay, within, until };
