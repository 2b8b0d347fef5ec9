'use strict';
// keylink_query over a topic's retained history: pages of 10 both ways, the cursor round trip, and
// inclusive startMs/endMs bounds.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Relay, Client, randomTopic } = require('./client');

let relay;
let client;
const topic = randomTopic();
let all;  // the 25 messages as the relay keeps them, in publish order

before(async () => {
  relay = await Relay.start(['--store', 'memory']);
  client = await Client.connect(relay.url);
  const other = randomTopic();
  for (let i = 0; i < 25; i++) {
    assert.equal(await client.publish(topic, `q-${String(i).padStart(2, '0')}`, { tag: 4000 + i }), true);
    if (i % 5 === 0) assert.equal(await client.publish(other, `other-${i}`), true);  // not in the topic's history
    await new Promise((resolve) => setTimeout(resolve, 3));  // spread publishedAt over several ms
  }
  const everything = await client.request('keylink_query', { topic, limit: 1000 });
  all = everything.messages;
  assert.equal(everything.cursor, undefined, 'no cursor once everything is there');
});

after(async () => {
  await client.close();
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
});

async function pages(params) {
  const seen = [];
  const sizes = [];
  let cursor;
  for (let guard = 0; guard < 10; guard++) {
    const page = await client.request('keylink_query', { topic, ...params, ...(cursor ? { cursor } : {}) });
    sizes.push(page.messages.length);
    seen.push(...page.messages);
    if (page.cursor === undefined) return { seen, sizes };
    assert.equal(typeof page.cursor, 'string');
    cursor = page.cursor;
  }
  throw new Error('more pages than there can be');
}

test('the whole history, in publish order, with topic, message, publishedAt and tag', () => {
  assert.deepEqual(all.map((m) => m.message), Array.from({ length: 25 }, (_, i) => `q-${String(i).padStart(2, '0')}`));
  for (const [i, m] of all.entries()) {
    assert.equal(m.topic, topic);
    assert.equal(m.tag, 4000 + i);
    assert.equal(typeof m.publishedAt, 'number');
    if (i > 0) assert.ok(m.publishedAt >= all[i - 1].publishedAt, 'publishedAt never goes back');
  }
});

test('limit 10 ascending (the default): 10, 10, 5, then no cursor', async () => {
  const { seen, sizes } = await pages({ limit: 10 });
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.deepEqual(seen, all);
  const explicit = await pages({ limit: 10, direction: 'asc' });
  assert.deepEqual(explicit.seen, all);
});

test('limit 10 descending: newest first', async () => {
  const { seen, sizes } = await pages({ limit: 10, direction: 'desc' });
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.deepEqual(seen, [...all].reverse());
});

test('a cursor round trip gives the same page again, and a made-up cursor is refused', async () => {
  const first = await client.request('keylink_query', { topic, limit: 10 });
  const second = await client.request('keylink_query', { topic, limit: 10, cursor: first.cursor });
  const again = await client.request('keylink_query', { topic, limit: 10, cursor: first.cursor });
  assert.deepEqual(again, second);
  assert.deepEqual(second.messages, all.slice(10, 20));
  const down = await client.request('keylink_query', { topic, limit: 10, direction: 'desc' });
  const downNext = await client.request('keylink_query', { topic, limit: 10, direction: 'desc', cursor: down.cursor });
  assert.deepEqual(downNext.messages, all.slice(5, 15).reverse());
  await assert.rejects(client.request('keylink_query', { topic, limit: 10, cursor: 'not-a-cursor' }),
    (error) => error.rpc.code === -32602);
});

test('startMs and endMs are inclusive bounds on publishedAt', async () => {
  const start = all[5].publishedAt;
  const end = all[17].publishedAt;
  const expected = all.filter((m) => m.publishedAt >= start && m.publishedAt <= end);
  assert.ok(expected.length >= 13);
  const { seen } = await pages({ limit: 10, startMs: start, endMs: end });
  assert.deepEqual(seen, expected);
  const down = await pages({ limit: 10, startMs: start, endMs: end, direction: 'desc' });
  assert.deepEqual(down.seen, [...expected].reverse());
  // One bound at a time; an exact millisecond; an empty range.
  assert.deepEqual((await pages({ limit: 10, startMs: end })).seen, all.filter((m) => m.publishedAt >= end));
  assert.deepEqual((await pages({ limit: 10, endMs: start })).seen, all.filter((m) => m.publishedAt <= start));
  assert.deepEqual((await pages({ limit: 10, startMs: start, endMs: start })).seen,
    all.filter((m) => m.publishedAt === start));
  const last = all[24].publishedAt;
  assert.deepEqual((await client.request('keylink_query', { topic, startMs: last + 1, endMs: last + 1000000 }))
    .messages, []);
  assert.deepEqual((await client.request('keylink_query', { topic, startMs: 0, endMs: all[0].publishedAt - 1 }))
    .messages, []);
  assert.deepEqual((await client.request('keylink_query', { topic, startMs: end, endMs: start })).messages, []);
});

test('limits and unknown topics', async () => {
  await assert.rejects(client.request('keylink_query', { topic, limit: 1001 }), (e) => e.rpc.code === -32602);
  await assert.rejects(client.request('keylink_query', { topic, limit: 0 }), (e) => e.rpc.code === -32602);
  await assert.rejects(client.request('keylink_query', { topic, direction: 'up' }), (e) => e.rpc.code === -32602);
  assert.equal((await client.request('keylink_query', { topic, limit: 1000 })).messages.length, 25);
  assert.deepEqual(await client.request('keylink_query', { topic: randomTopic(), limit: 10 }), { messages: [] });
});
