'use strict';
// Shared by the tests where keylink CLI homes and real xmtp-js 13 Clients meet on one keylink-relay
// (xmtp_chat_cli.test.js, xmtp_identity_backup.test.js): the relay, the homes, the clients, and their
// cleanup. Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const xmtp = require('@xmtp/xmtp-js');
const { Relay, within } = require('./relay_process');
const { RelayApiClient } = require('./xmtp_api_client');
const { Home, PASSPHRASE } = require('./keylink_cli');

const STEP_MS = 30000;  // a bound for hangs, not a timing check

class XmtpCliFixture {
  // extraArgs: more keylink-relay flags (limits a test needs).
  async start(extraArgs = []) {
    this.relay = await Relay.start(['--store', 'memory', ...extraArgs]);
    this.homes = [];
    this.apiClients = [];
  }

  async stop() {
    for (const api of this.apiClients) await api.close();
    for (const home of this.homes) await home.cleanup();
    const { code } = await this.relay.stop('SIGTERM');
    assert.equal(code, 0, this.relay.log());
  }

  home(name) {
    const home = new Home(name, this.relay.url);
    this.homes.push(home);
    return home;
  }

  // A home restored from `phrase` (`keylink account restore` reads it from stdin).
  async restore(name, phrase) {
    const home = this.home(name);
    const env = { ...process.env, KEYLINK_PASSPHRASE: PASSPHRASE };
    delete env.KEYLINK_RELAY;
    const child = spawn(home.program, ['--home', home.dir, '--relay', this.relay.url, 'account', 'restore'], { env });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.stdin.end(`${phrase}\n`);
    const code = await within(new Promise((resolve) => child.on('exit', resolve)), STEP_MS, 'account restore');
    assert.equal(code, 0, stderr);
    return home;
  }

  // Runs a keylink command to its end; it must succeed.
  async run(home, args) {
    const result = await home.run(args, STEP_MS);
    assert.equal(result.code, 0, result.log);
    return result;
  }

  // An xmtp-js Client of a viem account whose network is this relay.
  async xmtpClient(account, codecs = []) {
    const wallet = { getAddress: async () => account.address, signMessage: (message) => account.signMessage({ message }) };
    return within(xmtp.Client.create(wallet, {
      env: 'local',
      apiClientFactory: () => {
        const api = new RelayApiClient(this.relay.url, { log: () => {} });
        this.apiClients.push(api);
        return api;
      },
      codecs,
      persistConversations: false,
    }), STEP_MS, 'Client.create');
  }
}

module.exports = { XmtpCliFixture, STEP_MS };
