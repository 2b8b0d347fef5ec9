#include "keylink/messaging/messenger.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "keylink/base/check.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/crypto/ethereum.h"
#include "keylink/crypto/hash.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/wire/xmtp/topics.h"

namespace keylink::messaging {
namespace {

namespace wx = wire::xmtp;

crypto::EthAddress parse_own(const std::string& address) {
  auto parsed = crypto::EthAddress::parse(address);
  KEYLINK_CHECK(parsed.has_value());  // a keystore's own address
  return *parsed;
}

// The other wallet of a V1 DM topic ("/xmtp/0/dm-<a>-<b>/proto").
std::string dm_peer(const std::string& topic, const std::string& me) {
  const auto parsed = wx::parse_topic(topic);
  if (!parsed || parsed->kind != wx::TopicKind::kDirectMessageV1) return {};
  const auto dash = parsed->id.find('-');
  const std::string a = parsed->id.substr(0, dash), b = parsed->id.substr(dash + 1);
  return a == me ? b : a;
}

// The cache keeps times as SQLite integers: a message dated past INT64_MAX ns (year 2262) is refused
// alone rather than failing the store, and with it the whole read.
Result<void> check_storable(const DecodedMessage& message) {
  if (message.sent_ns <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return {};
  return fail(identity::KeystoreErrc::kBadTime,
              "message " + message.id + " is dated " + std::to_string(message.sent_ns) + " ns, past the year 2262");
}

}  // namespace

Messenger::Messenger(identity::Keystore& keystore, MessageStore& store, Rng& rng, const Clock& clock)
    : keystore_(keystore),
      store_(store),
      rng_(rng),
      clock_(clock),
      address_(keystore.account_address()),
      invite_topic_(wx::invite_topic(parse_own(address_))),
      intro_topic_(wx::intro_topic(parse_own(address_))) {}

std::uint64_t Messenger::now_ns() const {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count());
}

Result<std::vector<identity::ConversationReference>> Messenger::conversations(std::optional<std::string> peer) {
  auto all = keystore_.v2_conversations();
  if (!all) return all;
  auto v1 = keystore_.v1_conversations();
  if (!v1) return v1;
  all->insert(all->end(), v1->begin(), v1->end());
  std::stable_sort(all->begin(), all->end(), [](const auto& a, const auto& b) { return a.created_ns < b.created_ns; });
  if (peer) std::erase_if(*all, [&](const auto& conversation) { return conversation.peer_address != *peer; });
  return all;
}

Result<Messenger::Started> Messenger::start(const Contact& contact, const std::string& conversation_id) {
  // The conversation's peer is whichever wallet signed the bundle: it must be the one asked for.
  auto signer = identity::verify_public_bundle(contact.bundle);
  if (!signer) return fail(context("the contact bundle of " + contact.address, signer.error()));
  if (signer->to_string() != contact.address) {
    return fail(crypto::Errc::kBadSignature,
                "the contact bundle of " + contact.address + " is signed by the wallet " + signer->to_string());
  }
  auto created = keystore_.create_invite({contact.bundle, conversation_id, {}, now_ns()});
  if (!created) return fail(context("invitation to " + contact.address, created.error()));
  // xmtp-js publishes the same sealed invitation to the recipient's invite topic and the sender's own.
  const std::uint64_t created_ns = created->conversation.created_ns;
  Started started{std::move(created->conversation), {}};
  for (const auto& topic : {wx::invite_topic(*signer), invite_topic_}) {
    started.envelopes.push_back({topic, created_ns, created->sealed_invitation});
  }
  return started;
}

Result<Messenger::Sent> Messenger::send(const identity::ConversationReference& conversation,
                                        const wx::EncodedContent& content) {
  const Bytes encoded = wx::encode(content);
  auto envelope = seal_message(keystore_, conversation.topic, encoded, now_ns());
  if (!envelope) return fail(envelope.error());
  auto opened = std::move(open_messages(keystore_, std::span(&*envelope, 1)).front());
  if (!opened) return fail(context("the message just sealed", opened.error()));
  if (auto stored = store_.add(*opened, rng_); !stored) return fail(stored.error());
  return Sent{std::move(*opened), std::move(*envelope)};
}

Result<Received> Messenger::receive_invites(std::span<const wx::Envelope> envelopes) {
  Received received;
  std::vector<identity::SaveInviteRequest> requests;
  requests.reserve(envelopes.size());
  std::vector<std::size_t> asked;  // the envelope of each request
  const std::uint64_t latest = now_ns() + kMaxClockSkewNs;
  for (std::size_t i = 0; i < envelopes.size(); ++i) {
    const auto& envelope = envelopes[i];
    // The keystore checks that the header's date is the envelope's; this bounds it by the clock.
    if (envelope.timestamp_ns > latest) {
      received.refused.push_back(
          {envelope.content_topic, Error{identity::make_error_code(identity::KeystoreErrc::kBadTime),
                                         "invitation dated " + std::to_string(envelope.timestamp_ns) +
                                             " ns, more than an hour ahead of this clock"}});
      continue;
    }
    requests.push_back({envelope.content_topic, envelope.timestamp_ns, envelope.message});
    asked.push_back(i);
  }
  auto known = keystore_.v2_conversations();
  if (!known) return fail(known.error());
  auto saved = keystore_.save_invites(requests);
  for (std::size_t i = 0; i < saved.size(); ++i) {
    if (!saved[i]) {
      received.refused.push_back({envelopes[asked[i]].content_topic, std::move(saved[i].error())});
      continue;
    }
    received.newest_ns = std::max(received.newest_ns, std::min(envelopes[asked[i]].timestamp_ns, latest));
    const bool is_new = std::none_of(known->begin(), known->end(),
                                     [&](const auto& conversation) { return conversation.topic == saved[i]->topic; });
    if (is_new) {
      known->push_back(*saved[i]);
      received.conversations.push_back(std::move(*saved[i]));
    }
  }
  return received;
}

Result<Received> Messenger::receive_intros(std::span<const wx::Envelope> envelopes) {
  Received received;
  auto opened = open_messages_v1(keystore_, envelopes);
  auto known = keystore_.v1_conversations();
  if (!known) return fail(known.error());
  const std::uint64_t latest = now_ns() + kMaxClockSkewNs;
  for (std::size_t i = 0; i < opened.size(); ++i) {
    if (!opened[i]) {
      received.refused.push_back({envelopes[i].content_topic, std::move(opened[i].error())});
      continue;
    }
    auto& message = *opened[i];
    if (auto storable = check_storable(message); !storable) {
      received.refused.push_back({envelopes[i].content_topic, std::move(storable.error())});
      continue;
    }
    received.newest_ns = std::max(received.newest_ns, std::min(envelopes[i].timestamp_ns, latest));
    const identity::ConversationReference conversation{
        message.topic, message.sent_ns, dm_peer(message.topic, address_), "", {}};
    const bool is_new =
        std::none_of(known->begin(), known->end(), [&](const auto& c) { return c.topic == message.topic; });
    if (is_new) {
      if (auto saved = keystore_.save_v1_conversations(std::span(&conversation, 1)); !saved) return fail(saved.error());
      known->push_back(conversation);
      received.conversations.push_back(conversation);
    }
    auto stored = store_.add(message, rng_);
    if (!stored) return fail(stored.error());
    if (*stored) received.messages.push_back(std::move(message));
  }
  return received;
}

Result<Received> Messenger::receive_messages(const identity::ConversationReference& conversation,
                                             std::span<const wx::Envelope> all) {
  Received received;
  // Messages stored already (a read overlaps the last one; a relay delivers again) are not opened again.
  std::vector<wx::Envelope> envelopes;
  for (const auto& envelope : all) {
    auto known = store_.contains(to_hex(crypto::sha256(envelope.message)));
    if (!known) return fail(known.error());
    if (!*known) envelopes.push_back(envelope);
  }
  auto opened = wx::is_v2_topic(conversation.topic) ? open_messages(keystore_, envelopes)
                                                    : open_messages_v1(keystore_, envelopes);
  const std::uint64_t latest = now_ns() + kMaxClockSkewNs;
  for (std::size_t i = 0; i < opened.size(); ++i) {
    if (!opened[i]) {
      received.refused.push_back({conversation.topic, std::move(opened[i].error())});
      continue;
    }
    auto& message = *opened[i];
    if (message.topic != conversation.topic) {
      received.refused.push_back(
          {conversation.topic, Error{identity::make_error_code(identity::KeystoreErrc::kBadHeader),
                                     "message " + message.id + " is for topic " + message.topic}});
      continue;
    }
    if (message.sender_address != conversation.peer_address && message.sender_address != address_) {
      received.refused.push_back(
          {conversation.topic, Error{identity::make_error_code(identity::KeystoreErrc::kNotForMe),
                                     "message " + message.id + " is signed by " + message.sender_address +
                                         ", who is not a party of this conversation"}});
      continue;
    }
    if (auto storable = check_storable(message); !storable) {
      received.refused.push_back({conversation.topic, std::move(storable.error())});
      continue;
    }
    received.newest_ns = std::max(received.newest_ns, std::min(envelopes[i].timestamp_ns, latest));
    auto stored = store_.add(message, rng_);
    if (!stored) return fail(stored.error());
    if (*stored) received.messages.push_back(std::move(message));
  }
  return received;
}

}  // namespace keylink::messaging
