// What the nodes of a cluster send each other through NATS: kept messages and acks (JetStream) and
// ephemeral messages (NATS core). A small binary form: a version byte, then the fields in a fixed order,
// integers little-endian, texts with a u32 length before them. Only nodes of the cluster can publish
// on its subjects (NATS's own authentication), but a reader still refuses anything malformed with an
// error instead of trusting a length.
#pragma once

#include <string>
#include <string_view>

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
// The ack's client, topic and seq (the stream seq of the message it names).
std::string encode_ack(const StoredAck& ack);
Result<StoredAck> decode_ack(std::string_view bytes);

}  // namespace keylink::relay::cluster
