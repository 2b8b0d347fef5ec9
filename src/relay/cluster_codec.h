// What the nodes of a cluster send each other through NATS: kept messages and acks (JetStream) and
// ephemeral messages (NATS core). A small binary form: a version byte, then the fields in a fixed order,
// integers little-endian, texts with a u32 length before them. Only nodes of the cluster can publish
// on its subjects (NATS's own authentication), but a reader still refuses anything malformed with an
// error instead of trusting a length.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keylink/base/result.h"
#include "keylink/relay/journal.h"

namespace keylink::relay::cluster {

// The stream kStream holds kMessages and kAcks (both under kJournal); ephemeral messages go on
// kEphemeral, which no stream takes.
inline constexpr const char* kStream = "KEYLINK";
inline constexpr const char* kJournal = "keylink.j.>";
inline constexpr const char* kMessages = "keylink.j.m";
inline constexpr const char* kAcks = "keylink.j.a";
inline constexpr const char* kEphemeral = "keylink.e";

// The message's fields, its publisher, its network and prompt flag (its seq is the stream's, not sent).
std::string encode_message(const JournaledMessage& journaled);
Result<JournaledMessage> decode_message(std::string_view bytes);
// Acks, each its client, topic and seq (the stream seq of the message it names): a node puts the acks
// of a group in one stream message, not one each (half of what the stream would carry otherwise).
std::string encode_acks(std::span<const StoredAck> acks);
Result<std::vector<StoredAck>> decode_acks(std::string_view bytes);

}  // namespace keylink::relay::cluster
