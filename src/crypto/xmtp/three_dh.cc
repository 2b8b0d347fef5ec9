#include "keylink/crypto/xmtp/three_dh.h"

#include <algorithm>

namespace keylink::crypto::xmtp {

Result<ThreeDhSecret> three_dh(const ThreeDhKeys& mine, const ThreeDhPeer& peer, bool is_recipient) {
  // xmtp-js PrivateKeyBundleV2.sharedSecret: the recipient swaps dh1 and dh2 so both sides agree.
  auto with_identity = mine.identity.ecdh_point(peer.pre_key);
  if (!with_identity) return fail(with_identity.error());
  auto with_pre_key = mine.pre_key.ecdh_point(peer.identity);
  if (!with_pre_key) return fail(with_pre_key.error());
  auto pre_keys = mine.pre_key.ecdh_point(peer.pre_key);
  if (!pre_keys) return fail(pre_keys.error());

  const auto& dh1 = is_recipient ? *with_pre_key : *with_identity;
  const auto& dh2 = is_recipient ? *with_identity : *with_pre_key;
  ThreeDhSecret secret;
  auto out = secret.expose_mutable().begin();
  out = std::copy(dh1.expose().begin(), dh1.expose().end(), out);
  out = std::copy(dh2.expose().begin(), dh2.expose().end(), out);
  std::copy(pre_keys->expose().begin(), pre_keys->expose().end(), out);
  return secret;
}

}  // namespace keylink::crypto::xmtp
