'use strict';
// A C++ peer program of the interop tests (wc_peer, xmtp_peer), driven over JSON lines: one request a
// line on its stdin, one answer a line on its stdout, in order. Shared by wc_utils.test.js and
// xmtp.test.js.
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const clip = (text, n = 300) => (text.length > n ? `${text.slice(0, n)}… (${text.length} chars)` : text);

class Peer {
  constructor(path, name) {
    this.name = name;
    this.pending = [];
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout, crlfDelay: Infinity })
      .on('line', (line) => this.pending.shift().resolve(JSON.parse(line)));
    this.child.on('exit', (code, signal) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`${name} died (${signal || code})`));
    });
  }

  call(request) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  // The answer of a request keylink must accept.
  async ok(request) {
    const answer = await this.call(request);
    if (answer.peer_error) throw new Error(`${this.name} could not read the request: ${answer.peer_error}`);
    if (answer.error) throw new Error(`keylink refused: ${answer.error} (${answer.category}:${answer.code})`);
    return answer;
  }

  // The error of a request keylink must refuse.
  async refused(request) {
    const answer = await this.call(request);
    if (answer.peer_error) throw new Error(`${this.name} could not read the request: ${answer.peer_error}`);
    if (!answer.error) throw new Error(`keylink accepted it: ${clip(JSON.stringify(answer))}`);
    return answer;
  }

  close() {
    this.child.stdin.end();
  }
}

module.exports = { Peer, clip };
