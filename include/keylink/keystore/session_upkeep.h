// What the wallet does with its WalletConnect sessions as their approvals change (docs/keystore.md,
// "Approvals"): a session whose approval holds is kept extended (the wallet extends it when it would
// end within a day); a session with the xmtp namespace whose approval was revoked, expired or is gone
// is deleted. Sessions without the xmtp namespace are not the keystore's business.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/keystore/approvals.h"
#include "keylink/session/types.h"

namespace keylink::keystore {

inline constexpr std::chrono::hours kExtendWithin{24};

struct SessionUpkeep {
  std::vector<std::string> extend;  // session topics
  std::vector<std::string> end;
};

SessionUpkeep session_upkeep(const std::vector<Approval>& approvals, const std::vector<session::Session>& sessions,
                             TimePoint now);

}  // namespace keylink::keystore
