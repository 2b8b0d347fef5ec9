'use strict';
// A three-server NATS cluster with JetStream on loopback, for the end-to-end tests of keylink-relay's
// cluster mode (--cluster): the tests kill and restart servers under relays that use them. Configs, logs
// and JetStream stores go under a directory the test owns, one subdirectory per server. Runs nats-server
// from KEYLINK_NATS_SERVER, else from PATH or /usr/sbin (where Debian installs it).
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { within } = require(path.join(__dirname, '..', '..', 'interop', 'relay_process.js'));

const SIZE = 3;
const QUORUM = 2;
const START_ATTEMPTS = 3;  // a free port can be taken by another process before nats-server binds it
const PORT_TAKEN = /address already in use/;

class NatsCluster {
  // dir: an existing directory. users: the client user names; each gets a random password per start.
  // Resolves once every server is ready (see waitReady).
  static async start({ dir, users, timeoutMs = 30000, program = natsServerProgram() }) {
    let lastError;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const cluster = new NatsCluster(dir, users, program, await freePorts(SIZE * 3));
      cluster.servers.forEach((_, i) => cluster.launch(i));
      try {
        await cluster.waitReady(timeoutMs);
        return cluster;
      } catch (error) {
        lastError = error;
        await cluster.stop().catch(() => {});
        const taken = cluster.servers.some((_, i) => PORT_TAKEN.test(cluster.log(i)));
        if (!taken) break;
        for (const server of cluster.servers) fs.rmSync(server.storeDir, { recursive: true, force: true });
      }
    }
    throw lastError;
  }

  constructor(dir, users, program, ports) {
    this.program = program;
    this.passwords = new Map(users.map((user) => [user, randomHex()]));
    this.routePassword = randomHex();
    this.servers = [];
    for (let i = 0; i < SIZE; i++) {
      const name = `n${i + 1}`;
      const home = path.join(dir, name);
      const [port, clusterPort, monitorPort] = ports.slice(i * 3, i * 3 + 3);
      this.servers.push({ name, port, clusterPort, monitorPort, storeDir: path.join(home, 'store'),
        configFile: path.join(home, 'nats.conf'), logFile: path.join(home, 'nats.log'), child: null, exited: null,
        killed: false, done: false });
    }
    for (const server of this.servers) {
      fs.mkdirSync(server.storeDir, { recursive: true });
      // 0600: the config holds the passwords.
      fs.writeFileSync(server.configFile, this.config(server), { mode: 0o600 });
      fs.writeFileSync(server.logFile, '');
    }
    // A test that fails or is interrupted must not leave servers behind holding its ports.
    this.onExit = () => {
      for (const server of this.servers) if (running(server)) server.child.kill('SIGKILL');
    };
    process.on('exit', this.onExit);
  }

  config(server) {
    const route = (other) => `nats://route:${this.routePassword}@127.0.0.1:${other.clusterPort}`;
    const users = [...this.passwords].map(([user, password]) =>
      `    { user: ${JSON.stringify(user)}, password: ${JSON.stringify(password)} }`);
    return [
      `server_name: ${server.name}`,
      `listen: 127.0.0.1:${server.port}`,
      `http: 127.0.0.1:${server.monitorPort}`,
      `jetstream { store_dir: ${JSON.stringify(server.storeDir)}, max_memory_store: 64MB, max_file_store: 1GB }`,
      'cluster {',
      '  name: keylink',
      `  listen: 127.0.0.1:${server.clusterPort}`,
      `  authorization { user: route, password: ${JSON.stringify(this.routePassword)}, timeout: 2 }`,
      `  routes: [ ${this.servers.filter((other) => other !== server).map(route).join(', ')} ]`,
      '}',
      'authorization {',
      '  users: [',
      users.join(',\n'),
      '  ]',
      '}',
      '',
    ].join('\n');
  }

  // nats://user:password@127.0.0.1:port of server i.
  url(user, i) {
    const password = this.passwords.get(user);
    if (password === undefined) throw new Error(`${user} is not a user of this cluster`);
    return `nats://${encodeURIComponent(user)}:${password}@127.0.0.1:${this.servers[i].port}`;
  }

  // The URLs of every server for one user, as --cluster takes them.
  urls(user) {
    return this.servers.map((_, i) => this.url(user, i)).join(',');
  }

  // Server i's output so far, over all its runs.
  log(i) {
    try {
      return fs.readFileSync(this.servers[i].logFile, 'utf8');
    } catch {
      return '';
    }
  }

  logs() {
    return this.servers.map((server, i) => `--- ${server.name} ---\n${this.log(i)}`).join('\n');
  }

  launch(i) {
    const server = this.servers[i];
    const fd = fs.openSync(server.logFile, 'a');
    try {
      // A file, not a pipe: nothing to drain, and the log outlives the process for the error messages.
      server.child = spawn(this.program, ['-c', server.configFile], { stdio: ['ignore', fd, fd] });
    } finally {
      fs.closeSync(fd);
    }
    server.killed = false;
    server.done = false;
    server.exited = new Promise((resolve) => {
      server.child.on('exit', (code, signal) => {
        server.done = true;
        resolve({ code, signal });
      });
      server.child.on('error', (error) => {
        server.done = true;
        resolve({ code: null, signal: null, error });
      });
    });
  }

  // Sends a signal to server i and waits (bounded) for its exit: {code, signal}. SIGKILLs it if the
  // signal did not end it in time, and throws.
  async kill(i, signal = 'SIGTERM', timeoutMs = 15000) {
    const server = this.servers[i];
    if (!server.child) throw new Error(`${server.name} was never started`);
    server.killed = true;
    if (running(server)) server.child.kill(signal);
    try {
      return await within(server.exited, timeoutMs, `${server.name} exiting after ${signal}`);
    } catch (error) {
      server.child.kill('SIGKILL');
      await server.exited;
      throw new Error(`${error.message}\n${this.log(i)}`);
    }
  }

  // Starts servers `which` (an index or a list) again on the same ports, config and store. Resolves once
  // the whole cluster is ready again, the restarted servers included; with `ready: false`, once they are
  // launched (a test that waits for what it needs itself: after all three came back at once, 2.9.10's
  // meta group can take long to show all three, though streams take writes well before).
  async restart(which, timeoutMs = 30000, { ready = true } = {}) {
    for (const i of [which].flat()) {
      const server = this.servers[i];
      if (running(server)) throw new Error(`${server.name} is still running`);
      fs.appendFileSync(server.logFile, `--- restarted by the test at ${new Date().toISOString()} ---\n`);
      this.launch(i);
    }
    if (ready) await this.waitReady(timeoutMs);
  }

  // Resolves once every running server answers /healthz with 200; they all name the same meta leader, a
  // running server, whose peers (of 3) include every running server, current; and every stream has a
  // running leader and running replicas that hold what it held. Throws with the logs on timeout, and at
  // once if a server exits that kill() did not stop or fewer than 2 servers run.
  async waitReady(timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const crashed = this.servers.find((server) => server.child && !running(server) && !server.killed);
      if (crashed) {
        const { code, signal, error } = await crashed.exited;
        const how = error ? error.message : signal || code;
        throw new Error(`nats-server ${crashed.name} exited (${how}):\n${this.logs()}`);
      }
      // A lone server keeps answering /healthz and naming itself leader for a while after it lost the others.
      if (this.servers.filter(running).length < QUORUM) {
        throw new Error(`fewer than ${QUORUM} of ${SIZE} NATS servers running: JetStream cannot be ready`);
      }
      const reason = await this.notReady().catch((error) => error.message);
      if (!reason) return;
      if (Date.now() > deadline) {
        throw new Error(`NATS cluster not ready after ${timeoutMs} ms: ${reason}\n${this.logs()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // Why the cluster is not ready, or '' if it is.
  async notReady() {
    const up = this.servers.filter(running);
    return await this.metaNotReady(up) || this.streamsBehind(up);
  }

  // Why the JetStream meta group is not ready, or '' if it is.
  async metaNotReady(up) {
    const leaders = new Set();
    for (const server of up) {
      const health = await get(server.monitorPort, '/healthz');
      if (health.status !== 200) return `${server.name} /healthz: ${health.status} ${health.body.trim()}`;
      const meta = JSON.parse((await get(server.monitorPort, '/jsz')).body).meta_cluster || {};
      if (meta.cluster_size !== SIZE) return `${server.name} sees a meta cluster of ${meta.cluster_size}`;
      leaders.add(meta.leader);
    }
    const [leader] = leaders;
    if (leaders.size !== 1) return `the servers name different meta leaders: ${[...leaders].join(', ')}`;
    // After a SIGKILL the others keep naming the dead leader for a few seconds.
    const leading = up.find((server) => server.name === leader);
    if (!leading) return `the meta leader ${leader} is not running`;
    const { meta_cluster: meta } = JSON.parse((await get(leading.monitorPort, '/jsz')).body);
    for (const server of up) {
      if (server === leading) continue;
      const peer = (meta.replicas || []).find((replica) => replica.name === server.name);
      if (!peer || !peer.current) return `${server.name} is not a current peer of the meta leader ${leader}`;
    }
    return '';
  }

  // A stream that is behind on a running replica, or '' if none is. /healthz passes on a restarted
  // server whose replica is still a few messages short; the leader's last sequence is read first, so
  // that replicas of a stream being written to can match it.
  async streamsBehind(up) {
    const leaders = new Map();  // account/stream -> {leader, lastSeq}
    for (const server of up) {
      for (const stream of await streamDetails(server)) {
        if (stream.cluster && stream.cluster.leader === server.name) {
          leaders.set(stream.key, { leader: server.name, lastSeq: stream.state.last_seq });
        }
      }
    }
    for (const server of up) {
      for (const stream of await streamDetails(server)) {
        const led = leaders.get(stream.key);
        if (!led) return `stream ${stream.key} has no running leader`;
        if (stream.state.last_seq < led.lastSeq) {
          return `stream ${stream.key} on ${server.name} is at ${stream.state.last_seq}, ` +
            `its leader ${led.leader} at ${led.lastSeq}`;
        }
      }
    }
    return '';
  }

  // SIGTERM to every running server, SIGKILL to any still running after timeoutMs; waits for the exits.
  // nats-server shuts down cleanly on SIGTERM but exits 1 (0 on SIGINT).
  async stop(timeoutMs = 15000) {
    const started = this.servers.filter((server) => server.child);
    const results = await Promise.allSettled(started.map((server) => this.kill(this.servers.indexOf(server),
      'SIGTERM', timeoutMs)));
    process.removeListener('exit', this.onExit);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

function running(server) {
  return server.child !== null && !server.done;
}

function randomHex() {
  return crypto.randomBytes(16).toString('hex');
}

function natsServerProgram() {
  if (process.env.KEYLINK_NATS_SERVER) return process.env.KEYLINK_NATS_SERVER;
  const dirs = [...(process.env.PATH || '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nats-server');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error('nats-server not found: install it (apt install nats-server) or set KEYLINK_NATS_SERVER');
}

// n distinct ports that were free a moment ago: all held open at once, so no two are the same.
async function freePorts(n) {
  const listeners = [];
  try {
    for (let i = 0; i < n; i++) {
      const listener = net.createServer();
      listeners.push(listener);
      await new Promise((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(0, '127.0.0.1', resolve);
      });
    }
    return listeners.map((listener) => listener.address().port);
  } finally {
    await Promise.all(listeners.map((listener) => new Promise((resolve) => listener.close(() => resolve()))));
  }
}

// The streams that server hosts (a replica of each), each with key 'account/stream'.
async function streamDetails(server) {
  const jsz = JSON.parse((await get(server.monitorPort, '/jsz?accounts=true&streams=true')).body);
  return (jsz.account_details || []).flatMap((account) =>
    (account.stream_detail || []).map((stream) => ({ ...stream, key: `${account.name}/${stream.name}` })));
}

// GET from a monitoring port: {status, body}. A connection of its own each time (no keep-alive on any
// Node version), so a server that is killed leaves no pooled socket behind.
function get(port, urlPath, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs, agent: false };
    const request = http.get(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} on port ${port} timed out`)));
    request.on('error', reject);
  });
}

module.exports = { NatsCluster, freePorts };
