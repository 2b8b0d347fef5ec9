#include "keylink/keystore/session_upkeep.h"

#include <map>

namespace keylink::keystore {

SessionUpkeep session_upkeep(const std::vector<Approval>& approvals, const std::vector<session::Session>& sessions,
                             TimePoint now) {
  std::map<std::string, const Approval*> by_channel;
  for (const auto& approval : approvals) {
    auto& newest = by_channel[approval.channel];
    if (!newest || approval.granted_at > newest->granted_at) newest = &approval;
  }
  SessionUpkeep out;
  for (const auto& s : sessions) {
    if (s.role != session::Role::kWallet || !s.namespaces.contains(std::string(kNamespace))) continue;
    const auto found = by_channel.find(s.topic);
    const Approval* approval = found == by_channel.end() ? nullptr : found->second;
    if (!approval || approval->revoked_at || approval->expired(now)) {
      out.end.push_back(s.topic);
    } else if (TimePoint(std::chrono::seconds(s.expiry)) - now < kExtendWithin) {
      out.extend.push_back(s.topic);
    }
  }
  return out;
}

}  // namespace keylink::keystore
