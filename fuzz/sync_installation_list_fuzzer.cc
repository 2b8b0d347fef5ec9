// Decodes arbitrary bytes as what devices of an account send each other about installations (the first
// byte picks which, mod 3): an InstallationList, an InstallationRecord or a KeyRotation. Nothing may
// crash, a refusal must say why, what decodes must re-encode to the same bytes, and what decodes is
// then judged as the code around the parser would: a list against the list a device holds, a record
// verified against the identity, a rotation opened by a listed device. None of them may be accepted
// unless signed by the account (the fuzzer cannot sign), so judging must fail.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz_util.h"
#include "keylink/sync/group_key.h"
#include "keylink/sync/installation_list.h"

using namespace keylink;
using namespace keylink::sync;

namespace {

struct World {
  World()
      : rng(3),
        identity(crypto::Secp256k1PrivateKey::generate(rng)),
        a(InstallationKeys::generate(rng)),
        b(InstallationKeys::generate(rng)) {
    auto record_a = make_installation_record(a, "a", "linux", 1, identity);
    auto record_b = make_installation_record(b, "b", "linux", 1, identity);
    FUZZ_ASSERT(record_a && record_b);
    auto appended = append_installation(make_first_list(record_a->installation, identity), *record_b, identity);
    FUZZ_ASSERT(appended);
    list = std::move(*appended);
  }
  FixedRng rng;
  crypto::Secp256k1PrivateKey identity;
  InstallationKeys a, b;
  InstallationList list;
};

template <class T>
bool refused(const Result<T>& decoded) {
  if (decoded) return false;
  FUZZ_ASSERT(!decoded.error().message.empty());
  return true;
}

template <class T>
void assert_round_trip(const Result<T>& decoded, ByteView input) {
  Bytes again = encode(*decoded);
  FUZZ_ASSERT(again.size() == input.size() && std::equal(again.begin(), again.end(), input.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::unique_ptr<World> world = std::make_unique<World>();
  if (size == 0) return 0;
  const ByteView input(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto list = decode_installation_list(input);
      if (refused(list)) return 0;
      assert_round_trip(list, input);
      FUZZ_ASSERT(!judge_list(world->list, *list, world->identity.public_key()));
      FUZZ_ASSERT(!update_list(world->list, *list, world->identity));
      for (const auto& installation : list->installations) classify(world->list, world->a.id(), installation.id);
      break;
    }
    case 1: {
      auto record = decode_installation_record(input);
      if (refused(record)) return 0;
      assert_round_trip(record, input);
      FUZZ_ASSERT(!verify_installation_record(*record, world->identity.public_key()));
      break;
    }
    default: {
      auto rotation = decode_key_rotation(input);
      if (refused(rotation)) return 0;
      assert_round_trip(rotation, input);
      FUZZ_ASSERT(!open_rotation(*rotation, world->list, world->b));
      break;
    }
  }
  return 0;
}
