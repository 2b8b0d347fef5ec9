'use strict';
// Device linking with real processes: a keylink-relay process, keylink CLI homes (SQLite), and a real
// @xmtp/xmtp-js 13.0.4 peer. Device A (`devices code`, `devices add`) links device B (`link`), over the
// relay and over the LAN path; then B reads A's history and sends as the account, and the account
// state (contact names, consent, the device list) follows between them. The attacks are in
// keylink_devices_attacks.test.js.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { within } = require('./relay_process');
const { DevicesFixture, STEP_MS, NO_RELAY, ESC, until, randomAddress } = require('./keylink_devices_fixture');

const fixture = new DevicesFixture();
const run = (home, args) => fixture.run(home, args);

before(() => fixture.start());
after(() => fixture.stop());

const texts = (messages) => messages.map((m) => [m.sender, m.text]);

test('over the relay, light: B has A\'s address and history, sends as the account, and reads the replies', async () => {
  const a = fixture.home('a');
  const b = fixture.home('b');
  const peer = await fixture.peer();
  const account = await fixture.ready(a);

  // A conversation made before the link, with the peer's answer cached on A.
  await run(a, ['chat', 'send', peer.address, 'before the link']);
  const conversation = await until('the peer finds the conversation', async () =>
    (await peer.conversations.list()).find((c) => c.peerAddress === account));
  await within(conversation.send('answer before the link'), STEP_MS, 'the peer answers');
  const earlier = [[account, 'before the link'], [peer.address, 'answer before the link']];
  assert.deepEqual(texts(JSON.parse((await run(a, ['chat', 'read', peer.address, '--json'])).stdout)), earlier);

  const { uri } = await fixture.link(a, b, { name: 'laptop' });
  assert.doesNotMatch(uri, /kl-lan=/);
  assert.doesNotMatch(uri, /laptop/, 'B\'s name travels inside the channel, never in the URI');
  assert.equal(await fixture.address(b), account);

  // The history arrived with the link.
  assert.deepEqual(texts(JSON.parse((await run(b, ['chat', 'read', peer.address, '--json'])).stdout)), earlier);

  // B sends as the account; the peer reads it from the account's address.
  const sent = (await run(b, ['chat', 'send', peer.address, 'from the new device'])).stdout.trim();
  const fromB = await until('the peer reads B\'s message', async () =>
    (await conversation.messages()).find((m) => m.id === sent));
  assert.equal(fromB.content, 'from the new device');
  assert.equal(fromB.senderAddress, account);

  // The peer's reply reaches both devices.
  await within(conversation.send('reply to both'), STEP_MS, 'the peer replies');
  for (const device of [a, b]) {
    const read = JSON.parse((await run(device, ['chat', 'read', peer.address, '--json'])).stdout);
    assert.deepEqual(texts(read).slice(-2), [[account, 'from the new device'], [peer.address, 'reply to both']]);
  }

  // Both list the same two devices, each itself as "this device".
  const onA = await fixture.devices(a);
  const onB = await fixture.devices(b);
  assert.equal(onA.length, 2, JSON.stringify(onA));
  assert.equal(onB.length, 2, JSON.stringify(onB));
  const selfA = onA.find((d) => d.status === 'this device');
  const selfB = onB.find((d) => d.status === 'this device');
  assert.ok(selfA && selfB, JSON.stringify({ onA, onB }));
  assert.notEqual(selfA.id, selfB.id);
  assert.deepEqual(onA.find((d) => d.id === selfB.id).status, 'enabled');
  assert.deepEqual(onB.find((d) => d.id === selfA.id).status, 'enabled');
  const laptop = onA.find((d) => d.id === selfB.id);
  assert.equal(laptop.name, 'laptop');
  assert.equal(typeof laptop.linked_at, 'number');
  assert.deepEqual(onA.map((d) => d.id).sort(), onB.map((d) => d.id).sort());
});

test('full link: B also gets the wallet', async () => {
  const a = fixture.home('a-full');
  const b = fixture.home('b-full');
  await run(a, ['account', 'create']);  // a wallet made from a recovery phrase, which the full link carries
  const account = await fixture.ready(a);
  const { add } = await fixture.link(a, b, { full: true });
  assert.equal(add.code, 0);
  assert.equal(await fixture.address(b), account);
  // The recovery phrase arrived: B's home has the wallet of the account, not one of its own.
  const create = await b.run(['account', 'create'], STEP_MS);
  assert.notEqual(create.code, 0, create.log);
  assert.match(create.stderr, /has an account already/, create.log);
  assert.ok(create.stderr.includes(account), create.log);
});

