#include "keylink/link/account.h"

namespace keylink::link {

std::string_view to_string(Capabilities caps) noexcept {
  return caps == Capabilities::kLightAndFull ? "light,full" : "light";
}

std::string_view to_string(AccountKind kind) noexcept { return kind == AccountKind::kFull ? "full" : "light"; }

bool offers(Capabilities caps, AccountKind kind) noexcept {
  return kind == AccountKind::kLight || caps == Capabilities::kLightAndFull;
}

AccountPayload AccountPayload::clone() const {
  AccountPayload copy;
  copy.kind = kind;
  copy.identity_bundle = identity_bundle.clone();
  copy.conversation_keys = conversation_keys.clone();
  copy.installation_list = installation_list.clone();
  copy.device_group_key = device_group_key.clone();
  if (recovery_phrase) copy.recovery_phrase = recovery_phrase->clone();
  return copy;
}

}  // namespace keylink::link
