#include "keylink/wire/xmtp/linked_account.h"

#include <utility>

#include "convert.h"
#include "keylink/linked_account.pb.h"

namespace keylink::wire::xmtp {
namespace {

namespace lpb = ::keylinkpb;

void wipe(std::string& field) { secure_wipe(field.data(), field.size()); }
void wipe(Bytes& bytes) { secure_wipe(bytes.data(), bytes.size()); }

// libprotobuf does not wipe what it holds: the bundle's and the invitations' copies are wiped here.
void wipe_keys(lpb::LinkedAccount& proto) {
  wipe(*proto.mutable_identity_bundle());
  for (auto& conversation : *proto.mutable_conversations()) wipe(*conversation.mutable_invitation());
}

Result<LinkedConversation> from_proto(const lpb::LinkedConversation& proto) {
  LinkedConversation out{proto.topic(), proto.created_ns(), proto.peer_address(), std::nullopt};
  if (out.topic.empty()) return missing("LinkedConversation.topic");
  if (proto.invitation().empty()) return out;
  auto invitation = decode_invitation_v1(as_bytes(proto.invitation()));
  if (!invitation) return fail(context("LinkedConversation.invitation", invitation.error()));
  if (invitation->topic != out.topic) return bad_field("LinkedConversation.invitation", "names another topic");
  out.invitation = std::move(*invitation);
  return out;
}

}  // namespace

Result<LinkedAccount> decode_linked_account(ByteView bytes) {
  auto proto = parse_message<lpb::LinkedAccount>(bytes, "LinkedAccount", kMaxLinkedAccountSize);
  if (!proto) return fail(proto.error());
  struct Wiper {  // on every way out
    lpb::LinkedAccount& proto;
    ~Wiper() { wipe_keys(proto); }
  } wiper{*proto};
  if (proto->conversations_size() > static_cast<int>(kMaxLinkedConversations)) {
    return fail(Errc::kTooLarge, "LinkedAccount: " + std::to_string(proto->conversations_size()) +
                                     " conversations, over the limit of " + std::to_string(kMaxLinkedConversations));
  }
  auto bundle = decode_private_key_bundle(as_bytes(proto->identity_bundle()));
  if (!bundle) return fail(context("LinkedAccount.identity_bundle", bundle.error()));
  auto* v1 = std::get_if<PrivateKeyBundleV1>(&*bundle);
  if (!v1) return bad_field("LinkedAccount.identity_bundle", "expected a V1 bundle");
  auto wallet = crypto::EthAddress::parse(proto->wallet_address());
  if (!wallet) return fail(context("LinkedAccount.wallet_address", wallet.error()));
  LinkedAccount out{std::move(*v1), *wallet, {}};
  out.conversations.reserve(static_cast<std::size_t>(proto->conversations_size()));
  for (const auto& conversation : proto->conversations()) {
    auto decoded = from_proto(conversation);
    if (!decoded) return fail(decoded.error());
    out.conversations.push_back(std::move(*decoded));
  }
  return out;
}

SecretBytes encode(const LinkedAccount& account) {
  return encode_linked_account(account.identity, account.wallet, account.conversations);
}

SecretBytes encode_linked_account(const PrivateKeyBundleV1& identity, const crypto::EthAddress& wallet,
                                  const std::vector<LinkedConversation>& conversations) {
  lpb::LinkedAccount proto;
  Bytes bundle = encode(identity);
  proto.set_identity_bundle(to_field(bundle));
  wipe(bundle);
  proto.set_wallet_address(wallet.to_string());
  for (const auto& conversation : conversations) {
    auto* out = proto.add_conversations();
    out->set_topic(conversation.topic);
    out->set_created_ns(conversation.created_ns);
    out->set_peer_address(conversation.peer_address);
    if (conversation.invitation) {
      Bytes invitation = encode(*conversation.invitation);
      out->set_invitation(to_field(invitation));
      wipe(invitation);
    }
  }
  std::string serialized;
  proto.SerializeToString(&serialized);
  SecretBytes out(as_bytes(serialized));
  wipe(serialized);
  wipe_keys(proto);
  return out;
}

Result<std::vector<HistoryMessage>> decode_history_chunk(ByteView bytes) {
  auto proto = parse_message<lpb::HistoryChunk>(bytes, "HistoryChunk", kMaxHistoryChunkSize);
  if (!proto) return fail(proto.error());
  std::vector<HistoryMessage> out;
  out.reserve(static_cast<std::size_t>(proto->messages_size()));
  for (const auto& message : proto->messages()) {
    if (message.id().empty()) return missing("HistoryMessage.id");
    if (message.topic().empty()) return missing("HistoryMessage.topic");
    if (message.sender_address().empty()) return missing("HistoryMessage.sender_address");
    out.push_back({message.id(), message.topic(), message.sender_address(), message.sent_ns(), to_bytes(message.content())});
  }
  return out;
}

Bytes encode_history_chunk(const std::vector<HistoryMessage>& messages) {
  lpb::HistoryChunk proto;
  for (const auto& message : messages) {
    auto* out = proto.add_messages();
    out->set_id(message.id);
    out->set_topic(message.topic);
    out->set_sender_address(message.sender_address);
    out->set_sent_ns(message.sent_ns);
    out->set_content(to_field(message.content));
  }
  return serialize_message(proto);
}

}  // namespace keylink::wire::xmtp
