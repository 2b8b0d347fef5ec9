'use strict';
// Device linking refused, with real processes (keylink-relay, keylink CLI homes): a wrong code (one try,
// then even the right one is burnt), a reused URI, URIs edited on the way or not link URIs at all, the
// user saying no, and B killed after it showed its URI. Each is refused with a reason a person can act
// on, exits non-zero, and leaves nothing half-made: A still lists only its own devices, B has no
// identity (`devices --json` is []); and a retry with a new code works.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { DevicesFixture, STEP_MS, editUri } = require('./keylink_devices_fixture');

const fixture = new DevicesFixture();

before(() => fixture.start());
after(() => fixture.stop());

// A has one device (itself) and B has no identity.
async function nothingMade(a, bs, devicesOfA = 1) {
  const listed = await fixture.devices(a);
  assert.equal(listed.length, devicesOfA, JSON.stringify(listed));
  for (const b of bs) assert.deepEqual(await fixture.devices(b), [], `B ${b.dir} has an identity`);
}

// `devices add` was refused: non-zero, with `reason` on stderr.
function refused(result, reason) {
  assert.notEqual(result.code, 0, result.log);
  assert.match(result.stderr, reason, result.log);
}

// Ends a `keylink link` that waits for nothing more (SIGTERM: its orderly stop).
async function stopJoin(join) {
  await join.stop('SIGTERM', STEP_MS);
}

function otherCode(code) {
  return String((Number(code) + 1) % 1000000).padStart(6, '0');
}

test('a wrong code is refused and burns the code; the right one then fails too; a new code links', async () => {
  const a = fixture.home('a-code');
  const account = await fixture.ready(a);
  const code = await fixture.code(a);

  const wrongB = fixture.home('b-wrong');
  const wrong = await fixture.join(wrongB, otherCode(code), { args: ['--timeout', '5'] });
  refused(await fixture.add(a, wrong.uri), /does not carry the code this device shows/);

  const rightB = fixture.home('b-right');
  const right = await fixture.join(rightB, code);
  refused(await fixture.add(a, right.uri), /already tried once/);
  await stopJoin(right.join);

  // B with the wrong code heard nothing and gives up at its timeout, keeping nothing.
  const gaveUp = await wrong.join.wait(STEP_MS);
  assert.notEqual(gaveUp.code, 0, wrong.join.log());
  assert.match(gaveUp.stderr, /nothing was kept/, wrong.join.log());
  await nothingMade(a, [wrongB, rightB]);

  const b = fixture.home('b-retry');
  const { uri } = await fixture.link(a, b);
  assert.equal(await fixture.address(b), account);

  // The same URI again: refused (its code is used up), then with a new code shown (it carries the old one).
  refused(await fixture.add(a, uri), /already tried once/);
  await fixture.code(a);
  refused(await fixture.add(a, uri), /does not carry the code this device shows/);
  assert.equal((await fixture.devices(a)).length, 2);
});

test('URIs edited on the way, expired, or not link URIs are refused', async () => {
  const a = fixture.home('a-edit');
  await fixture.ready(a);
  const bs = [];
  const joins = [];

  // Edits A refuses at once.
  const immediate = [
    ['kl-code', (uri, code) => editUri(uri, 'kl-code', otherCode(code)), /does not carry the code/],
    ['expiryTimestamp', (uri) => editUri(uri, 'expiryTimestamp', String(Math.floor(Date.now() / 1000) - 60)),
      /link URI expired/],
    ['kl-pub', (uri) => editUri(uri, 'kl-pub', 'zz'.repeat(32)), /kl-pub/],
  ];
  for (const [what, edit, reason] of immediate) {
    const code = await fixture.code(a);
    const b = fixture.home(`b-${what}`);
    bs.push(b);
    const { join, uri } = await fixture.join(b, code);
    joins.push(join);
    refused(await fixture.add(a, edit(uri, code)), reason);
  }

  // Edits that keep the code: A's channel then differs from B's (the code, the topic, B's key and the
  // capabilities are all in the key schedule), so nothing opens and the link ends at A's timeout.
  const silent = [
    ['topic', (uri) => editUri(uri, 'topic', crypto.randomBytes(32).toString('hex'))],
    ['kl-pub (another valid key)', (uri) => editUri(uri, 'kl-pub', crypto.randomBytes(32).toString('hex'))],
    ['kl-caps (downgraded)', (uri) => editUri(uri, 'kl-caps', 'light')],
  ];
  for (const [what, edit] of silent) {
    const code = await fixture.code(a);
    const b = fixture.home(`b-${what.split(' ')[0]}`);
    bs.push(b);
    const { join, uri } = await fixture.join(b, code);
    joins.push(join);
    const edited = edit(uri);
    assert.notEqual(edited, uri);
    const result = await fixture.add(a, edited, ['--yes', '--timeout', '5']);
    refused(result, /did not complete in time|timed out/);
    assert.doesNotMatch(result.stderr, /A new device asks/, `${what}: A heard from B:\n${result.log}`);
  }

  // Not link URIs at all.
  await fixture.code(a);
  const pairing = `wc:${'ab'.repeat(32)}@2?relay-protocol=irn&symKey=${'cd'.repeat(32)}&expiryTimestamp=` +
    `${Math.floor(Date.now() / 1000) + 300}`;
  refused(await fixture.add(a, pairing), /not a device link URI \(methods must be keylink_link\)/);
  refused(await fixture.add(a, 'https://example.com/?methods=keylink_link'), /must start with 'wc:'/);

  for (const join of joins) await stopJoin(join);
  await nothingMade(a, bs);
});

test('the user says no (no terminal, no --yes): both sides stop, nothing is made', async () => {
  const a = fixture.home('a-no');
  await fixture.ready(a);
  const b = fixture.home('b-no');
  const { join, uri } = await fixture.join(b, await fixture.code(a), { args: ['--timeout', '60'] });
  // A session of its own: no controlling terminal to ask on, whoever runs the test.
  const add = a.spawn(['devices', 'add', uri], { detached: true });
  const answered = await add.wait(STEP_MS);
  refused({ ...answered, log: add.log() }, /No terminal to ask: answered no/);
  const joined = await join.wait(STEP_MS, 'B to hear the refusal');
  assert.notEqual(joined.code, 0, join.log());
  assert.match(joined.stderr, /refused the link/, join.log());
  await nothingMade(a, [b]);
});

test('B killed after it showed its URI: A fails, keeps nothing, and a retry links', async () => {
  const a = fixture.home('a-kill');
  const account = await fixture.ready(a);
  const killedB = fixture.home('b-killed');
  const { join, uri } = await fixture.join(killedB, await fixture.code(a));
  join.child.kill('SIGKILL');
  assert.equal((await join.wait(STEP_MS)).signal, 'SIGKILL');
  const result = await fixture.add(a, uri, ['--yes', '--timeout', '15']);
  refused(result, /did not complete in time|timed out/);
  await nothingMade(a, [killedB]);

  const b = fixture.home('b-after-kill');
  await fixture.link(a, b);
  assert.equal(await fixture.address(b), account);
  assert.equal((await fixture.devices(a)).length, 2);
});
