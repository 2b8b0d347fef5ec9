#include "channel.h"

#include "codec.h"
#include "keylink/base/encoding.h"
#include "keylink/crypto/aead.h"

namespace keylink::link::detail {
namespace {

constexpr std::string_view kLabel = "keylink-link-v1";
constexpr std::string_view kTranscriptLabel = "keylink-link-v1 transcript";
constexpr std::size_t kBaseHeader = 1 + 1 + 8;
constexpr std::size_t kChunkHeader = 4 + 4 + 4 + 1;

std::size_t header_size(MessageType type) {
  if (type == MessageType::kHello) return kBaseHeader + 32;
  if (type == MessageType::kHistoryChunk) return kBaseHeader + kChunkHeader;
  return kBaseHeader;
}

crypto::AeadNonce nonce_of(Direction direction, std::uint64_t seq) {
  crypto::AeadNonce nonce{};
  nonce[0] = static_cast<std::uint8_t>(direction);
  for (std::size_t i = 0; i < 8; ++i) nonce[4 + i] = static_cast<std::uint8_t>(seq >> (8 * (7 - i)));
  return nonce;
}

Bytes aad_of(Direction direction, ByteView header) {
  const std::uint8_t dir = static_cast<std::uint8_t>(direction);
  return concat(as_bytes(kLabel), ByteView(&dir, 1), header);
}

Result<ChunkHeader> parse_chunk_header(Reader& reader) {
  auto index = reader.u32();
  auto total = reader.u32();
  auto round = reader.u32();
  auto last = reader.u8();
  if (!index || !total || !round || !last) return fail(Errc::kMalformed, "the chunk header ends early");
  if (*total == 0 || *total > kMaxChunks || *index >= *total) {
    return fail(Errc::kMalformed, "the chunk index or total is out of range");
  }
  // The flag is redundant with index and total, and must agree with them.
  if (*last > 1 || (*last == 1) != (*index + 1 == *total)) {
    return fail(Errc::kMalformed, "the last-chunk flag does not match the index");
  }
  return ChunkHeader{*index, *total, *round, *last == 1};
}

}  // namespace

std::string_view name_of(MessageType type) noexcept {
  switch (type) {
    case MessageType::kHello: return "Hello";
    case MessageType::kDeviceInfo: return "DeviceInfo";
    case MessageType::kAccount: return "Account";
    case MessageType::kRefused: return "Refused";
    case MessageType::kInstalled: return "Installed";
    case MessageType::kWelcome: return "Welcome";
    case MessageType::kCommitted: return "Committed";
    case MessageType::kHistoryChunk: return "HistoryChunk";
    case MessageType::kHistoryAck: return "HistoryAck";
    case MessageType::kHistoryResume: return "HistoryResume";
  }
  return "?";
}

Direction direction_of(MessageType type) noexcept {
  switch (type) {
    case MessageType::kHello:
    case MessageType::kAccount:
    case MessageType::kRefused:
    case MessageType::kWelcome:
    case MessageType::kHistoryChunk: return Direction::kToJoiner;
    default: return Direction::kToInitiator;
  }
}

Result<Frame> parse_frame(ByteView message) {
  if (message.size() > kMaxMessageLength) return fail(Errc::kTooLarge, "the message is over the size limit");
  Reader reader(message);
  auto version = reader.u8();
  auto type = reader.u8();
  auto seq = reader.u64();
  if (!version || !type || !seq) return fail(Errc::kMalformed, "the message is shorter than its header");
  if (*version != kFrameVersion) return fail(Errc::kMalformed, "unknown message version");
  if (*type < static_cast<std::uint8_t>(MessageType::kHello) ||
      *type > static_cast<std::uint8_t>(MessageType::kHistoryResume)) {
    return fail(Errc::kMalformed, "unknown message type");
  }
  Frame frame;
  frame.type = static_cast<MessageType>(*type);
  frame.seq = *seq;
  if (frame.type == MessageType::kHello) {
    auto key = reader.take(32);
    if (!key) return fail(key.error());
    std::copy(key->begin(), key->end(), frame.initiator_key.begin());
  }
  if (frame.type == MessageType::kHistoryChunk) {
    auto chunk = parse_chunk_header(reader);
    if (!chunk) return fail(chunk.error());
    frame.chunk = *chunk;
  }
  frame.header = message.first(header_size(frame.type));
  frame.sealed = reader.rest();
  if (frame.sealed.size() < crypto::kAeadTagSize) return fail(Errc::kMalformed, "the message has no tag");
  return frame;
}

crypto::Digest32 transcript(const LinkTopic& topic, const crypto::X25519PublicKey& joiner_key,
                            const crypto::X25519PublicKey& initiator_key, std::string_view code, Capabilities caps) {
  const std::uint8_t caps_byte = static_cast<std::uint8_t>(caps);
  const std::uint8_t code_size = static_cast<std::uint8_t>(code.size());
  return crypto::sha256({as_bytes(kTranscriptLabel), topic, joiner_key, initiator_key, ByteView(&code_size, 1),
                         as_bytes(code), ByteView(&caps_byte, 1)});
}

Result<ChannelKeys> derive_keys(const Secret<32>& own_private, const crypto::X25519PublicKey& peer_public,
                                const crypto::Digest32& transcript) {
  auto shared = crypto::x25519(own_private, peer_public);
  if (!shared) return fail(shared.error());
  auto okm = crypto::hkdf_sha256(shared->expose(), as_bytes(kLabel), transcript, 96);
  if (!okm) return fail(okm.error());
  const ByteView bytes = okm->expose();
  return ChannelKeys{Secret<32>(bytes.subspan(0, 32)), Secret<32>(bytes.subspan(32, 32)),
                     to_hex(bytes.subspan(64, 32))};
}

Channel::Channel(ChannelKeys keys, Direction self, std::string send_topic, std::string receive_topic)
    : send_key_(self == Direction::kToJoiner ? std::move(keys.to_joiner) : std::move(keys.to_initiator)),
      receive_key_(self == Direction::kToJoiner ? std::move(keys.to_initiator) : std::move(keys.to_joiner)),
      send_direction_(self),
      receive_direction_(self == Direction::kToJoiner ? Direction::kToInitiator : Direction::kToJoiner),
      send_topic_(std::move(send_topic)),
      receive_topic_(std::move(receive_topic)) {}

Bytes Channel::seal(MessageType type, ByteView body, const crypto::X25519PublicKey* hello_key,
                    const ChunkHeader* chunk) {
  KEYLINK_CHECK(direction_of(type) == send_direction_);
  KEYLINK_CHECK((type == MessageType::kHello) == (hello_key != nullptr));
  KEYLINK_CHECK((type == MessageType::kHistoryChunk) == (chunk != nullptr));
  const std::size_t header = header_size(type);
  Bytes message(header + body.size() + crypto::kAeadTagSize);
  Writer writer(std::span<std::uint8_t>(message).first(header));
  writer.u8(kFrameVersion);
  writer.u8(static_cast<std::uint8_t>(type));
  writer.u64(send_next_);
  if (hello_key != nullptr) writer.bytes(*hello_key);
  if (chunk != nullptr) {
    writer.u32(chunk->index);
    writer.u32(chunk->total);
    writer.u32(chunk->round);
    writer.u8(chunk->last ? 1 : 0);
  }
  KEYLINK_CHECK(writer.full());
  const Bytes aad = aad_of(send_direction_, ByteView(message).first(header));
  crypto::chacha20poly1305_seal_into(send_key_, nonce_of(send_direction_, send_next_), body, aad,
                                     std::span<std::uint8_t>(message).subspan(header));
  ++send_next_;
  return message;
}

Received Channel::receive(ByteView message) {
  Received received;
  auto frame = parse_frame(message);
  if (!frame || direction_of(frame->type) != receive_direction_) return received;
  SecretBytes body(frame->sealed.size() - crypto::kAeadTagSize);
  const Bytes aad = aad_of(receive_direction_, frame->header);
  if (!crypto::chacha20poly1305_open_into(receive_key_, nonce_of(receive_direction_, frame->seq), frame->sealed, aad,
                                          body.expose_mutable())) {
    return received;
  }
  received.frame = *frame;
  // An authentic message with an old seq is the one already received: the sender never reuses a seq.
  if (frame->seq < receive_next_) {
    received.arrival = Arrival::kDuplicate;
    return received;
  }
  received.arrival = frame->seq == receive_next_ ? Arrival::kInOrder : Arrival::kAhead;
  if (received.arrival == Arrival::kInOrder) ++receive_next_;
  received.body = std::move(body);
  return received;
}

}  // namespace keylink::link::detail
