// The cluster's journal: JetStream keeps every node's messages and acks in one stream, and each node
// reads the whole stream back in order through an ordered consumer. Ephemeral messages go through NATS
// core only. nats.c runs its callbacks on its own threads: what they bring waits in an inbox that the
// relay's event loop drains (through the Poster), and appends are published by a writer thread in
// groups, as the SQLite journal commits them.
#include <nats/nats.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "keylink/base/check.h"
#include "keylink/base/encoding.h"
#include "keylink/relay/errors.h"
#include "keylink/relay/journal.h"
#include "relay/cluster_codec.h"
#include "relay/comma_list.h"

namespace keylink::relay {
namespace {

constexpr std::int64_t kConnectTimeoutMs = 5000;
constexpr std::int64_t kReconnectWaitMs = 250;
constexpr std::int64_t kPublishWaitMs = 5000;  // for JetStream's acks of one group
constexpr std::int64_t kConsumerHeartbeatMs = 1000;
// Publishes waiting for JetStream's ack at once: a group larger than nats.c's default (4,000) would
// stall; this bounds the memory they hold instead.
constexpr std::int64_t kMaxPendingPublishes = 65536;
// What the acks in one stream message may take, well under NATS's payload limit of 1 MiB.
constexpr std::size_t kAckBytesPerMessage = 256 * 1024;
// How long load() waits for the stream to arrive, and a new stream for enough JetStream servers.
constexpr auto kLoadTimeout = std::chrono::seconds(60);
constexpr auto kStreamTimeout = std::chrono::seconds(20);

Error cluster_error(std::string message) { return Error{make_error_code(Errc::kCluster), std::move(message)}; }

std::string status_text(natsStatus status, jsErrCode js_code = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(status);
  if (const char* last = nats_GetLastError(nullptr); last && *last) text += std::string(" (") + last + ")";
  if (js_code != 0) text += " [JetStream error " + std::to_string(static_cast<int>(js_code)) + "]";
  return text;
}

// A server URL as logs and errors show it: without its password.
std::string without_password(std::string url) {
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) url.replace(colon + 1, at - colon - 1, "***");
  return url;
}

class NatsJournal final : public Journal {
 public:
  static Result<std::unique_ptr<NatsJournal>> open(const ClusterOptions& options, Poster post);
  ~NatsJournal() override;

