'use strict';
// Ephemeral publishes (and localOnly ones) reach a live subscriber and never reach the store: after a
// graceful stop, the SQLite file holds none of them, while a normal message published alongside is there.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Relay, Client, until, randomTopic } = require('./client');

const WAIT_MS = 30000;

function sqlite(db, sql) {
  return execFileSync(process.env.KEYLINK_SQLITE3 || 'sqlite3', ['-readonly', db, sql], { encoding: 'utf8', timeout: WAIT_MS }).trim();
}

test('ephemeral messages are delivered live and never stored', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keylink-e2e-ephemeral-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = path.join(dir, 'r.db');
  const relay = await Relay.start(['--store', `sqlite:${db}`, '--durability', 'power']);
  t.after(() => relay.stop('SIGKILL').catch(() => {}));
  const topic = randomTopic();
  const tag = `${process.pid}-${Date.now()}`;

  const sub = await Client.connect(relay.url);
  await sub.subscribe(topic);
  const pub = await Client.connect(relay.url);

  const ephemeral = [];
  for (let i = 0; i < 20; i++) {
    const message = `ephemeral-${tag}-${i}`;
    const extra = [{ ephemeral: true }, { ephemeral: true, localOnly: true }, { ephemeral: true, ttl: undefined }][i % 3];
    assert.equal(await pub.publish(topic, message, extra), true);
    ephemeral.push(message);
  }
  const normal = `normal-${tag}`;
  assert.equal(await pub.publish(topic, normal, { ttl: 3600 }), true);
  assert.equal(await pub.publish(topic, `localonly-${tag}`, { localOnly: true, ttl: 3600 }), true);
  // Another ephemeral one after the stored ones: it must not be swept into their transaction.
  assert.equal(await pub.publish(topic, `ephemeral-${tag}-last`, { ephemeral: true }), true);
  ephemeral.push(`ephemeral-${tag}-last`);

  const expected = [...ephemeral, normal, `localonly-${tag}`];
  await until(() => expected.every((m) => sub.received(topic).some((d) => d.message === m)), WAIT_MS,
    'every message at the live subscriber');
  assert.equal(sub.received(topic).length, expected.length, 'each delivered once');

  // SIGTERM: the relay drains and exits 0; then read the file.
  const closed = sub.closed;
  const { code } = await relay.stop('SIGTERM');
  assert.equal(code, 0, relay.log());
  await closed;

  const stored = sqlite(db, 'SELECT CAST(message AS TEXT) FROM messages ORDER BY published_at').split('\n');
  t.diagnostic(`stored: ${stored.join(', ')}`);
  assert.ok(stored.includes(normal), 'the normal message is in the store');
  assert.ok(stored.includes(`localonly-${tag}`), 'a localOnly (non-ephemeral) message is in the store');
  for (const m of ephemeral) assert.ok(!stored.includes(m), `${m} is in the store`);
  assert.equal(sqlite(db, `SELECT count(*) FROM messages WHERE instr(CAST(message AS TEXT), 'ephemeral-${tag}') > 0`), '0');

  // And not as raw bytes anywhere in the files either (the database, a WAL or journal left behind).
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('r.db'));
  const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(dir, f))));
  assert.ok(bytes.includes(Buffer.from(normal)), 'the normal message is in the files');
  assert.ok(!bytes.includes(Buffer.from(`ephemeral-${tag}`)), `an ephemeral message is in ${files.join(', ')}`);
});
