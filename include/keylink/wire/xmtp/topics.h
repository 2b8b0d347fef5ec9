// XMTP content topics (xmtp-js src/utils/topic.ts): "/xmtp/0/<name>/proto", where the name says whose
// topic it is and for what. Addresses in topics are EIP-55 checksummed, as xmtp-js's getAddress() writes
// them; taking a crypto::EthAddress makes any other spelling impossible. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keylink/crypto/ethereum.h"

namespace keylink::wire::xmtp {

// "/xmtp/0/" + name + "/proto" (buildContentTopic).
std::string content_topic(std::string_view name);

// Where an identity publishes its public key bundle (buildUserContactTopic).
std::string contact_topic(const crypto::EthAddress& wallet);
// V1 introductions: the first message of each V1 conversation (buildUserIntroTopic).
std::string intro_topic(const crypto::EthAddress& wallet);
// Sealed V2 invitations addressed to or sent by the wallet (buildUserInviteTopic).
std::string invite_topic(const crypto::EthAddress& wallet);
// The wallet-encrypted private key backup: "/xmtp/0/privatestore-<address>/key_bundle/proto", as
// xmtp-js NetworkKeyManager stores it under "<address>/key_bundle" (buildUserPrivateStoreTopic).
std::string private_store_topic(const crypto::EthAddress& wallet);
// A V1 conversation: "/xmtp/0/dm-<a>-<b>/proto" with the two EIP-55 strings sorted as strings
// (buildDirectMessageTopic), so both sides name the same topic.
std::string dm_topic(const crypto::EthAddress& a, const crypto::EthAddress& b);
// A V2 conversation: "/xmtp/0/m-<id>/proto" (buildDirectMessageTopicV2).
std::string v2_topic(std::string_view id);
// The private preferences (consent) of an identity (buildUserPrivatePreferencesTopic).
std::string user_preferences_topic(std::string_view identifier);

// What a topic is for, read from its name.
enum class TopicKind {
  kContact,
  kIntro,
  kInvite,
  kPrivateStore,
  kDirectMessageV1,
  kMessageV2,
  kUserPreferences,
};

struct ParsedTopic {
  TopicKind kind = TopicKind::kContact;
  // The part after the kind's prefix: the EIP-55 address (contact, intro, invite, private store), "a-b"
  // (dm), the conversation id (m-), the identifier (user preferences).
  std::string id;
};

// nullopt for a string that is not "/xmtp/0/<kind>-<id>/proto" of a kind above. An address-bearing
// topic must carry an EIP-55 address (the form xmtp-js writes); a private-store topic must end in
// "/key_bundle".
std::optional<ParsedTopic> parse_topic(std::string_view topic);

// A V2 conversation topic ("/xmtp/0/m-…/proto").
bool is_v2_topic(std::string_view topic);

// As xmtp-js isValidTopic: the name between "0/" and the last "/proto" is non-empty printable ASCII
// (0x21..0x7f).
bool is_valid_topic(std::string_view topic);

}  // namespace keylink::wire::xmtp