  Result<std::uint64_t> load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                             const std::function<void(StoredAck)>& on_ack) override;
  void append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) override;
  void prune(std::int64_t) override {}  // JetStream drops what is older than the stream's MaxAge itself
  void flush() override;
  std::uint64_t commits() const noexcept override { return commits_.load(std::memory_order_relaxed); }
  bool shared() const noexcept override { return true; }
  void set_feed(Feed feed) override { feed_ = std::move(feed); }
  void broadcast(const StoredMessage& message, std::string_view publisher) override;
  std::optional<ClusterStatus> cluster_status() const override;

 private:
  enum class Kind { kMessage, kAck, kEphemeral };
  struct Arrival {
    Kind kind;
    std::uint64_t seq;  // the stream's; 0 for an ephemeral message
    std::string bytes;
  };
  struct Append {
    std::vector<JournaledMessage> messages;
    std::vector<StoredAck> acks;
    Done done;
  };

  NatsJournal(ClusterOptions options, Poster post) : options_(std::move(options)), post_(std::move(post)) {}
  Result<void> connect();
  Result<void> ensure_stream();
  Result<void> subscribe();

  static void on_journal(natsConnection*, natsSubscription*, natsMsg* msg, void* self);
  static void on_ephemeral(natsConnection*, natsSubscription*, natsMsg* msg, void* self);
  static void on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr*, void* self);
  static void on_disconnected(natsConnection*, void* self);
  static void on_reconnected(natsConnection*, void* self);
  // `caught_up`: nothing followed it in the stream when it was sent.
  void arrive(Arrival arrival, bool caught_up = false);
  // On the event loop: hands what arrived to the feed, in order.
  void drain();
  void deliver(const Arrival& arrival, std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
               const std::function<void(StoredAck)>& on_ack, const Feed::Ephemeral* on_ephemeral);
  // Adds n to a counter of status_; returns whether it counts something that parsed.
  bool count(std::uint64_t ClusterStatus::*counter, std::uint64_t n = 1);

  void run_writer();
  Result<void> publish(std::vector<Append>& group);

  ClusterOptions options_;
  Poster post_;
  Feed feed_;
  natsOptions* nats_options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  natsSubscription* journal_sub_ = nullptr;
  natsSubscription* ephemeral_sub_ = nullptr;

  // What the subscriptions brought, until the event loop takes it.
  std::mutex inbox_mutex_;
  std::condition_variable arrived_;
  std::vector<Arrival> inbox_;
  std::uint64_t last_arrived_seq_ = 0;
  bool caught_up_ = false;  // an arrival was the stream's last (what load() waits for)
  bool loaded_ = false;         // load() is over: arrivals go to the feed
  bool drain_posted_ = false;  // a drain() is on its way to the loop

  // The writer: appends wait in queue_ and go out together.
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::vector<Append> queue_;
  bool busy_ = false, stopping_ = false;
  std::thread writer_;
  // Of the group in flight: the publishes JetStream refused, and the last seq it gave one.
  std::atomic<std::uint64_t> group_failures_{0};
  std::atomic<std::uint64_t> group_last_seq_{0};

  std::atomic<std::uint64_t> commits_{0};
  mutable std::mutex status_mutex_;
  ClusterStatus status_;
};

Result<std::unique_ptr<NatsJournal>> NatsJournal::open(const ClusterOptions& options, Poster post) {
  KEYLINK_CHECK(post != nullptr);
  std::unique_ptr<NatsJournal> journal(new NatsJournal(options, std::move(post)));
  journal->status_.node = options.node;
  if (auto connected = journal->connect(); !connected) return fail(connected.error());
  if (auto stream = journal->ensure_stream(); !stream) return fail(stream.error());
  journal->writer_ = std::thread([raw = journal.get()] { raw->run_writer(); });
  return journal;
}

NatsJournal::~NatsJournal() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
  }
  // Subscriptions first, so that no callback runs into a journal half gone.
  for (natsSubscription* sub : {journal_sub_, ephemeral_sub_}) {
    if (!sub) continue;
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
  }
  jsCtx_Destroy(js_);
  if (connection_) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
  natsOptions_Destroy(nats_options_);
}

