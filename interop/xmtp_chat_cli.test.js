'use strict';
// The keylink CLI and a real xmtp-js 13 Client converse through keylink-relay, both ways: keylink starts
// a conversation and xmtp-js reads it, xmtp-js starts one and keylink reads it, each streams what the
// other sends, and reactions and replies from xmtp-js show in `keylink chat read`.
// Needs KEYLINK_RELAY (the relay program), KEYLINK_CLI, NODE_PATH=interop/node_modules.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { ReactionCodec, ContentTypeReaction } = require('@xmtp/content-type-reaction');
const { ReplyCodec, ContentTypeReply } = require('@xmtp/content-type-reply');
const { ContentTypeText } = require('@xmtp/content-type-text');
const { privateKeyToAccount } = require('viem/accounts');
const { within } = require('./relay_process');
const { XmtpCliFixture, STEP_MS } = require('./xmtp_cli_fixture');

const fixture = new XmtpCliFixture();
const run = (party, args) => fixture.run(party, args);
const home = (name) => fixture.home(name);
const xmtpClient = () => fixture.xmtpClient(privateKeyToAccount(`0x${crypto.randomBytes(32).toString('hex')}`),
  [new ReactionCodec(), new ReplyCodec()]);

// Makes the home's identity (publishing its contact) and returns its address.
async function ready(party) {
  await run(party, ['chat', 'list']);
  return JSON.parse((await run(party, ['account', 'show', '--json'])).stdout).address;
}

async function readChat(party, peer) {
  return JSON.parse((await run(party, ['chat', 'read', peer, '--json'])).stdout);
}

