'use strict';
// The keylink CLI on a terminal (a pty made by util-linux `script`): a new home's passphrase is asked
// twice and never empty, and a recovery phrase typed for `account restore` is not echoed. Offline: no
// relay. Needs KEYLINK_CLI.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Home } = require('./keylink_cli');

const STEP_MS = 30000;  // a bound for hangs, not a timing check
const PHRASE = 'test test test test test test test test test test test junk';
const homes = [];

// A home directory (empty: the first command makes the home) whose commands run on a terminal.
function home(name) {
  const made = new Home(name, 'ws://127.0.0.1:9');
  homes.push(made);
  return made;
}

after(async () => {
  for (const party of homes) await party.cleanup();
});

test('a new home asks for its passphrase twice, and refuses two that differ or an empty one', async () => {
  const party = home('tty-new');
  const dir = party.dir;
  const first = party.spawnOnTty(['account', 'show'], { passphrase: null });
  await first.waitOutput(/choose its passphrase: /, STEP_MS, 'the first passphrase prompt');
  first.type('one passphrase\n');
  await first.waitOutput(/Type it again: /, STEP_MS, 'the second passphrase prompt');
  first.type('another passphrase\n');
  assert.equal((await first.wait(STEP_MS)).code, 1, first.log());
  assert.match(first.output, /the two passphrases differ; no home was made/);
  assert.equal(fs.existsSync(path.join(dir, 'keylink.db')), false, 'a home was made');

  const empty = party.spawnOnTty(['account', 'show'], { passphrase: null });
  await empty.waitOutput(/choose its passphrase: /, STEP_MS, 'the passphrase prompt');
  empty.type('\n');
  assert.equal((await empty.wait(STEP_MS)).code, 1, empty.log());
  assert.match(empty.output, /an empty passphrase protects nothing/);

  const made = party.spawnOnTty(['account', 'show', '--json'], { passphrase: null });
  await made.waitOutput(/choose its passphrase: /, STEP_MS, 'the first passphrase prompt');
  made.type('the passphrase\n');
  await made.waitOutput(/Type it again: /, STEP_MS, 'the second passphrase prompt');
  made.type('the passphrase\n');
  assert.equal((await made.wait(STEP_MS)).code, 0, made.log());
  assert.doesNotMatch(made.output, /the passphrase/, 'the passphrase was echoed');

  // An existing home asks once.
  const again = party.spawnOnTty(['account', 'show', '--json'], { passphrase: null });
  await again.waitOutput(/Passphrase for /, STEP_MS, 'the passphrase prompt');
  again.type('the passphrase\n');
  assert.equal((await again.wait(STEP_MS)).code, 0, again.log());
  assert.match(again.output, /"address":"0x/);
});

test('a recovery phrase typed on the terminal is not echoed', async () => {
  const party = home('tty-restore');
  const restore = party.spawnOnTty(['account', 'restore']);
  await restore.waitOutput(/Type or paste the recovery phrase/, STEP_MS, 'the recovery phrase prompt');
  const from = restore.output.length;
  restore.type(`${PHRASE}\n`);
  assert.equal((await restore.wait(STEP_MS)).code, 0, restore.log());
  assert.match(restore.output, /0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266/);
  assert.ok(!restore.output.slice(from).includes('test test'), `the phrase was echoed:\n${restore.output}`);
});
