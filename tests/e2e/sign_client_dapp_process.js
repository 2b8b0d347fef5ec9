'use strict';
// A @walletconnect/sign-client 2.25 dApp in a process of its own, for tls.test.js: node reads
// NODE_EXTRA_CA_CERTS (the test's CA) only when it starts. Prints the pairing URI, then
// `session <topic>` once a wallet approved, and exits 0; exits 1 with the error otherwise.
//   NODE_EXTRA_CA_CERTS=ca.pem node sign_client_dapp_process.js wss://127.0.0.1:PORT
const { SignClient } = require('@walletconnect/sign-client');

async function main(relayUrl) {
  const dapp = await SignClient.init({
    projectId: 'keylink-e2e-tls',
    relayUrl,
    telemetryEnabled: false,
    customStoragePrefix: `keylink-tlsdapp-${process.pid}`,
    storageOptions: { database: ':memory:' },
    logger: process.env.KEYLINK_WC_LOG || 'silent',
    metadata: { name: 'TLS dApp', description: 'e2e test', url: 'https://dapp.keylink.invalid', icons: [] },
  });
  dapp.core.verify.resolve = async () => undefined;  // offline: no verify server
  const { uri, approval } = await dapp.connect({
    optionalNamespaces: { eip155: { chains: ['eip155:1'], methods: ['personal_sign'], events: [] } },
  });
  console.log(uri);
  const session = await approval();
  console.log(`session ${session.topic}`);
  dapp.core.heartbeat.stop();
  await dapp.core.relayer.transportClose().catch(() => {});
}

main(process.argv[2]).then(() => process.exit(0), (error) => {
  console.error(error && error.stack ? error.stack : String(error));
  process.exit(1);
});
