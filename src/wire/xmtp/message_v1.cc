#include "keylink/wire/xmtp/message_v1.h"

#include <algorithm>

#include "keylink/crypto/errors.h"
#include "keylink/crypto/xmtp/ciphertext.h"
#include "keylink/crypto/xmtp/conversation_keys.h"
#include "keylink/wire/errors.h"

namespace keylink::wire::xmtp {
namespace {

bool has_pre_key(const PrivateKeyBundleV1& mine, const crypto::Secp256k1PublicKey& key) {
  return std::any_of(mine.pre_keys.begin(), mine.pre_keys.end(),
                     [&](const PrivateKey& pre_key) { return pre_key.secret.public_key() == key; });
}

}  // namespace

Result<MessageV1> seal_message_v1(const PrivateKeyBundleV1& mine, const PublicKeyBundle& recipient, ByteView payload,
                                  std::uint64_t timestamp_ms, Rng& rng) {
  MessageHeaderV1 header{public_bundle(mine), recipient, timestamp_ms};
  // xmtp-js keystore encryptV1: the encrypting party is the sender (isRecipient = false).
  auto secret = shared_secret(mine, header.sender.pre_key.key, recipient, false);
  if (!secret) return fail(secret.error());
  Bytes header_bytes = encode(header);
  auto ciphertext = crypto::xmtp::seal(secret->expose(), payload, header_bytes, rng);
  return MessageV1{std::move(header_bytes), std::move(header), std::move(ciphertext)};
}

Result<Bytes> open_message_v1(const PrivateKeyBundleV1& mine, const MessageV1& message) {
  const auto& header = message.header;
  const auto& my_identity = mine.identity_key.secret.public_key();
  // xmtp-js buildDecryptV1Request: I sent it when the sender bundle is mine; the peer is the other side.
  // Unlike xmtp-js (which always takes its current pre-key) we take the pre-key the header names.
  const bool i_sent = header.sender.identity_key.key == my_identity && has_pre_key(mine, header.sender.pre_key.key);
  const bool i_received =
      header.recipient.identity_key.key == my_identity && has_pre_key(mine, header.recipient.pre_key.key);
  if (!i_sent && !i_received) {
    return fail(Errc::kMalformed, "MessageV1: the header names neither this identity nor one of its pre-keys");
  }
  const auto& my_side = i_sent ? header.sender : header.recipient;
  const auto& peer = i_sent ? header.recipient : header.sender;
  auto secret = shared_secret(mine, my_side.pre_key.key, peer, !i_sent);
  if (!secret) return fail(context("MessageV1", secret.error()));
  auto payload = crypto::xmtp::open(secret->expose(), message.ciphertext, message.header_bytes);
  if (!payload) return fail(context("MessageV1", payload.error()));
  return payload;
}

Result<crypto::EthAddress> sender_wallet(const MessageHeaderV1& header) {
  const auto& identity = header.sender.identity_key;
  if (!identity.signature) return fail(crypto::Errc::kBadSignature, "MessageV1 sender identity key: not signed");
  // xmtp-js PublicKey.walletSignatureAddress: the wallet signed the key encoded without its signature.
  const Bytes signed_bytes = encode(PublicKey{identity.timestamp, std::nullopt, identity.key});
  crypto::EthSignature signature{};
  std::copy(identity.signature->value.compact.begin(), identity.signature->value.compact.end(), signature.begin());
  signature[64] = identity.signature->value.recovery_id;
  return crypto::personal_sign_recover(as_bytes(crypto::xmtp::create_identity_text(signed_bytes)), signature);
}

}  // namespace keylink::wire::xmtp