Result<void> NatsJournal::connect() {
  std::vector<std::string> servers;
  for (const std::string_view server : split_comma_list(options_.servers)) {
    if (server.empty()) return fail(cluster_error("--cluster has an empty entry: nats://HOST:PORT, comma-separated"));
    servers.emplace_back(server);
  }
  std::vector<const char*> urls;
  for (const auto& server : servers) urls.push_back(server.c_str());
  std::string shown;
  for (const auto& server : servers) shown += (shown.empty() ? "" : ",") + without_password(server);
  natsStatus status = natsOptions_Create(&nats_options_);
  if (status == NATS_OK) status = natsOptions_SetServers(nats_options_, urls.data(), static_cast<int>(urls.size()));
  if (status == NATS_OK) status = natsOptions_SetName(nats_options_, ("keylink-relay " + options_.node).c_str());
  if (status == NATS_OK) status = natsOptions_SetTimeout(nats_options_, kConnectTimeoutMs);
  if (status == NATS_OK) status = natsOptions_SetMaxReconnect(nats_options_, -1);  // forever: the node waits
  if (status == NATS_OK) status = natsOptions_SetReconnectWait(nats_options_, kReconnectWaitMs);
  // Its own ephemeral messages went to its subscribers already.
  if (status == NATS_OK) status = natsOptions_SetNoEcho(nats_options_, true);
  // One thread delivers what both subscriptions bring, in the order it came on the connection: an
  // ephemeral message and a kept one published after it on a topic arrive in that order (with a thread
  // each, the kept one could overtake it).
  if (status == NATS_OK) status = nats_SetMessageDeliveryPoolSize(1);
  if (status == NATS_OK) status = natsOptions_UseGlobalMessageDelivery(nats_options_, true);
  if (status == NATS_OK && !options_.ca_file.empty()) {
    status = natsOptions_SetSecure(nats_options_, true);
    if (status == NATS_OK) status = natsOptions_LoadCATrustedCertificates(nats_options_, options_.ca_file.c_str());
    if (status != NATS_OK) {
      return fail(cluster_error("cannot use " + options_.ca_file + " as the NATS servers' CA: " + status_text(status)));
    }
  }
  if (status == NATS_OK) status = natsOptions_SetDisconnectedCB(nats_options_, &NatsJournal::on_disconnected, this);
  if (status == NATS_OK) status = natsOptions_SetReconnectedCB(nats_options_, &NatsJournal::on_reconnected, this);
  if (status != NATS_OK) return fail(cluster_error("NATS options: " + status_text(status)));
  status = natsConnection_Connect(&connection_, nats_options_);
  if (status != NATS_OK) {
    connection_ = nullptr;
    return fail(cluster_error("cannot connect to NATS at " + shown + ": " + status_text(status)));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = kPublishWaitMs;
  js_options.PublishAsync.MaxPending = kMaxPendingPublishes;
  js_options.PublishAsync.StallWait = kPublishWaitMs;
  js_options.PublishAsync.AckHandler = &NatsJournal::on_publish_ack;
  js_options.PublishAsync.AckHandlerClosure = this;
  status = natsConnection_JetStream(&js_, connection_, &js_options);
  if (status != NATS_OK) return fail(cluster_error("JetStream at " + shown + ": " + status_text(status)));
  std::lock_guard lock(status_mutex_);
  status_.connected = true;
  return {};
}

Result<void> NatsJournal::ensure_stream() {
  const char* subjects[] = {cluster::kMessages, cluster::kAcks};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = cluster::kStream;
  config.Subjects = subjects;
  config.SubjectsLen = 2;
  config.Storage = js_FileStorage;
  config.Replicas = options_.replicas;
  config.MaxAge = options_.max_age_ms * 1'000'000;  // nanoseconds
  // A JetStream cluster that has just started may not have enough servers ready for the replicas yet.
  const auto deadline = std::chrono::steady_clock::now() + kStreamTimeout;
  for (;;) {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status = js_AddStream(&info, js_, &config, nullptr, &code);
    if (status != NATS_OK && code == JSStreamNameExistErr) {
      // Made by a node with other flags (--max-ttl, --cluster-replicas): this node's win from now on.
      status = js_UpdateStream(&info, js_, &config, nullptr, &code);
    }
    jsStreamInfo_Destroy(info);
    if (status == NATS_OK) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(cluster_error("cannot create or update JetStream stream " + std::string(cluster::kStream) + " with " +
                                std::to_string(options_.replicas) + " replicas: " + status_text(status, code)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

Result<void> NatsJournal::subscribe() {
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = cluster::kStream;
  sub_options.Ordered = true;  // every message once, in the stream's order, from the first kept
  // nats.c makes the consumer anew once heartbeats stop (its server went, or all did and came back):
  // the sooner it notices, the sooner this node's clients get what other nodes publish again.
  sub_options.Config.Heartbeat = kConsumerHeartbeatMs * 1'000'000;  // nanoseconds
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_Subscribe(&journal_sub_, js_, cluster::kJournal, &NatsJournal::on_journal, this, nullptr,
                                   &sub_options, &code);
  if (status != NATS_OK) {
    journal_sub_ = nullptr;
    return fail(cluster_error("cannot read JetStream stream " + std::string(cluster::kStream) + ": " +
                              status_text(status, code)));
  }
  status = natsConnection_Subscribe(&ephemeral_sub_, connection_, cluster::kEphemeral, &NatsJournal::on_ephemeral,
                                    this);
  if (status != NATS_OK) {
    ephemeral_sub_ = nullptr;
    return fail(cluster_error("cannot subscribe to " + std::string(cluster::kEphemeral) + ": " + status_text(status)));
  }
  // No limit on what waits in nats.c for the callback: the inbox takes it at once, and a message
  // dropped there would be a message lost to this node's clients.
  for (natsSubscription* sub : {journal_sub_, ephemeral_sub_}) natsSubscription_SetPendingLimits(sub, -1, -1);
  return {};
}

Result<std::uint64_t> NatsJournal::load(std::int64_t now_ms, const std::function<void(JournaledMessage)>& on_message,
                                        const std::function<void(StoredAck)>& on_ack) {
  KEYLINK_CHECK(feed_.message && feed_.ack && feed_.ephemeral);  // REQUIRES: set_feed() first
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&info, js_, cluster::kStream, nullptr, &code);
  if (status != NATS_OK) return fail(cluster_error("JetStream stream " + std::string(cluster::kStream) + ": " +
                                                   status_text(status, code)));
  const std::uint64_t last = info->State.Msgs == 0 ? 0 : info->State.LastSeq;
  jsStreamInfo_Destroy(info);
  if (auto subscribed = subscribe(); !subscribed) return fail(subscribed.error());
  // Everything up to the last message the stream held when asked, as one load.
  std::vector<Arrival> loaded;
  {
    std::unique_lock lock(inbox_mutex_);
    if (!arrived_.wait_for(lock, kLoadTimeout, [&] { return caught_up_ || last_arrived_seq_ >= last; })) {
      return fail(cluster_error("JetStream stream " + std::string(cluster::kStream) + " did not arrive whole within " +
                                std::to_string(kLoadTimeout.count()) + " s (" + std::to_string(last_arrived_seq_) +
                                " of " + std::to_string(last) + ")"));
    }
    loaded = std::exchange(inbox_, {});
    loaded_ = true;
  }
  for (const Arrival& arrival : loaded) deliver(arrival, now_ms, on_message, on_ack, nullptr);
  return last;
}

void NatsJournal::on_journal(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  auto& journal = *static_cast<NatsJournal*>(self);
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    const std::string_view subject = natsMsg_GetSubject(msg);
    journal.arrive({subject == cluster::kAcks ? Kind::kAck : Kind::kMessage, meta->Sequence.Stream,
                    std::string(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)))},
                   meta->NumPending == 0);
    jsMsgMetaData_Destroy(meta);
  }
  natsMsg_Destroy(msg);
}

void NatsJournal::on_ephemeral(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  static_cast<NatsJournal*>(self)->arrive(
      {Kind::kEphemeral, 0, std::string(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)))});
  natsMsg_Destroy(msg);
}

