'use strict';
// Loaded with `node --require` before every interop and e2e test (and, through execArgv, before each
// test file's own process): the globals of Node 20 that the npm packages use, also on Debian 12's Node 18.
// Node 18 has Web Crypto only as require('node:crypto').webcrypto; @noble/hashes and @walletconnect/utils
// look for globalThis.crypto ("crypto.getRandomValues must be defined").
if (globalThis.crypto === undefined) {
  Object.defineProperty(globalThis, 'crypto', {
    value: require('node:crypto').webcrypto, writable: true, configurable: true, enumerable: false,
  });
}
