// xmtp_peer ops for the XMTP identity (keylink/identity/xmtp_identity.h, private_store.h) and topics, for
// xmtp_identity.test.js. A wallet is given by its private key ("walletKey", hex); the peer keeps one
// throwaway home per wallet (a temporary directory removed at exit) holding its EthAccount.
//   {"op":"identity_create","walletKey","nowMs"} -> {"address","v1","v2","publicV1","publicV2",
//        "contacts":[{"topic","timestampNs","message"}]}   (v1, v2: PrivateKeyBundle protobufs)
//   {"op":"identity_adopt","address","v1"} -> {"v2","publicV2"}   (v1: a PrivateKeyBundle{v1})
//   {"op":"identity_verify","type","bytes","address"?} -> {"address"}
//        type: PublicKeyBundle | SignedPublicKeyBundle | ContactBundle; with "address", refused unless
//        that wallet signed it
//   {"op":"private_store_seal","walletKey","v1","nowMs"} -> {"stored","topic","timestampNs","walletPreKey"}
//   {"op":"private_store_open","walletKey","stored"} -> {"v1","v2","address"}
//   {"op":"topics","address","peerAddress","identifier"} -> {"contact","intro","invite","privateStore","dm",
//        "userPreferences","v2"}
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "keylink/base/clock.h"
#include "keylink/base/encoding.h"
#include "keylink/identity/eth_account.h"
#include "keylink/identity/private_store.h"
#include "keylink/identity/xmtp_identity.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/xmtp/contact.h"
#include "keylink/wire/xmtp/topics.h"
#include "xmtp_peer.h"

namespace keylink::interop {
namespace {

using identity::EthAccount;
using identity::XmtpIdentity;

// A home holding one wallet's account, in a directory removed when the peer exits.
struct Home {
  std::filesystem::path dir;
  store::Database db;
  store::Vault vault;
  EthAccount account;

  ~Home() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

std::unique_ptr<Home> make_home(const Secret<32>& key, Rng& rng) {
  std::string pattern = (std::filesystem::temp_directory_path() / "xmtp-peer-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create " + pattern);
  auto db = ok(store::Database::open((std::filesystem::path(pattern) / "home.db").string()));
  auto vault = ok(store::Vault::open(db, SecretBytes(as_bytes("peer")), rng, {1, std::size_t{8} << 20}));
  auto account = ok(EthAccount::import(db, vault, rng, key));
  return std::unique_ptr<Home>(new Home{pattern, std::move(db), std::move(vault), std::move(account)});
}

const EthAccount& wallet(const json& request, Rng& rng) {
  static std::map<std::string, std::unique_ptr<Home>> homes;
  const std::string key_hex = request.at("walletKey").get<std::string>();
  auto& home = homes[key_hex];
  if (!home) home = make_home(Secret<32>(hex_field(request, "walletKey")), rng);
  return home->account;
}

ManualClock clock_of(const json& request) {
  return ManualClock(TimePoint(std::chrono::milliseconds(std::stoll(request.at("nowMs").get<std::string>()))));
}

crypto::EthAddress address_field(const json& request, const char* field) {
  return ok(crypto::EthAddress::parse(request.at(field).get<std::string>()));
}

wx::PrivateKeyBundleV1 v1_field(const json& request) {
  auto bundle = ok(wx::decode_private_key_bundle(hex_field(request, "v1")));
  if (!std::holds_alternative<wx::PrivateKeyBundleV1>(bundle)) {
    throw Refused{Error{wire::make_error_code(wire::Errc::kBadVersion), "peer wants a V1 private bundle"}};
  }
  return std::move(std::get<wx::PrivateKeyBundleV1>(bundle));
}

json describe(const XmtpIdentity& id) {
  return {{"address", id.wallet().to_string()},
          {"v1", to_hex(wx::encode(id.bundle_v1()))},
          {"v2", to_hex(wx::encode(id.bundle_v2()))},
          {"publicV1", to_hex(wx::encode(id.public_bundle_v1()))},
          {"publicV2", to_hex(wx::encode(id.public_bundle()))}};
}

json identity_create(const json& request, Rng& rng) {
  const auto clock = clock_of(request);
  const auto id = ok(XmtpIdentity::create(wallet(request, rng), clock, rng));
  json answer = describe(id);
  answer["contacts"] = json::array();
  for (const auto& envelope : id.contact_envelopes(clock)) {
    answer["contacts"].push_back({{"topic", envelope.content_topic},
                                  {"timestampNs", std::to_string(envelope.timestamp_ns)},
                                  {"message", to_hex(envelope.message)}});
  }
  return answer;
}

json identity_adopt(const json& request) {
  const auto id = ok(XmtpIdentity::from_bundle(v1_field(request), address_field(request, "address")));
  return describe(id);
}

json identity_verify(const json& request) {
  const auto type = request.at("type").get<std::string>();
  const Bytes bytes = hex_field(request, "bytes");
  wx::ContactBundle contact;
  if (type == "PublicKeyBundle") {
    contact = ok(wx::decode_public_key_bundle(bytes));
  } else if (type == "SignedPublicKeyBundle") {
    contact = ok(wx::decode_signed_public_key_bundle(bytes));
  } else if (type == "ContactBundle") {
    contact = ok(wx::decode_contact_bundle(bytes));
  } else {
    throw std::invalid_argument("unknown type " + type);
  }
  if (request.contains("address")) ok(identity::verify_contact_of(contact, address_field(request, "address")));
  return {{"address", ok(identity::verify_contact(contact)).to_string()}};
}

json private_store_seal(const json& request, Rng& rng) {
  const auto& account = wallet(request, rng);
  const auto id = ok(XmtpIdentity::from_bundle(v1_field(request), account.address()));
  const auto sealed = ok(identity::seal_private_store(id, account, rng));
  const auto envelope = identity::private_store_envelope(sealed, account.address(), clock_of(request));
  return {{"stored", to_hex(envelope.message)},
          {"topic", envelope.content_topic},
          {"timestampNs", std::to_string(envelope.timestamp_ns)},
          {"walletPreKey", to_hex(sealed.wallet_pre_key)}};
}

json private_store_open(const json& request, Rng& rng) {
  const auto id = ok(identity::open_private_store(hex_field(request, "stored"), wallet(request, rng)));
  return describe(id);
}

json topics(const json& request) {
  const auto address = address_field(request, "address");
  const auto identifier = request.at("identifier").get<std::string>();
  return {{"contact", wx::contact_topic(address)},
          {"intro", wx::intro_topic(address)},
          {"invite", wx::invite_topic(address)},
          {"privateStore", wx::private_store_topic(address)},
          {"dm", wx::dm_topic(address, address_field(request, "peerAddress"))},
          {"userPreferences", wx::user_preferences_topic(identifier)},
          {"v2", wx::v2_topic(identifier)}};
}

}  // namespace

void add_identity_ops(Ops& ops) {
  ops["identity_create"] = identity_create;
  ops["identity_adopt"] = [](const json& request, Rng&) { return identity_adopt(request); };
  ops["identity_verify"] = [](const json& request, Rng&) { return identity_verify(request); };
  ops["private_store_seal"] = private_store_seal;
  ops["private_store_open"] = private_store_open;
  ops["topics"] = [](const json& request, Rng&) { return topics(request); };
}

}  // namespace keylink::interop