void NatsJournal::arrive(Arrival arrival, bool caught_up) {
  bool post = false;
  {
    std::lock_guard lock(inbox_mutex_);
    if (arrival.seq != 0) last_arrived_seq_ = arrival.seq;
    caught_up_ = caught_up_ || caught_up;
    // Before load() is over only the stream counts; an ephemeral message has no one to reach yet.
    if (!loaded_ && arrival.kind == Kind::kEphemeral) return;
    inbox_.push_back(std::move(arrival));
    post = loaded_ && !std::exchange(drain_posted_, true);
  }
  if (post) post_([this] { drain(); });
  arrived_.notify_all();  // load(), or the writer waiting for its group to come back
}

void NatsJournal::drain() {
  std::vector<Arrival> arrivals;
  {
    std::lock_guard lock(inbox_mutex_);
    arrivals = std::exchange(inbox_, {});
    drain_posted_ = false;
  }
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const Arrival& arrival : arrivals) deliver(arrival, now_ms, feed_.message, feed_.ack, &feed_.ephemeral);
}

void NatsJournal::deliver(const Arrival& arrival, std::int64_t now_ms,
                          const std::function<void(JournaledMessage)>& on_message,
                          const std::function<void(StoredAck)>& on_ack, const Feed::Ephemeral* on_ephemeral) {
  switch (arrival.kind) {
    case Kind::kMessage: {
      auto journaled = cluster::decode_message(arrival.bytes);
      if (!count(journaled ? &ClusterStatus::received_messages : &ClusterStatus::malformed)) return;
      if (journaled->message.expires_at_ms <= now_ms) return;
      journaled->message.seq = arrival.seq;
      return on_message(std::move(*journaled));
    }
    case Kind::kAck: {
      auto acks = cluster::decode_acks(arrival.bytes);
      if (!count(acks ? &ClusterStatus::received_acks : &ClusterStatus::malformed, acks ? acks->size() : 1)) return;
      for (StoredAck& ack : *acks) on_ack(std::move(ack));
      return;
    }
    case Kind::kEphemeral: {
      auto journaled = cluster::decode_message(arrival.bytes);
      if (!count(journaled ? &ClusterStatus::received_ephemeral : &ClusterStatus::malformed)) return;
      if (on_ephemeral) (*on_ephemeral)(std::move(journaled->message), std::move(journaled->publisher));
      return;
    }
  }
}

