#include "keylink/wire/envelope.h"

#include <gtest/gtest.h>

#include "keylink/base/encoding.h"
#include "keylink/crypto/errors.h"
#include "keylink/wire/errors.h"
#include "keylink/wire/keys.h"
#include "testing/vectors.h"

namespace keylink::wire {
namespace {

class EnvelopeVectors : public ::testing::Test {
 protected:
  testing::Vector v = testing::load_vectors("walletconnect_vectors.txt").at(0);
  Secret<32> key = testing::hex_secret<32>(v["sym_key"]);

  FixedRng rng_with_vector_nonce() {
    FixedRng rng;
    rng.push(testing::hex(v["nonce"]));
    return rng;
  }
};

TEST_F(EnvelopeVectors, Type0SealsToTheVector) {
  auto rng = rng_with_vector_nonce();
  EXPECT_EQ(seal_type0(key, v["message"], rng), v["type0"]);
}

TEST_F(EnvelopeVectors, Type0OpensTheVector) {
  auto envelope = Envelope::decode(v["type0"]);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->type, EnvelopeType::kType0);
  EXPECT_EQ(to_hex(envelope->nonce), v["nonce"]);
  EXPECT_EQ(envelope->open(key).value(), v["message"]);
}

TEST_F(EnvelopeVectors, Type1SealsAndOpensWithTheSenderKey) {
  auto rng = rng_with_vector_nonce();
  const auto sender = testing::hex_array<32>(v["a_public"]);
  EXPECT_EQ(seal_type1(key, sender, v["message"], rng), v["type1"]);

  auto envelope = Envelope::decode(v["type1"]);
  ASSERT_TRUE(envelope);
  ASSERT_TRUE(envelope->sender_public_key);
  auto receiver_key = derive_sym_key(testing::hex_secret<32>(v["b_private"]), *envelope->sender_public_key);
  ASSERT_TRUE(receiver_key);
  EXPECT_EQ(envelope->open(*receiver_key).value(), v["message"]);
}

TEST_F(EnvelopeVectors, Type2IsPlaintextAndCannotBeOpened) {
  EXPECT_EQ(encode_type2(v["message"]), v["type2"]);
  auto envelope = Envelope::decode(v["type2"]);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(as_chars(envelope->body), v["message"]);
  EXPECT_EQ(envelope->open(key).error().code, Errc::kBadVersion);
}

TEST_F(EnvelopeVectors, EveryFlippedBitIsRejected) {
  const Bytes good = from_base64(v["type0"]).value();
  for (std::size_t bit = 8; bit < good.size() * 8; ++bit) {  // the type byte is checked elsewhere
    Bytes bad = good;
    bad[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    auto envelope = Envelope::decode(to_base64(bad));
    ASSERT_TRUE(envelope);
    auto opened = envelope->open(key);
    ASSERT_FALSE(opened) << "bit " << bit;
    EXPECT_EQ(opened.error().code, crypto::Errc::kDecryptFailed);
  }
}

TEST_F(EnvelopeVectors, WrongKeyIsRejected) {
  EXPECT_EQ(Envelope::decode(v["type0"])->open(Secret<32>(Bytes(32, 1))).error().code, crypto::Errc::kDecryptFailed);
}

TEST(Envelope, RejectsBadInputWithAReason) {
  struct Case {
    std::string text;
    Errc code;
  } cases[] = {
      {"", Errc::kMalformed},                                         // empty
      {"not base64!", Errc::kMalformed},                              // alphabet
      {to_base64(Bytes{3, 1, 2}), Errc::kBadVersion},                 // unknown type
      {to_base64(Bytes(28, 0)), Errc::kMalformed},                    // type 0, one byte short of nonce + tag
      {to_base64(concat(Bytes{1}, Bytes(59, 0))), Errc::kMalformed},  // type 1, one byte short
  };
  for (const auto& c : cases) {
    auto envelope = Envelope::decode(c.text);
    ASSERT_FALSE(envelope) << c.text;
    EXPECT_EQ(envelope.error().code, c.code) << c.text;
    EXPECT_FALSE(envelope.error().message.empty());
  }
  EXPECT_EQ(Envelope::decode(std::string(100, 'A'), 99).error().code, Errc::kTooLarge);
}

TEST(Envelope, EmptyPlaintextRoundTrips) {
  FixedRng rng(3);
  const Secret<32> key(Bytes(32, 9));
  auto envelope = Envelope::decode(seal_type0(key, "", rng));
  ASSERT_TRUE(envelope);
  EXPECT_EQ(envelope->open(key).value(), "");
}

}  // namespace
}  // namespace keylink::wire
