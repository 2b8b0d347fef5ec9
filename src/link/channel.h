// The link channel: the key schedule, the frame of every link message, and sealing and opening with
// per-direction keys and sequence numbers. Internal to the link layer; docs/linking.md describes it.
//
// Frame: version (1) ‖ type (1) ‖ seq (u64) ‖ [Hello: A's public key (32)]
//        ‖ [HistoryChunk: index (u32) ‖ total (u32) ‖ round (u32) ‖ last (1)] ‖ ChaCha20-Poly1305(body) ‖ tag (16)
// AAD:   "keylink-link-v1" ‖ direction (1) ‖ the frame up to the ciphertext
// Nonce: direction (1) ‖ 0 0 0 ‖ seq (u64)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keylink/base/bytes.h"
#include "keylink/base/result.h"
#include "keylink/base/secret.h"
#include "keylink/crypto/hash.h"
#include "keylink/crypto/x25519.h"
#include "keylink/link/account.h"
#include "keylink/link/link_uri.h"

namespace keylink::link::detail {

inline constexpr std::uint8_t kFrameVersion = 1;
// The largest message: an Account with every blob at its limit, with room for the frame.
inline constexpr std::size_t kMaxMessageLength = 5 * (kMaxBlobLength + 4) + 1024;

enum class Direction : std::uint8_t { kToJoiner = 1, kToInitiator = 2 };

enum class MessageType : std::uint8_t {
  kHello = 1,      // A → B
  kDeviceInfo,     // B → A
  kAccount,        // A → B
  kRefused,        // A → B
  kInstalled,      // B → A
  kWelcome,        // A → B
  kCommitted,      // B → A
  kHistoryChunk,   // A → B
  kHistoryAck,     // B → A
  kHistoryResume,  // B → A
};
std::string_view name_of(MessageType type) noexcept;
Direction direction_of(MessageType type) noexcept;

struct ChunkHeader {
  std::uint32_t index = 0;
  std::uint32_t total = 0;
  std::uint32_t round = 0;  // how many times B asked to resume when A sealed this chunk
  bool last = false;
};

// The clear part of a frame, checked for form (not yet authenticated). Views into the message.
struct Frame {
  MessageType type = MessageType::kHello;
  std::uint64_t seq = 0;
  crypto::X25519PublicKey initiator_key{};  // Hello only
  ChunkHeader chunk;                        // HistoryChunk only
  ByteView header;                          // the frame up to the ciphertext
  ByteView sealed;                          // ciphertext ‖ tag
};
Result<Frame> parse_frame(ByteView message);

struct ChannelKeys {
  Secret<32> to_joiner;
  Secret<32> to_initiator;
  std::string reply_topic;  // where A listens: hex of 32 derived bytes
};

// SHA-256 over a label, the topic, B's and A's public keys, the code and the capabilities.
crypto::Digest32 transcript(const LinkTopic& topic, const crypto::X25519PublicKey& joiner_key,
                            const crypto::X25519PublicKey& initiator_key, std::string_view code, Capabilities caps);
// HKDF-SHA256(X25519(own, peer), salt "keylink-link-v1", info transcript) → 96 bytes: the key A → B, the
// key B → A, the reply topic. Fails when the peer's key is weak.
Result<ChannelKeys> derive_keys(const Secret<32>& own_private, const crypto::X25519PublicKey& peer_public,
                                const crypto::Digest32& transcript);

// How a received message stands against the sequence numbers seen so far.
enum class Arrival { kUnopened, kDuplicate, kInOrder, kAhead };
struct Received {
  Arrival arrival = Arrival::kUnopened;
  Frame frame;
  SecretBytes body;  // set for kInOrder and kAhead
};

class Channel {
 public:
  // `self` is the direction this side sends in.
  Channel(ChannelKeys keys, Direction self, std::string send_topic, std::string receive_topic);

  // Seals the next message; its seq is the number of messages sealed before it.
  Bytes seal(MessageType type, ByteView body, const crypto::X25519PublicKey* hello_key = nullptr,
             const ChunkHeader* chunk = nullptr);
  // Opens a message of the other direction. kInOrder advances the expected seq; kAhead does not (the
  // caller decides, and calls skip_to() to accept it).
  Received receive(ByteView message);
  void skip_to(std::uint64_t next_seq) { receive_next_ = next_seq; }

  const std::string& send_topic() const { return send_topic_; }
  const std::string& receive_topic() const { return receive_topic_; }

 private:
  Secret<32> send_key_;
  Secret<32> receive_key_;
  Direction send_direction_;
  Direction receive_direction_;
  std::string send_topic_;
  std::string receive_topic_;
  std::uint64_t send_next_ = 0;
  std::uint64_t receive_next_ = 0;
};

}  // namespace keylink::link::detail