bool NatsJournal::count(std::uint64_t ClusterStatus::*counter, std::uint64_t n) {
  std::lock_guard lock(status_mutex_);
  status_.*counter += n;
  return counter != &ClusterStatus::malformed;
}

void NatsJournal::broadcast(const StoredMessage& message, std::string_view publisher) {
  const std::string bytes = cluster::encode_message(JournaledMessage{message, std::string(publisher)});
  const natsStatus status =
      natsConnection_Publish(connection_, cluster::kEphemeral, bytes.data(), static_cast<int>(bytes.size()));
  count(status == NATS_OK ? &ClusterStatus::published_ephemeral : &ClusterStatus::publish_failures);
}

void NatsJournal::append(std::vector<JournaledMessage> messages, std::vector<StoredAck> acks, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Append{std::move(messages), std::move(acks), std::move(done)});
  }
  wake_.notify_one();
}

void NatsJournal::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void NatsJournal::run_writer() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty() && stopping_) break;
    std::vector<Append> group = std::exchange(queue_, {});
    busy_ = true;
    lock.unlock();
    const Result<void> published = publish(group);
    for (Append& append : group) {
      if (append.done) post_([done = std::move(append.done), published] { done(published); });
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

// Publishes the group's messages and acks without waiting between them, then waits for JetStream to
// have acknowledged them all: once it has, each is kept on a majority of the stream's replicas.
Result<void> NatsJournal::publish(std::vector<Append>& group) {
  if (natsConnection_Status(connection_) != NATS_CONN_STATUS_CONNECTED) {
    std::size_t count = 0;
    for (const Append& append : group) count += append.messages.size() + append.acks.size();
    std::lock_guard lock(status_mutex_);
    status_.publish_failures += count;
    return fail(cluster_error("this relay node is not connected to NATS, so it cannot keep the message"));
  }
  const auto start = std::chrono::steady_clock::now();
  group_failures_ = 0;
  group_last_seq_ = 0;
  std::uint64_t messages = 0, acks = 0;
  std::vector<StoredAck> group_acks;
  natsStatus status = NATS_OK;
  for (const Append& append : group) {
    for (const JournaledMessage& journaled : append.messages) {
      // JetStream drops a message whose id it has seen within its duplicate window (a publisher's retry).
      const std::string id = to_hex(message_id(journaled.message.topic, journaled.message.message));
      jsPubOptions options;
      jsPubOptions_Init(&options);
      options.MsgId = id.c_str();
      const std::string bytes = cluster::encode_message(journaled);
      status = js_PublishAsync(js_, cluster::kMessages, bytes.data(), static_cast<int>(bytes.size()), &options);
      if (status != NATS_OK) break;
      ++messages;
    }
    if (status != NATS_OK) break;
    group_acks.insert(group_acks.end(), append.acks.begin(), append.acks.end());
  }
  // The group's acks in as few stream messages as NATS's payload limit (1 MiB) allows.
  for (std::size_t first = 0; status == NATS_OK && first < group_acks.size();) {
    std::size_t end = first, bytes = 0;
    while (end < group_acks.size() && (end == first || bytes < kAckBytesPerMessage)) {
      bytes += group_acks[end].client_id.size() + group_acks[end].topic.size() + 16;
      ++end;
    }
    const std::string encoded = cluster::encode_acks(std::span(group_acks).subspan(first, end - first));
    status = js_PublishAsync(js_, cluster::kAcks, encoded.data(), static_cast<int>(encoded.size()), nullptr);
    if (status == NATS_OK) acks += end - first;
    first = end;
  }
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = kPublishWaitMs;
  const natsStatus completed = js_PublishAsyncComplete(js_, &wait);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (status != NATS_OK || completed != NATS_OK || group_failures_ != 0) {
    if (completed == NATS_TIMEOUT) {
      // Those still waiting would be answered after the publisher was told they failed: forget them.
      natsMsgList pending;
      if (js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) natsMsgList_Destroy(&pending);
    }
    std::lock_guard lock(status_mutex_);
    status_.publish_failures += messages + acks;
    const natsStatus shown = status != NATS_OK ? status : completed;
    return fail(cluster_error("JetStream did not keep the message (" +
                              (shown != NATS_OK ? status_text(shown) : std::string("refused")) + ")"));
  }
  // Kept. The publisher is answered once this node has it too (the drain posted before the answer), as
  // on a node alone: a query right after the answer finds it. If the stream is slow to bring it, the
  // answer goes anyway: the message is kept, and comes.
  {
    std::unique_lock lock(inbox_mutex_);
    arrived_.wait_for(lock, std::chrono::milliseconds(kPublishWaitMs),
                      [this] { return last_arrived_seq_ >= group_last_seq_; });
  }
  std::lock_guard lock(status_mutex_);
  status_.published_messages += messages;
  status_.published_acks += acks;
  for (std::size_t i = 0; i < ClusterStatus::kLatencyBounds.size(); ++i) {
    if (seconds <= ClusterStatus::kLatencyBounds[i]) ++status_.latency_buckets[i];
  }
  ++status_.latency_count;
  status_.latency_seconds += seconds;
  commits_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

void NatsJournal::on_publish_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr*, void* self) {
  auto& journal = *static_cast<NatsJournal*>(self);
  if (ack) {
    // A duplicate's seq is the first copy's, which the stream has.
    std::uint64_t last = journal.group_last_seq_.load();
    while (ack->Sequence > last && !journal.group_last_seq_.compare_exchange_weak(last, ack->Sequence)) {
    }
  } else {
    ++journal.group_failures_;
  }
  natsMsg_Destroy(msg);
}

void NatsJournal::on_disconnected(natsConnection*, void* self) {
  auto& journal = *static_cast<NatsJournal*>(self);
  std::lock_guard lock(journal.status_mutex_);
  journal.status_.connected = false;
}

void NatsJournal::on_reconnected(natsConnection*, void* self) {
  auto& journal = *static_cast<NatsJournal*>(self);
  std::lock_guard lock(journal.status_mutex_);
  journal.status_.connected = true;
  ++journal.status_.reconnections;
}

std::optional<ClusterStatus> NatsJournal::cluster_status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

}  // namespace

Result<std::unique_ptr<Journal>> open_nats_journal(const ClusterOptions& options, Poster post) {
  auto journal = NatsJournal::open(options, std::move(post));
  if (!journal) return fail(journal.error());
  return std::unique_ptr<Journal>(std::move(*journal));
}

}  // namespace keylink::relay
