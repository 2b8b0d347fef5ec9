'use strict';
// Seal (encrypt, type 0) and open (decrypt) of a 1 KiB envelope in @walletconnect/utils 2.25.0 under
// node, the yardstick keylink's envelope_bench is compared with. Times a warmed-up loop with
// process.hrtime.bigint and prints ops/s; --json prints {"seal": ops/s, "open": ops/s} instead.
//   node bench/wc_utils_bench.js [--json] [--seconds=2]
const path = require('node:path');
const { createRequire } = require('node:module');

const interopRequire = createRequire(path.join(__dirname, '..', 'interop', 'package.json'));
const utils = interopRequire('@walletconnect/utils');

const json = process.argv.includes('--json');
const secondsArg = process.argv.find((a) => a.startsWith('--seconds='));
const seconds = secondsArg ? Number(secondsArg.split('=')[1]) : 2;

// The same plaintext as envelope_bench.cc: JSON-RPC-looking, exactly 1024 bytes.
const head = '{"id":1700000000000000000,"jsonrpc":"2.0","method":"wc_sessionRequest","params":{"x":"';
const message = head.padEnd(1024 - 3, 'a') + '"}}';
if (Buffer.byteLength(message) !== 1024) throw new Error('plaintext is not 1 KiB');
const symKey = '07'.repeat(32);
const encoded = utils.encrypt({ type: 0, symKey, message });
if (utils.decrypt({ symKey, encoded }) !== message) throw new Error('decrypt(encrypt(m)) !== m');

// Runs fn in batches until `seconds` have passed, after a warm-up of a quarter of that, and returns
// the best of five rounds in ops/s (the JIT and the GC make single rounds noisy).
function measure(fn) {
  let sink = 0;
  const run = (ns) => {
    let ops = 0;
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(ns));
    let now = start;
    while (now < end) {
      for (let i = 0; i < 256; i++) sink += fn().length;
      ops += 256;
      now = process.hrtime.bigint();
    }
    return ops / (Number(now - start) / 1e9);
  };
  run(seconds * 1e9 / 4);
  let best = 0;
  for (let round = 0; round < 5; round++) best = Math.max(best, run(seconds * 1e9 / 5));
  if (sink === 0) throw new Error('nothing was measured');
  return best;
}

const results = {
  seal: measure(() => utils.encrypt({ type: 0, symKey, message })),
  open: measure(() => utils.decrypt({ symKey, encoded })),
};

if (json) {
  console.log(JSON.stringify(results));
} else {
  const lock = require(path.join(__dirname, '..', 'interop', 'package-lock.json'));
  const version = lock.packages['node_modules/@walletconnect/utils'].version;
  console.log(`@walletconnect/utils ${version}, node ${process.version}, 1 KiB type 0`);
  console.log('op      ops/s       us/op   MB/s');
  for (const [op, rate] of Object.entries(results)) {
    console.log(`${op.padEnd(6)}${rate.toFixed(0).padStart(9)}${(1e6 / rate).toFixed(2).padStart(10)}${(rate * 1024 / 1e6).toFixed(1).padStart(8)}`);
  }
}