async function until(what, check) {
  return within((async () => {
    for (;;) {
      const value = await check();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })(), STEP_MS, what);
}

before(() => fixture.start());
after(() => fixture.stop());

test('keylink starts a conversation; xmtp-js reads it and answers; keylink reads both', async () => {
  const bob = await xmtpClient();
  const alice = home('alice');
  const aliceAddress = await ready(alice);

  const sent = await run(alice, ['chat', 'send', bob.address, 'hello from keylink']);
  const id = sent.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const conversation = await until('Bob finds the conversation', async () =>
    (await bob.conversations.list()).find((c) => c.peerAddress === aliceAddress));
  const messages = await conversation.messages();
  assert.equal(messages.length, 1);
  assert.equal(messages[0].content, 'hello from keylink');
  assert.equal(messages[0].senderAddress, aliceAddress);
  assert.equal(messages[0].id, id);

  await within(conversation.send('hi from xmtp-js'), STEP_MS, 'Bob answers');
  const read = await readChat(alice, bob.address);
  assert.deepEqual(read.map((m) => [m.sender, m.text]),
    [[aliceAddress, 'hello from keylink'], [bob.address, 'hi from xmtp-js']]);
  assert.equal(read[1].content_type, 'xmtp.org/text:1.0');
  assert.equal(read[1].topic, conversation.topic);
});

test('xmtp-js starts a conversation; keylink lists and reads it', async () => {
  const bob = await xmtpClient();
  const carol = home('carol');
  const carolAddress = await ready(carol);
  assert.equal(await within(bob.canMessage(carolAddress), STEP_MS, 'canMessage'), true);

  const conversation = await within(bob.conversations.newConversation(carolAddress), STEP_MS, 'newConversation');
  await within(conversation.send('hello carol'), STEP_MS, 'Bob sends');
  const listed = JSON.parse((await run(carol, ['chat', 'list', '--json'])).stdout);
  assert.equal(listed.length, 1);
  assert.equal(listed[0].peer, bob.address);
  assert.equal(listed[0].topic, conversation.topic);
  assert.equal(listed[0].last.text, 'hello carol');
  const read = await readChat(carol, bob.address);
  assert.deepEqual(read.map((m) => [m.sender, m.text]), [[bob.address, 'hello carol']]);
});

test('each side streams what the other sends', async () => {
  const bob = await xmtpClient();
  const alice = home('alice-live');
  await ready(alice);
  await run(alice, ['chat', 'send', bob.address, 'opening']);
  const conversation = await until('Bob finds the conversation', async () => (await bob.conversations.list())[0]);

  // keylink watches; Bob sends.
  const watch = alice.spawn(['chat', 'watch', '--json', '--count', '1', '--timeout', '30']);
  await within(conversation.send('live from xmtp-js'), STEP_MS, 'Bob sends');
  const line = JSON.parse(await watch.nextLine(STEP_MS, 'the watched message'));
  assert.equal(line.text, 'live from xmtp-js');
  assert.equal(line.sender, bob.address);
  assert.equal((await watch.wait(STEP_MS)).code, 0);

  // Bob streams; keylink sends.
  const stream = await conversation.streamMessages();
  await run(alice, ['chat', 'send', bob.address, 'live from keylink']);
  const got = await within(stream.next(), STEP_MS, 'Bob streams the message');
  assert.equal(got.value.content, 'live from keylink');
  await stream.return();
});

test('reactions and replies from xmtp-js show in keylink chat read', async () => {
  const bob = await xmtpClient();
  const alice = home('alice-react');
  await ready(alice);
  const id = (await run(alice, ['chat', 'send', bob.address, 'react to this'])).stdout.trim();
  const conversation = await until('Bob finds the conversation', async () => (await bob.conversations.list())[0]);

  await within(conversation.send({ reference: id, action: 'added', schema: 'unicode', content: '👍' },
    { contentType: ContentTypeReaction }), STEP_MS, 'Bob reacts');
  await within(conversation.send({ reference: id, content: 'a reply', contentType: ContentTypeText },
    { contentType: ContentTypeReply }), STEP_MS, 'Bob replies');

  const read = await readChat(alice, bob.address);
  assert.equal(read.length, 3);
  assert.equal(read[1].content_type, 'xmtp.org/reaction:1.0');
  assert.deepEqual(read[1].reaction, { reference: id, action: 'added', content: '👍' });
  assert.equal(read[2].content_type, 'xmtp.org/reply:1.0');
  assert.equal(read[2].reply.reference, id);
  assert.match(read[2].text, /a reply$/);
});

// A peer's text is written by the peer: controls, C1, bidi overrides and the like reach a terminal
// escaped (`chat read`, `chat list`, `chat watch`), and exactly as sent in JSON.
test('a peer\'s escape sequences reach the terminal escaped, and JSON exactly', async () => {
  const bob = await xmtpClient();
  const alice = home('alice-escape');
  await ready(alice);
  await run(alice, ['chat', 'send', bob.address, 'opening']);
  const conversation = await until('Bob finds the conversation', async () => (await bob.conversations.list())[0]);
  const hostile = 'hi\x1b]0;owned\x07\x1b[2J\r\nfake line\u009b1m \u202eevil\u202c \u2066x\u2069\x7f';
  const escaped = 'hi\\x1b]0;owned\\x07\\x1b[2J\\r\\nfake line\\u{9b}1m \\u{202e}evil\\u{202c} \\u{2066}x\\u{2069}\\x7f';
  await within(conversation.send(hostile), STEP_MS, 'Bob sends escape sequences');
  await within(conversation.send({ reference: 'abc', action: 'added', schema: 'unicode', content: '\x1b[5m!' },
    { contentType: ContentTypeReaction }), STEP_MS, 'Bob reacts with escape sequences');

  const read = await run(alice, ['chat', 'read', bob.address]);
  const lines = read.stdout.split('\n');
  assert.equal(lines.length, 3, read.stdout);
  assert.ok(lines[1].endsWith(`${bob.address}: ${escaped}`), lines[1]);
  assert.ok(lines[2].endsWith('reacted \\x1b[5m! to abc'), lines[2]);
  const listed = await run(alice, ['chat', 'list']);
  assert.ok(listed.stdout.includes('last: reacted \\x1b[5m! to abc'), listed.stdout);
  for (const output of [read.stdout, read.stderr, listed.stdout, listed.stderr]) {
    assert.doesNotMatch(output, /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f\u202a-\u202e\u2066-\u2069]/u, output);
  }
  const json = await readChat(alice, bob.address);
  assert.equal(json[1].text, hostile);
  assert.equal(json[2].reaction.content, '\x1b[5m!');
});
