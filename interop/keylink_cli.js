'use strict';
// Drives the keylink CLI (KEYLINK_CLI) for the interop tests: one Home per party (a fresh --home in
// os.tmpdir(), KEYLINK_PASSPHRASE set, --relay given), processes whose stdout is read line by line with a
// bound on every wait, and a log of what each process printed for the message of a failed step.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const PASSPHRASE = 'keylink interop passphrase';

// One running keylink process. stdout lines are queued for nextLine(); stderr is kept for log().
class KeylinkProcess {
  // label: the command as shown in messages (without --home and --relay). detached: a session of its
  // own (setsid), so the process has no controlling terminal (/dev/tty fails to open, as in a script).
  constructor(program, args, env, label = args.join(' '), { detached = false } = {}) {
    this.label = label;
    this.stdoutLines = [];  // every stdout line, in order
    this.stderrLines = [];
    this.read = 0;          // stdout lines nextLine() handed out
    this.waiters = [];
    this.child = spawn(program, args, { env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
      this.child.on('error', (error) => {
        this.stderrLines.push(`(spawn failed: ${error.message})`);
        this.exitStatus = { code: -1, signal: null };
        resolve(this.exitStatus);
      });
    });
    // Both streams closed (after exit): no more lines will come.
    const out = new Promise((resolve) => {
      readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
        this.stdoutLines.push(line);
        this.wake();
      }).on('close', resolve);
    });
    const err = new Promise((resolve) => {
      readline.createInterface({ input: this.child.stderr }).on('line', (line) => this.stderrLines.push(line))
        .on('close', resolve);
    });
    this.closed = Promise.all([out, err, this.exited]).then(() => {
      this.done = true;
      this.wake();
    });
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  // The next stdout line not yet read; fails after timeoutMs, or when the process ends without one.
  async nextLine(timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.read < this.stdoutLines.length) return this.stdoutLines[this.read++];
      if (this.done) {
        throw new Error(`keylink ${this.describe()} ended (${this.status()}) before ${what}:\n${this.log()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.log()}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // Reads stdout lines until one matches `pattern` (skipping others); returns the match.
  async waitLine(pattern, timeoutMs, what) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = await this.nextLine(Math.max(1, deadline - Date.now()), what);
      const match = pattern.exec(line);
      if (match) return match;
    }
  }

  // Waits (bounded) for the exit and the end of its output: {code, signal, stdout, stderr}.
  async wait(timeoutMs, what = 'the exit') {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`keylink ${this.describe()}: timed out after ${timeoutMs} ms waiting for ${what}:\n` +
          this.log()));
      }, timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return { ...this.exitStatus, stdout: this.stdoutLines.join('\n'), stderr: this.stderrLines.join('\n') };
  }

  // Sends `signal` (SIGTERM: the CLI's orderly stop) and waits for the exit.
  async stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (!this.exitStatus) this.child.kill(signal);
    return this.wait(timeoutMs, `the exit after ${signal}`);
  }

  // SIGKILL without waiting: for cleanup after a failure.
  kill() {
    if (!this.exitStatus) this.child.kill('SIGKILL');
  }

  describe() {
    return this.label;
  }

  status() {
    if (!this.exitStatus) return 'running';
    return this.exitStatus.signal ? `signal ${this.exitStatus.signal}` : `exit ${this.exitStatus.code}`;
  }

  log() {
    return `--- keylink ${this.describe()} (${this.status()}) stdout ---\n${this.stdoutLines.join('\n')}\n` +
      `--- stderr ---\n${this.stderrLines.join('\n')}`;
  }
}

// One keylink process on a terminal of its own (a pty made by util-linux `script`), for what the CLI
// asks there: everything it writes to the terminal is kept in `output`; type() is what the user types.
class TtyProcess {
  constructor(program, args, env, label) {
    this.label = label;
    this.output = '';
    this.waiters = [];
    const quoted = [program, ...args].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
    this.child = spawn('script', ['-qfec', quoted, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (chunk) => {
      this.output += chunk.toString('utf8');
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    };
    this.child.stdout.on('data', take);
    this.child.stderr.on('data', take);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.exitStatus = { code, signal };
      take('');
      resolve(this.exitStatus);
    }));
  }

  type(text) {
    this.child.stdin.write(text);
  }

  // Waits (bounded) until the output, from `from` on, matches `pattern`; returns the match.
  async waitOutput(pattern, timeoutMs, what, from = 0) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match) return match;
      if (this.exitStatus) throw new Error(`keylink ${this.label} ended before ${what}:\n${this.output}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.output}`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // SIGTERM (the CLI's orderly stop; script passes it on) and the exit.
  async stop(timeoutMs = 15000) {
    if (!this.exitStatus) this.child.kill('SIGTERM');
    return this.wait(timeoutMs);
  }

  kill() {
    if (!this.exitStatus) this.child.kill('SIGKILL');
  }

  // Waits (bounded) for the exit: {code, signal}.
  async wait(timeoutMs) {
    let timer;
    try {
      return await Promise.race([this.exited, new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`keylink ${this.label} did not end:\n${this.output}`)), timeoutMs);
      })]);
    } finally {
      clearTimeout(timer);
    }
  }

  log() {
    return `--- keylink ${this.label} on a terminal (${this.exitStatus ? JSON.stringify(this.exitStatus) : 'running'}) ---\n` +
      this.output;
  }
}

// One party's home directory, and the keylink processes run with it.
class Home {
  // globalArgs: more global options for every command (['--relay-ca', FILE]).
  constructor(name, relayUrl, { program = process.env.KEYLINK_CLI, globalArgs = [] } = {}) {
    if (!program) throw new Error('set KEYLINK_CLI to the keylink program');
    this.program = program;
    this.relayUrl = relayUrl;
    this.globalArgs = globalArgs;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `keylink-${name}-`));
    this.processes = [];
  }

  // Starts `keylink --home DIR --relay URL ...globalArgs ...args`. options: KeylinkProcess's.
  spawn(args, options = {}) {
    const env = { ...process.env, KEYLINK_PASSPHRASE: PASSPHRASE };
    // KEYLINK_RELAY is the relay *program* in the test's environment; the CLI reads it as a URL.
    delete env.KEYLINK_RELAY;
    delete env.KEYLINK_HOME;
    const child = new KeylinkProcess(this.program,
      ['--home', this.dir, '--relay', this.relayUrl, ...this.globalArgs, ...args], env, args.join(' '), options);
    this.processes.push(child);
    return child;
  }

  // Starts `keylink --home DIR --relay URL ...args` on a terminal of its own (TtyProcess).
  // passphrase: KEYLINK_PASSPHRASE, or null to leave it unset (the CLI asks on the terminal).
  spawnOnTty(args, { passphrase = PASSPHRASE } = {}) {
    const env = { ...process.env, KEYLINK_PASSPHRASE: passphrase };
    if (passphrase === null) delete env.KEYLINK_PASSPHRASE;
    delete env.KEYLINK_RELAY;
    delete env.KEYLINK_HOME;
    const child = new TtyProcess(this.program, ['--home', this.dir, '--relay', this.relayUrl, ...args], env,
      args.join(' '));
    this.processes.push(child);
    return child;
  }

  // Runs a command to its end: {code, signal, stdout, stderr, log}.
  async run(args, timeoutMs) {
    const child = this.spawn(args);
    const result = await child.wait(timeoutMs);
    return { ...result, log: child.log() };
  }

  // What every process of this home printed (for a failed step), leaving out what `already` holds.
  log(already = '') {
    return this.processes.map((p) => p.log()).filter((log) => !already.includes(log)).join('\n');
  }

  // Kills what still runs and removes the directory.
  async cleanup() {
    for (const child of this.processes) child.kill();
    await Promise.all(this.processes.map((child) => child.wait(5000).catch(() => {})));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { Home, KeylinkProcess, TtyProcess, PASSPHRASE };
