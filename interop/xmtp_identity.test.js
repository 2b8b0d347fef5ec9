'use strict';
// (being written)
const { test } = require('node:test');
const { setUp } = require('./xmtp_cases');

setUp();
test('the peer starts', () => {});
