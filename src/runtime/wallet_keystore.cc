#include "keylink/runtime/wallet_keystore.h"

#include <algorithm>

#include "keylink/base/encoding.h"
#include "keylink/keystore/grant_policy.h"
#include "keylink/keystore/local_keystore.h"

namespace keylink::runtime {
namespace {

using Refusal = tl::unexpected<wire::RpcError>;

Refusal refusal(std::int64_t code, std::string message) { return Refusal(wire::RpcError{code, std::move(message), {}}); }

std::string text_param(const wire::Json& params, const char* name) {
  const auto found = params.is_object() ? params.find(name) : params.end();
  return found != params.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

Result<std::unique_ptr<WalletKeystore>> WalletKeystore::open(Home& home, Rng& rng, const Clock& clock) {
  auto local = keystore::LocalKeystore::load(home.db(), home.vault(), rng);
  if (!local) return tl::unexpected(local.error());
  auto wallet = std::make_unique<WalletKeystore>(**local, home.db(), home.vault(), rng, clock);
  wallet->owned_ = std::move(*local);
  return wallet;
}

WalletKeystore::WalletKeystore(identity::Keystore& keystore, store::Database& db, const store::Vault& vault, Rng& rng,
                               const Clock& clock, keystore::RateLimits limits)
    : keystore_(keystore), service_(keystore, clock), gate_(db, vault, clock, rng, limits), rng_(rng), clock_(clock) {}

WalletKeystore::~WalletKeystore() = default;

std::string WalletKeystore::address() const { return keystore_.account_address(); }
keystore::Gate& WalletKeystore::gate() noexcept { return gate_; }

RpcOutcome WalletKeystore::answer(const std::string& channel, const std::string& method, const wire::Json& params) {
  return gate_.answer(channel, method, params, service_.handler());
}

Result<std::optional<keystore::Approval>> WalletKeystore::approve_session(const session::Proposal& proposal,
                                                                          const session::SessionNamespaces& granted,
                                                                          const std::string& topic) {
  const auto xmtp = granted.find(std::string(keystore::kNamespace));
  if (xmtp == granted.end()) return std::nullopt;
  auto app_key = keystore::app_key_of(proposal);
  if (!app_key) return tl::unexpected(app_key.error());
  const keystore::AppInfo app{.name = proposal.proposer.name,
                              .url = proposal.proposer.url,
                              .origin = std::string(keystore::kUnverifiedOrigin),
                              .app_key = *app_key};
  auto approval = gate_.approvals().grant(app, keystore::scopes_asked(xmtp->second.methods), topic, address(),
                                                 rng_, clock_.now());
  if (!approval) return tl::unexpected(approval.error());
  return std::optional<keystore::Approval>(std::move(*approval));
}

RpcOutcome WalletKeystore::hello(const SocketPeer& peer, const wire::Json& params, const Ask& ask) {
  keystore::AppInfo app{.name = text_param(params, "name"),
                        .url = text_param(params, "url"),
                        .origin = "local uid=" + std::to_string(peer.uid) + " exe=" + peer.exe,
                        .app_key = {}};
  const auto key = from_base64(text_param(params, "appKey"));
  if (!key || key->size() != app.app_key.size()) {
    return refusal(keystore::codes::kInvalidParams, "keylink_hello takes {name, url, appKey: base64 of 32 bytes}");
  }
  std::copy(key->begin(), key->end(), app.app_key.begin());
  std::vector<keystore::Scope> scopes{keystore::Scope::kRead, keystore::Scope::kSend, keystore::Scope::kAuth,
                                      keystore::Scope::kPreferences};
  if (const auto methods = params.find("methods"); methods != params.end()) {
    if (!methods->is_array() || methods->size() > keystore::methods().size() ||
        !std::all_of(methods->begin(), methods->end(), [](const wire::Json& m) { return m.is_string(); })) {
      return refusal(keystore::codes::kInvalidParams, "keylink_hello: methods must be a list of method names");
    }
    scopes = keystore::scopes_asked(methods->get<std::vector<std::string>>());
  }
  auto& approvals = gate_.approvals();
  auto all = approvals.list();
  if (!all) return refusal(wire::kRpcInternalError, all.error().message);
  const auto now = clock_.now();
  auto holds = std::find_if(all->begin(), all->end(), [&](const keystore::Approval& a) {
    return a.app_key == app.app_key && a.origin == app.origin && a.channel.starts_with(keystore::kLocalChannelPrefix) &&
           std::all_of(scopes.begin(), scopes.end(), [&](keystore::Scope s) { return a.grants(s); }) &&
           keystore::approval_status(a, now) == "active";
  });
  std::optional<keystore::Approval> approval;
  if (holds != all->end()) {
    approval = *holds;
  } else {
    auto lookalikes = approvals.lookalikes(app.url, app.app_key);
    if (!lookalikes) return refusal(wire::kRpcInternalError, lookalikes.error().message);
    if (!ask(app, scopes, *lookalikes)) return refusal(session::codes::kUserRejected, "User rejected.");
    auto granted = approvals.grant(app, scopes, {}, address(), rng_, now);
    if (!granted) return refusal(wire::kRpcInternalError, granted.error().message);
    approval = std::move(*granted);
  }
  return wire::Json{{"approval", approval->id},
                    {"address", approval->account},
                    {"expiresAt", keystore::iso_time(approval->expires_at)}};
}

Result<keystore::SessionUpkeep> WalletKeystore::upkeep(const std::vector<session::Session>& sessions) {
  auto approvals = gate_.approvals().list();
  if (!approvals) return tl::unexpected(approvals.error());
  return keystore::session_upkeep(*approvals, sessions, clock_.now());
}

}  // namespace keylink::runtime
