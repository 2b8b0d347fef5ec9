// Test-only: device A (LinkInitiator) and device B (LinkJoiner), each with a stand-in runtime that
// answers the machine's requests, joined by a path the test controls (drop, duplicate, reorder, alter).
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/link/initiator.h"
#include "keylink/link/joiner.h"

namespace keylink::link::testing {

inline SecretBytes secret(std::string_view text) { return SecretBytes(as_bytes(text)); }

inline AccountPayload make_account(AccountKind kind) {
  AccountPayload account;
  account.kind = kind;
  account.identity_bundle = secret("identity key and pre-keys");
  account.conversation_keys = secret("conversation keys");
  account.installation_list = secret("installation list v1");
  account.device_group_key = secret("device-group key");
  if (kind == AccountKind::kFull) account.recovery_phrase = secret("abandon abandon … about");
  return account;
}

template <class T>
std::vector<const T*> all_of(const std::vector<Action>& actions) {
  std::vector<const T*> out;
  for (const auto& action : actions) {
    if (const T* found = std::get_if<T>(&action)) out.push_back(found);
  }
  return out;
}

template <class T>
bool has(const std::vector<Action>& actions) {
  return !all_of<T>(actions).empty();
}

inline std::string failure(const std::vector<Action>& actions) {
  auto failed = all_of<Failed>(actions);
  return failed.empty() ? std::string() : failed.front()->reason;
}

struct Link {
  // What the path does with a message: return the messages to deliver now (none: dropped).
  using Path = std::function<std::vector<Publish>(Publish)>;

  explicit Link(std::uint64_t seed_a = 1, std::uint64_t seed_b = 2) : rng_a(seed_a), rng_b(seed_b) {}

  FixedRng rng_a;
  FixedRng rng_b;
  ManualClock clock;
  OneTimeCode code;
  std::optional<LinkJoiner> joiner;
  std::optional<LinkInitiator> initiator;
  Capabilities caps = Capabilities::kLightAndFull;
  AccountKind kind = AccountKind::kLight;

  // The stand-in runtimes.
  bool user_says_yes = true;
  bool answer_user = true;     // false: AskUser waits for the test
  bool answer_history = true;  // false: NeedHistoryChunk waits for the test
  std::vector<Bytes> history = {to_bytes("chunk 0"), to_bytes("chunk 1"), to_bytes("chunk 2")};
  std::vector<Action> a_events;  // every action but the transport ones
  std::vector<Action> b_events;
  std::vector<std::uint32_t> needed;  // NeedHistoryChunk not answered (answer_history false)
  std::vector<Bytes> b_history;       // chunks B stored, in order
  std::vector<Publish> log;           // every message either side published, in order
  std::deque<Publish> in_flight;
  Path path = [](Publish message) { return std::vector<Publish>{std::move(message)}; };

  TimePoint now() const { return clock.now(); }

  void make_code() { code = OneTimeCode::generate(rng_a, now()); }

  // B shows its URI; returns it as text.
  std::string show_uri(std::string_view typed_code) {
    auto made = LinkJoiner::create(typed_code, caps, DeviceInfo{"Pixel 8", "android"}, rng_b, now());
    EXPECT_TRUE(made) << made.error().message;
    joiner.emplace(std::move(*made));
    absorb_b(joiner->begin(now()));
    return joiner->uri().to_string();
  }

  // A reads the URI text; returns the error if A refuses it.
  std::optional<Error> read_uri(std::string_view text) {
    auto uri = LinkUri::parse(text, now());
    if (!uri) return uri.error();
    auto made = LinkInitiator::create(*uri, code, rng_a, now());
    if (!made) return made.error();
    initiator.emplace(std::move(*made));
    absorb_a(initiator->begin(now()));
    return std::nullopt;
  }

  // The whole start: a code, B's URI with it, A reading it, and the messages pumped.
  void start() {
    make_code();
    auto refused = read_uri(show_uri(code.text()));
    ASSERT_FALSE(refused) << refused->message;
    pump();
  }

  void pump() {
    while (!in_flight.empty()) {
      Publish message = std::move(in_flight.front());
      in_flight.pop_front();
      for (auto& delivered : path(std::move(message))) deliver(delivered);
    }
  }

  void deliver(const Publish& message) {
    if (joiner && message.topic == topic_text(joiner->uri().topic)) {
      absorb_b(joiner->on_message(message.topic, message.message, now()));
    } else if (initiator) {
      absorb_a(initiator->on_message(message.topic, message.message, now()));
    }
  }

  void absorb_a(Actions actions) {
    for (auto& action : actions) {
      if (auto* publish = std::get_if<Publish>(&action)) {
        log.push_back(*publish);
        in_flight.push_back(std::move(*publish));
        continue;
      }
      if (std::holds_alternative<Subscribe>(action) || std::holds_alternative<Unsubscribe>(action)) continue;
      a_events.push_back(std::move(action));
      on_a_event(a_events.back());
    }
  }

  void on_a_event(const Action& action) {
    if (std::holds_alternative<AskUser>(action) && answer_user) {
      absorb_a(user_says_yes ? initiator->on_user_accepted(make_account(kind), now())
                             : initiator->on_user_refused(now()));
    } else if (auto* add = std::get_if<AddInstallation>(&action)) {
      absorb_a(initiator->on_installation_list(concat(to_bytes("installation list v2 + "), add->record), now()));
    } else if (std::holds_alternative<Done>(action)) {
      absorb_a(initiator->start_history(static_cast<std::uint32_t>(history.size()), now()));
    } else if (auto* need = std::get_if<NeedHistoryChunk>(&action)) {
      if (answer_history) {
        absorb_a(initiator->on_history_chunk(need->index, history.at(need->index), now()));
      } else {
        needed.push_back(need->index);
      }
    }
  }

  void absorb_b(Actions actions) {
    for (auto& action : actions) {
      if (auto* publish = std::get_if<Publish>(&action)) {
        log.push_back(*publish);
        in_flight.push_back(std::move(*publish));
        continue;
      }
      if (std::holds_alternative<Subscribe>(action) || std::holds_alternative<Unsubscribe>(action)) continue;
      if (auto* chunk = std::get_if<HistoryChunkReceived>(&action)) {
        EXPECT_EQ(chunk->index, b_history.size());
        b_history.emplace_back(chunk->bytes.expose().begin(), chunk->bytes.expose().end());
      }
      b_events.push_back(std::move(action));
      on_b_event(b_events.back());
    }
  }

  void on_b_event(const Action& action) {
    if (std::holds_alternative<InstallAccount>(action)) {
      absorb_b(joiner->on_installation_record(to_bytes("record of B"), now()));
    } else if (std::holds_alternative<Commit>(action)) {
      absorb_b(joiner->on_committed(now()));
    }
  }

  // The history chunks the runtime of A holds back (answer_history false), answered now.
  void answer_needed() {
    auto indexes = std::move(needed);
    needed.clear();
    for (std::uint32_t index : indexes) absorb_a(initiator->on_history_chunk(index, history.at(index), now()));
  }

  std::vector<Bytes> published_by_a() const {
    std::vector<Bytes> out;
    for (const auto& message : log) {
      if (joiner && message.topic == topic_text(joiner->uri().topic)) out.push_back(message.message);
    }
    return out;
  }
};

}  // namespace keylink::link::testing
