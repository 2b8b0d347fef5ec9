'use strict';
// Random inputs for the interop tests, reproducible from a seed (mulberry32): the test prints its seed,
// and KEYLINK_INTEROP_SEED replays a run.

function makeRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  return {
    int,
    bytes,
    hex: (n) => bytes(n).toString('hex'),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

module.exports = { makeRandom };
