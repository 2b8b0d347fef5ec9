#include "keylink/wire/xmtp/topics.h"

#include <algorithm>
#include <array>
#include <utility>

namespace keylink::wire::xmtp {
namespace {

constexpr std::string_view kTopicStart = "/xmtp/0/";
constexpr std::string_view kTopicEnd = "/proto";
constexpr std::string_view kKeyBundleSuffix = "/key_bundle";

struct Prefix {
  std::string_view text;
  TopicKind kind;
};

constexpr std::array<Prefix, 7> kPrefixes = {{
    {"contact-", TopicKind::kContact},
    {"intro-", TopicKind::kIntro},
    {"invite-", TopicKind::kInvite},
    {"privatestore-", TopicKind::kPrivateStore},
    {"dm-", TopicKind::kDirectMessageV1},
    {"m-", TopicKind::kMessageV2},
    {"userpreferences-", TopicKind::kUserPreferences},
}};

// xmtp-js writes getAddress() (EIP-55) into topics; a topic with another spelling is not one it wrote.
bool is_eip55(std::string_view text) {
  auto address = crypto::EthAddress::parse(text);
  return address && address->to_string() == text;
}

bool valid_id(TopicKind kind, std::string_view id) {
  switch (kind) {
    case TopicKind::kContact:
    case TopicKind::kIntro:
    case TopicKind::kInvite:
    case TopicKind::kPrivateStore: return is_eip55(id);
    case TopicKind::kDirectMessageV1: {
      const auto dash = id.find('-');
      if (dash == std::string_view::npos) return false;
      const auto a = id.substr(0, dash);
      const auto b = id.substr(dash + 1);
      return is_eip55(a) && is_eip55(b) && a <= b;  // buildDirectMessageTopic sorts them
    }
    case TopicKind::kMessageV2:
    case TopicKind::kUserPreferences: return !id.empty();
  }
  return false;
}

}  // namespace

std::string content_topic(std::string_view name) {
  std::string topic(kTopicStart);
  topic.append(name).append(kTopicEnd);
  return topic;
}

std::string contact_topic(const crypto::EthAddress& wallet) { return content_topic("contact-" + wallet.to_string()); }

std::string intro_topic(const crypto::EthAddress& wallet) { return content_topic("intro-" + wallet.to_string()); }

std::string invite_topic(const crypto::EthAddress& wallet) { return content_topic("invite-" + wallet.to_string()); }

std::string private_store_topic(const crypto::EthAddress& wallet) {
  // NetworkKeyManager.getStorageAddress: "<getAddress(wallet)>/key_bundle".
  return content_topic("privatestore-" + wallet.to_string() + std::string(kKeyBundleSuffix));
}

std::string dm_topic(const crypto::EthAddress& a, const crypto::EthAddress& b) {
  // Sorted as EIP-55 strings (Array.prototype.sort), not as bytes: "0xB…" sorts before "0xa…".
  std::string first = a.to_string();
  std::string second = b.to_string();
  if (second < first) std::swap(first, second);
  return content_topic("dm-" + first + "-" + second);
}

std::string v2_topic(std::string_view id) { return content_topic("m-" + std::string(id)); }

std::string user_preferences_topic(std::string_view identifier) {
  return content_topic("userpreferences-" + std::string(identifier));
}

std::optional<ParsedTopic> parse_topic(std::string_view topic) {
  if (!topic.starts_with(kTopicStart) || !topic.ends_with(kTopicEnd)) return std::nullopt;
  std::string_view name = topic.substr(kTopicStart.size(), topic.size() - kTopicStart.size() - kTopicEnd.size());
  for (const auto& prefix : kPrefixes) {
    if (!name.starts_with(prefix.text)) continue;
    std::string_view id = name.substr(prefix.text.size());
    if (prefix.kind == TopicKind::kPrivateStore) {
      if (!id.ends_with(kKeyBundleSuffix)) return std::nullopt;
      id.remove_suffix(kKeyBundleSuffix.size());
    }
    if (!valid_id(prefix.kind, id)) return std::nullopt;
    return ParsedTopic{prefix.kind, std::string(id)};
  }
  return std::nullopt;
}

bool is_v2_topic(std::string_view topic) {
  auto parsed = parse_topic(topic);
  return parsed && parsed->kind == TopicKind::kMessageV2;
}

bool is_valid_topic(std::string_view topic) {
  const auto zero = topic.find("0/");
  if (zero == std::string_view::npos) return false;
  // JavaScript's substring(start, end): a missing "/proto" (-1) counts as 0, and start > end swap.
  std::size_t start = zero + 2;
  const auto proto = topic.rfind(kTopicEnd);
  std::size_t end = proto == std::string_view::npos ? 0 : proto;
  if (start > end) std::swap(start, end);
  const std::string_view name = topic.substr(start, end - start);
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x21 && byte <= 0x7f;
  });
}

}  // namespace keylink::wire::xmtp
