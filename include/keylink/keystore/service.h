// KeystoreService: the RPCs of the `xmtp` namespace (docs/keystore.md) over an identity::Keystore, the
// wallet side behind the policy (keystore::Gate). A request protobuf in, a response protobuf or a
// JSON-RPC error out; what the policy counts and logs of it beside (ServiceReply).
//
// It enforces what is never done, whoever asks: no method exports a private key (getPrivateKeyBundle,
// initKeystore: kNotGranted), signDigest signs with pre-keys only (identity key: kRefusedByPolicy), an
// auth token is dated within kAuthTokenSkew of the wallet's clock (kRefusedByPolicy), a batch holds at
// most kMaxBatch items (kBatchTooLarge, refused whole, counted before it is parsed). A request that is
// not its protobuf is kInvalidParams. In a batch, each item that does not check out or that the keystore
// refuses gets a KeystoreError in its own slot; the others are answered, in order.
// V1 items: the header names both parties, so DecryptV1Request's peer_keys and is_sender are not used;
// EncryptV1Request's header must be the one this keystore writes (its bundle, the recipient, a time).
#pragma once

#include <chrono>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/clock.h"
#include "keylink/identity/keystore.h"
#include "keylink/keystore/rpc.h"

namespace keylink::keystore {

inline constexpr std::chrono::minutes kAuthTokenSkew{5};

// Thread-compatible, as its Keystore is. REQUIRES: keystore and clock outlive it.
class KeystoreService {
 public:
  KeystoreService(identity::Keystore& keystore, const Clock& clock) : keystore_(keystore), clock_(clock) {}

  // `method` with its prefix ("xmtp_decryptV2"); `req` the request protobuf (ignored for a method
  // without one).
  ServiceReply handle(std::string_view method, ByteView req);
  // handle(), as a KeystoreHandler. REQUIRES: this service outlives it.
  KeystoreHandler handler();

 private:
  identity::Keystore& keystore_;
  const Clock& clock_;
};

}  // namespace keylink::keystore
