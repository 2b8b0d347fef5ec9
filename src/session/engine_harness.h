// Test-only: a dApp and a wallet engine, each on its own SQLite home file, wired together in memory.
// Publishes reach whichever other party subscribed to their topic; app events are collected per party.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "keylink/base/clock.h"
#include "keylink/base/rng.h"
#include "keylink/session/engine.h"
#include "keylink/session/session_store.h"
#include "keylink/store/database.h"
#include "keylink/store/vault.h"
#include "testing/temp_dir.h"

namespace keylink::session::testing {

inline const crypto::Argon2Params kFastArgon2{1, std::size_t{8} << 20};

inline SecretBytes passphrase() { return SecretBytes(as_bytes("correct horse battery staple")); }

struct Party {
  Party(std::string path, std::string name, Rng& rng, const Clock& clock)
      : path_(std::move(path)), rng_(rng), clock_(clock) {
    options.self = {name, name + " for tests", "https://" + name + ".example", {"https://" + name + ".example/i.png"}};
    open();
  }

  // Opens (or reopens, after a "crash") the database, vault, store and engine from the file.
  void open() {
    engine.reset();
    store.reset();
    vault.reset();
    db.reset();
    // A "crash" here is a reopen in the same process, so fsync would only slow the tests down.
    store::DatabaseOptions db_options;
    db_options.synchronous = store::Synchronous::kOff;
    auto opened = store::Database::open(path_, db_options);
    ASSERT_TRUE(opened) << opened.error().message;
    db = std::make_unique<store::Database>(std::move(*opened));
    auto opened_vault = store::Vault::open(*db, passphrase(), rng_, kFastArgon2);
    ASSERT_TRUE(opened_vault) << opened_vault.error().message;
    vault = std::make_unique<store::Vault>(std::move(*opened_vault));
    auto opened_store = open_sqlite_session_store(*db, *vault, rng_);
    ASSERT_TRUE(opened_store) << opened_store.error().message;
    store = std::move(*opened_store);
    auto opened_engine = Engine::open(*store, options, rng_, clock_);
    ASSERT_TRUE(opened_engine) << opened_engine.error().message;
    engine = std::make_unique<Engine>(std::move(*opened_engine));
    subscriptions.clear();
  }

  // The first collected event of type T, removed from the list.
  template <class T>
  std::optional<T> next() {
    for (auto it = events.begin(); it != events.end(); ++it) {
      if (auto* found = std::get_if<T>(&*it)) {
        T out = std::move(*found);
        events.erase(it);
        return out;
      }
    }
    return std::nullopt;
  }

  template <class T>
  int count() const {
    int n = 0;
    for (const auto& event : events) n += std::holds_alternative<T>(event) ? 1 : 0;
    return n;
  }

  EngineOptions options;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::Vault> vault;
  std::unique_ptr<SessionStore> store;
  std::unique_ptr<Engine> engine;
  std::set<std::string> subscriptions;
  std::vector<Action> events;      // everything but Publish, Subscribe and Unsubscribe
  std::vector<Publish> published;  // every message this party sent, in order

 private:
  std::string path_;
  Rng& rng_;
  const Clock& clock_;
};

class Network {
 public:
  Network(Party& a, Party& b) : parties_{&a, &b} {}

  // Moves actions and messages until nothing is left. `hold` keeps messages from being delivered. Like a
  // relay's mailbox, a message waits until a party other than its sender subscribes to its topic.
  void pump() {
    for (bool busy = true; busy;) {
      busy = false;
      for (Party* party : parties_) busy |= collect(*party);
      if (hold) break;
      std::vector<std::pair<Party*, Publish>> waiting;
      for (auto& [from, message] : std::exchange(in_flight_, {})) {
        Party* to = receiver(from, message.topic);
        if (!to) {
          waiting.emplace_back(from, std::move(message));
          continue;
        }
        ASSERT_TRUE(to->engine->on_message(message.topic, message.message));
        busy = true;
      }
      in_flight_.insert(in_flight_.begin(), waiting.begin(), waiting.end());
    }
  }

