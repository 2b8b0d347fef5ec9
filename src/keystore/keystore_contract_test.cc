// The Keystore contract (keystore_contract.h) over LocalKeystore, and over RemoteKeystore talking to a
// KeystoreService in process (the request and response codecs, both ways); and what RemoteKeystore
// alone does: splitting a batch, and a failed request failing each of its items.
#include "keystore/keystore_contract.h"

#include "keylink/wire/errors.h"

namespace keylink::keystore::contract {

INSTANTIATE_TEST_SUITE_P(Local, KeystoreContract, ::testing::Values(local_backend()), backend_name);
INSTANTIATE_TEST_SUITE_P(InProcessRemote, KeystoreContract, ::testing::Values(in_process_remote_backend()),
                         backend_name);

namespace {

// A transport over an InProcessTransport that can be told to fail, counting the calls that went through.
class FlakyTransport final : public KeystoreTransport {
 public:
  explicit FlakyTransport(InProcessTransport* inner) : inner_(inner) {}
  Result<Bytes> call(std::string_view method, ByteView req) override {
    if (down_) return fail(identity::KeystoreErrc::kUnreachable, "the wallet is offline");
    return inner_->call(method, req);
  }
  bool down_ = false;

 private:
  InProcessTransport* inner_;
};

struct RemoteParty {
  explicit RemoteParty(std::uint8_t key_byte) : wallet(key_byte) {
    auto identity = identity::XmtpIdentity::create(wallet.account, clock, wallet.rng).value();
    inner = std::make_unique<InProcessTransport>(
        LocalKeystore::create(wallet.db, wallet.vault, std::move(identity), wallet.rng).value(), clock);
    auto flaky_transport = std::make_unique<FlakyTransport>(inner.get());
    flaky = flaky_transport.get();
    keystore = RemoteKeystore::connect(std::move(flaky_transport)).value();
  }
  ManualClock clock;
  identity::TestWallet wallet;
  std::unique_ptr<InProcessTransport> inner;
  FlakyTransport* flaky = nullptr;
  std::unique_ptr<RemoteKeystore> keystore;
};

TEST(RemoteKeystore, SplitsABatchOverTheLimitInOrder) {
  RemoteParty alice(1);
  std::vector<Bytes> payloads;
  for (std::size_t i = 0; i < 2 * kMaxBatch + 5; ++i) payloads.push_back(to_bytes(std::to_string(i)));
  const auto before = alice.inner->calls();
  auto sealed = alice.keystore->self_encrypt(payloads);
  EXPECT_EQ(alice.inner->calls() - before, 3u);
  ASSERT_EQ(sealed.size(), payloads.size());
  std::vector<Bytes> ciphertexts;
  for (auto& one : sealed) ciphertexts.push_back(one.value());
  auto opened = alice.keystore->self_decrypt(ciphertexts);
  ASSERT_EQ(opened.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) ASSERT_EQ(opened[i].value(), payloads[i]) << i;
}

TEST(RemoteKeystore, AFailedRequestFailsEachOfItsItems) {
  RemoteParty alice(1);
  alice.flaky->down_ = true;
  const std::vector<Bytes> payloads(3, to_bytes("x"));
  auto sealed = alice.keystore->self_encrypt(payloads);
  ASSERT_EQ(sealed.size(), 3u);
  for (const auto& one : sealed) {
    ASSERT_FALSE(one);
    EXPECT_EQ(one.error().code, identity::KeystoreErrc::kUnreachable);
  }
  EXPECT_EQ(alice.keystore->v2_conversations().error().code, identity::KeystoreErrc::kUnreachable);
}

TEST(RemoteKeystore, APolicyRefusalReachesTheCaller) {
  RemoteParty alice(1);
  alice.clock.advance(std::chrono::minutes(6));  // the wallet's clock; the token is dated kNow
  auto token = alice.keystore->create_auth_token(1'700'000'000'000'000'000);
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, identity::KeystoreErrc::kRefused);
  EXPECT_NE(token.error().message.find("9108"), std::string::npos) << token.error().message;
}

// A bundle whose pre-key its identity key did not sign is not connected to. (An identity key signed by
// another wallet recovers that wallet: account_address() says which, the caller compares.)
TEST(RemoteKeystore, RefusesABundleThatDoesNotCheckOut) {
  class Forger final : public KeystoreTransport {
   public:
    explicit Forger(wire::xmtp::PublicKeyBundle bundle) : bundle_(std::move(bundle)) {}
    Result<Bytes> call(std::string_view, ByteView) override { return wire::xmtp::encode(bundle_); }

   private:
    wire::xmtp::PublicKeyBundle bundle_;
  };
  RemoteParty alice(1);
  auto bundle = alice.keystore->legacy_public_key_bundle();
  bundle.pre_key.signature->value.compact[10] ^= 1;
  auto connected = RemoteKeystore::connect(std::make_unique<Forger>(bundle));
  EXPECT_FALSE(connected);
  bundle.pre_key.signature.reset();
  EXPECT_FALSE(RemoteKeystore::connect(std::make_unique<Forger>(bundle)));
  auto garbage = RemoteKeystore::connect(std::make_unique<Forger>(wire::xmtp::PublicKeyBundle{}));
  EXPECT_FALSE(garbage);
}

}  // namespace
}  // namespace keylink::keystore::contract
