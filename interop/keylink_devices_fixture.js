'use strict';
// Shared by keylink_devices.test.js and keylink_devices_attacks.test.js: device linking with real
// processes (keylink-relay, keylink CLI homes, xmtp-js 13 peers), on top of XmtpCliFixture.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { privateKeyToAccount } = require('viem/accounts');
const relayProcess = require('./relay_process');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');

// A relay URL where nothing listens: a process given it cannot have used any relay.
const NO_RELAY = 'ws://127.0.0.1:1';
const LINK_URI = /^(wc:\S*methods=keylink_link\S*)$/;
const ESC = /\u001b/;

class DevicesFixture extends XmtpCliFixture {
  // Makes the home's messaging identity through the relay; returns its account address.
  async ready(home) {
    await this.run(home, ['chat', 'list']);
    return this.address(home);
  }

  // `account show --json`: offline, reads the home only.
  async account(home) {
    return JSON.parse((await this.run(home, ['account', 'show', '--json'])).stdout);
  }

  async address(home) {
    return (await this.account(home)).address;
  }

  async devices(home) {
    return JSON.parse((await this.run(home, ['devices', '--json'])).stdout);
  }

  async contacts(home) {
    return JSON.parse((await this.run(home, ['contacts', '--json'])).stdout);
  }

  async code(home) {
    const { code } = JSON.parse((await this.run(home, ['devices', 'code', '--json'])).stdout);
    assert.match(code, /^\d{6}$/);
    return code;
  }

  // Starts `keylink link` on `home` and waits for its URI: {join, uri}.
  async join(home, code, { name = 'laptop', lan, args = [] } = {}) {
    const join = home.spawn(['link', '--code', code, '--name', name, ...(lan ? ['--lan', lan] : []), ...args]);
    const uri = (await join.waitLine(LINK_URI, STEP_MS, 'the link URI'))[1];
    return { join, uri };
  }

  // `keylink devices add URI ...args` on `home`, to its end: {code, stdout, stderr, log}.
  add(home, uri, args = ['--yes']) {
    return home.run(['devices', 'add', uri, ...args], STEP_MS);
  }

  // A links B (a fresh home) and both succeed: {uri, add, joined}.
  async link(a, b, { full = false, name, lan, addArgs = [] } = {}) {
    const code = await this.code(a);
    const { join, uri } = await this.join(b, code, { name, lan });
    const add = await this.add(a, uri, ['--yes', ...(full ? ['--full'] : []), ...addArgs]);
    assert.equal(add.code, 0, `devices add failed:\n${add.log}\n${join.log()}`);
    const joined = await join.wait(STEP_MS, 'the end of `keylink link`');
    assert.equal(joined.code, 0, `link failed:\n${join.log()}`);
    return { uri, add, joined };
  }

  // An xmtp-js Client of a fresh random wallet on this relay.
  peer() {
    return this.xmtpClient(privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`));
  }
}

// Polls `check` every 50 ms until it returns a truthy value (bounded by STEP_MS).
const until = (what, check) => relayProcess.until(check, STEP_MS, what, 50);

// A random checksummed address (a contact that needs no network).
function randomAddress() {
  return privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`).address;
}

// The URI with one query parameter (or the topic, for name 'topic') set to `value`.
function editUri(uri, name, value) {
  if (name === 'topic') return uri.replace(/^wc:[0-9a-f]+@/, `wc:${value}@`);
  const edited = uri.replace(new RegExp(`([?&]${name}=)[^&]*`), `$1${value}`);
  assert.notEqual(edited, uri, `${name} not in ${uri}`);
  return edited;
}

module.exports = { DevicesFixture, STEP_MS, NO_RELAY, LINK_URI, ESC, until, randomAddress, editUri };