  // Collects actions, then delivers only the oldest message in flight.
  void deliver_one() {
    for (Party* party : parties_) collect(*party);
    ASSERT_FALSE(in_flight_.empty());
    auto [from, message] = in_flight_.front();
    in_flight_.erase(in_flight_.begin());
    Party* to = receiver(from, message.topic);
    ASSERT_NE(to, nullptr);
    ASSERT_TRUE(to->engine->on_message(message.topic, message.message));
  }

  // Drops messages in flight (as a relay that lost them would).
  void lose_in_flight() { in_flight_.clear(); }
  std::size_t in_flight() const { return in_flight_.size(); }

  // Step by step, for tests that pick what the relay does with each message (adversarial tests).
  // Moves every party's actions (publishes, subscriptions, events) without delivering anything.
  void collect_all() {
    for (Party* party : parties_) collect(*party);
  }
  // The i-th message in flight, oldest first, and its sender.
  const Publish& peek(std::size_t i) const { return in_flight_.at(i).second; }
  Party* sender(std::size_t i) const { return in_flight_.at(i).first; }
  // Whom the i-th message would reach now; nullptr while it waits for a subscriber.
  Party* receiver_at(std::size_t i) { return receiver(in_flight_.at(i).first, in_flight_.at(i).second.topic); }
  // Takes the i-th message out of flight (lost, unless the test hands it on).
  Publish take(std::size_t i) {
    Publish out = std::move(in_flight_.at(i).second);
    in_flight_.erase(in_flight_.begin() + static_cast<std::ptrdiff_t>(i));
    return out;
  }
  // Collects, then delivers the i-th message to its receiver and returns the actions that receiver
  // produced, which are also collected. REQUIRES: receiver_at(i) once collected.
  std::vector<Action> deliver_at(std::size_t i) {
    collect_all();
    Party* to = receiver_at(i);
    EXPECT_NE(to, nullptr) << "nobody subscribes to " << peek(i).topic;
    if (!to) return {};
    Publish message = take(i);
    return hand(*to, message);
  }
  // Hands `message` to `to` as a relay would (again, late, or forged), whatever `to` subscribes to, and
  // returns the actions it produced; they are also collected.
  std::vector<Action> hand(Party& to, const Publish& message) {
    collect_all();
    EXPECT_TRUE(to.engine->on_message(message.topic, message.message));
    auto actions = to.engine->take_actions();
    record(to, actions);
    return actions;
  }
  // Puts a copy of a message back in flight, as a relay that delivers it twice.
  void resend(Party& from, Publish message) { in_flight_.emplace_back(&from, std::move(message)); }

  bool hold = false;

 private:
  Party* receiver(const Party* from, const std::string& topic) {
    for (Party* party : parties_) {
      if (party != from && party->subscriptions.contains(topic)) return party;
    }
    return nullptr;
  }

  bool collect(Party& party) {
    auto actions = party.engine->take_actions();
    record(party, actions);
    return !actions.empty();
  }

  void record(Party& party, const std::vector<Action>& taken) {
    auto actions = taken;
    for (auto& action : actions) {
      if (auto* publish = std::get_if<Publish>(&action)) {
        party.published.push_back(*publish);
        in_flight_.emplace_back(&party, std::move(*publish));
      } else if (auto* subscribe = std::get_if<Subscribe>(&action)) {
        party.subscriptions.insert(subscribe->topic);
      } else if (auto* unsubscribe = std::get_if<Unsubscribe>(&action)) {
        party.subscriptions.erase(unsubscribe->topic);
      } else {
        party.events.push_back(std::move(action));
      }
    }
  }

  std::vector<Party*> parties_;
  std::vector<std::pair<Party*, Publish>> in_flight_;
};

}  // namespace keylink::session::testing