// A wallet made by `chat list` (not from a recovery phrase) has no phrase to send: A stops, and tells B,
// which stops at once with a reason (it used to wait for its timeout) and keeps nothing.
test('full link from a home without a recovery phrase: both sides stop, nothing is made', async () => {
  const a = fixture.home('a-nophrase');
  const b = fixture.home('b-nophrase');
  await fixture.ready(a);
  const { join, uri } = await fixture.join(b, await fixture.code(a), { args: ['--timeout', '120'] });
  const add = await fixture.add(a, uri, ['--yes', '--full']);
  assert.notEqual(add.code, 0, add.log);
  assert.match(add.stderr, /the full account needs this home's recovery phrase/, add.log);
  const joined = await join.wait(STEP_MS, 'B to hear that A stopped');
  assert.notEqual(joined.code, 0, join.log());
  assert.match(joined.stderr, /link stopped: the other device's user refused the link/, join.log());
  assert.deepEqual(await fixture.devices(b), []);
  assert.equal((await fixture.devices(a)).length, 1);
});

test('over the LAN with no relay running at all', async () => {
  const a = fixture.home('a-lan');
  const b = fixture.home('b-lan');
  const account = await fixture.ready(a);  // A's identity, made through the relay
  a.relayUrl = NO_RELAY;
  b.relayUrl = NO_RELAY;
  const { uri, add, joined } = await fixture.link(a, b, { lan: '127.0.0.1:0' });
  assert.match(uri, /[?&]kl-lan=127\.0\.0\.1:\d+(&|$)/);
  for (const { stderr } of [add, joined]) assert.doesNotMatch(stderr, /relay:|cannot reach the relay/, stderr);
  assert.equal(await fixture.address(b), account);
});

test('over the LAN with the relay running: the relay sees no message of the link', async () => {
  const a = fixture.home('a-lan2');
  const b = fixture.home('b-lan2');
  const account = await fixture.ready(a);
  const code = await fixture.code(a);
  const quiet = ['keylink_relay_publishes_total', 'keylink_relay_stored_messages', 'keylink_relay_deliveries_total'];
  const beforeLink = await fixture.relay.metrics();
  const { join, uri } = await fixture.join(b, code, { lan: '127.0.0.1:0' });
  assert.match(uri, /[?&]kl-lan=/);
  const add = await fixture.add(a, uri);
  assert.equal(add.code, 0, add.log);
  assert.equal((await join.wait(STEP_MS)).code, 0, join.log());
  const afterLink = await fixture.relay.metrics();
  for (const name of quiet) assert.equal(afterLink[name], beforeLink[name], name);
  assert.equal(await fixture.address(b), account);
});

test('over the relay: the link\'s messages are ephemeral and local-only, never stored', async () => {
  const a = fixture.home('a-eph');
  const b = fixture.home('b-eph');
  const peer = await fixture.peer();
  const account = await fixture.ready(a);
  await run(a, ['chat', 'send', peer.address, 'some history']);  // a history chunk to carry
  const code = await fixture.code(a);
  const beforeLink = await fixture.relay.metrics();
  const { join, uri } = await fixture.join(b, code);
  const add = await fixture.add(a, uri);
  assert.equal(add.code, 0, add.log);
  assert.equal((await join.wait(STEP_MS)).code, 0, join.log());
  const afterLink = await fixture.relay.metrics();
  assert.equal(afterLink.keylink_relay_stored_messages, beforeLink.keylink_relay_stored_messages);
  assert.ok(afterLink.keylink_relay_publishes_total > beforeLink.keylink_relay_publishes_total);
  const published = afterLink.keylink_relay_publishes_total - beforeLink.keylink_relay_publishes_total;
  // Hello, DeviceInfo, Account, Installed, Welcome, Committed, a history chunk and its ack: all of them.
  assert.ok(published >= 8, `${published} publishes`);
  assert.equal(afterLink.keylink_relay_ephemeral_publishes_total - beforeLink.keylink_relay_ephemeral_publishes_total,
    published);
  assert.equal(afterLink.keylink_relay_local_only_publishes_total - beforeLink.keylink_relay_local_only_publishes_total,
    published);
  assert.equal(await fixture.address(b), account);
});

test('sync: names and consent follow between devices; a removed device gets nothing new', async () => {
  const a = fixture.home('a-sync');
  const b = fixture.home('b-sync');
  await fixture.ready(a);
  await fixture.link(a, b);
  const bob = randomAddress();
  const carol = randomAddress();

  await run(a, ['contacts', 'name', bob, 'Bob from A']);
  const onB = (await fixture.contacts(b)).find((c) => c.address === bob);
  assert.equal(onB?.name, 'Bob from A', JSON.stringify(onB));

  await run(b, ['contacts', 'deny', bob]);
  const onA = (await fixture.contacts(a)).find((c) => c.address === bob);
  assert.equal(onA?.consent, 'denied', JSON.stringify(onA));

  const idB = (await fixture.devices(b)).find((d) => d.status === 'this device').id;
  await run(a, ['devices', 'remove', idB.slice(0, 12), '--yes']);
  const listed = await fixture.devices(a);
  assert.equal(listed.find((d) => d.id === idB).status, 'removed');

  await run(a, ['contacts', 'name', carol, 'Carol after the removal']);
  assert.equal((await fixture.contacts(a)).find((c) => c.address === carol)?.name, 'Carol after the removal');
  const onRemoved = await fixture.contacts(b);
  assert.ok(!onRemoved.some((c) => c.name === 'Carol after the removal'), JSON.stringify(onRemoved));

  const devices = await run(b, ['devices', '--json']);
  assert.match(devices.stderr, /This device was removed from the account by another device/, devices.log);
  assert.equal(JSON.parse(devices.stdout).find((d) => d.id === idB).status, 'removed');
});

test('a hostile device name reaches A\'s terminal escaped, and its JSON exactly', async () => {
  const a = fixture.home('a-esc');
  const b = fixture.home('b-esc');
  await fixture.ready(a);
  const name = 'pwn\u001b[2J\u001b]0;owned\u0007\nfake: line';
  const { add } = await fixture.link(a, b, { name });
  assert.doesNotMatch(add.stdout + add.stderr, ESC, add.log);
  assert.ok(add.stderr.includes('pwn\\x1b[2J'), add.log);
  const human = await run(a, ['devices']);
  assert.doesNotMatch(human.stdout + human.stderr, ESC, human.log);
  assert.doesNotMatch(human.stdout, /^fake: line/m, human.log);
  const listed = await fixture.devices(a);
  assert.ok(listed.some((d) => d.name === name), JSON.stringify(listed));
});
