#include "keylink/keystore/rpc.h"

#include <algorithm>
#include <array>

namespace keylink::keystore {
namespace {

// docs/keystore.md, "The namespace".
constexpr std::array kMethods = {
    MethodInfo{"xmtp_decryptV1", Scope::kRead, true},
    MethodInfo{"xmtp_decryptV2", Scope::kRead, true},
    MethodInfo{"xmtp_encryptV1", Scope::kSend, true},
    MethodInfo{"xmtp_encryptV2", Scope::kSend, true},
    MethodInfo{"xmtp_saveInvites", Scope::kRead, true},
    MethodInfo{"xmtp_createInvite", Scope::kSend, true},
    MethodInfo{"xmtp_createAuthToken", Scope::kAuth, true},
    MethodInfo{"xmtp_signDigest", Scope::kSend, true},
    MethodInfo{"xmtp_getPublicKeyBundle", Scope::kAny, false},
    MethodInfo{"xmtp_getV1Conversations", Scope::kRead, false},
    MethodInfo{"xmtp_getV2Conversations", Scope::kRead, false},
    MethodInfo{"xmtp_saveV1Conversations", Scope::kRead, true},
    MethodInfo{"xmtp_selfEncrypt", Scope::kPreferences, true},
    MethodInfo{"xmtp_selfDecrypt", Scope::kPreferences, true},
    MethodInfo{"xmtp_getPrivatePreferencesTopicIdentifier", Scope::kPreferences, false},
    MethodInfo{"xmtp_getV2ConversationHmacKeys", Scope::kPush, true},
    MethodInfo{"xmtp_getRefreshJob", Scope::kRead, true},
    MethodInfo{"xmtp_setRefreshJob", Scope::kRead, true},
    MethodInfo{"xmtp_getKeystoreStatus", Scope::kAny, true},
};

}  // namespace

std::string_view scope_name(Scope scope) {
  switch (scope) {
    case Scope::kAny: return "any";
    case Scope::kRead: return "read";
    case Scope::kSend: return "send";
    case Scope::kAuth: return "auth";
    case Scope::kPreferences: return "preferences";
    case Scope::kPush: return "push";
  }
  return "?";
}

std::span<const MethodInfo> methods() { return kMethods; }

std::optional<MethodInfo> find_method(std::string_view name) {
  const auto found = std::find_if(kMethods.begin(), kMethods.end(), [&](const MethodInfo& m) { return m.name == name; });
  if (found == kMethods.end()) return std::nullopt;
  return *found;
}

}  // namespace keylink::keystore
