#include "keylink/runtime/session_keystore_transport.h"

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <map>
#include <thread>

#include "keylink/base/rng.h"
#include "keylink/identity/keystore_errors.h"
#include "keylink/keystore/app_request.h"
#include "keylink/keystore/rpc.h"
#include "keylink/runtime/keystore_remote.h"
#include "keylink/runtime/session_node.h"

namespace keylink::runtime {
namespace asio = boost::asio;
namespace {

using Answer = std::promise<Result<Bytes>>;

}  // namespace

struct SessionKeystoreTransport::State {
  State(Home home_in, SessionKeystoreOptions options_in, crypto::Ed25519KeyPair app_key_in, const Clock& clock_in)
      : home(std::move(home_in)),
        options(std::move(options_in)),
        app_key(std::move(app_key_in)),
        clock(clock_in),
        counter(home.db()),
        work(asio::make_work_guard(io)) {}

  Home home;
  SessionKeystoreOptions options;
  crypto::Ed25519KeyPair app_key;
  const Clock& clock;
  SystemRng rng;
  AppCounter counter;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::unique_ptr<SessionNode> node;
  std::map<std::int64_t, std::shared_ptr<Answer>> pending;  // by request id; on the thread only
  std::thread thread;

  // On the thread: signs and sends one request; `answer` is kept until the wallet answers.
  void send(const std::string& method, const Bytes& req, const std::shared_ptr<Answer>& answer) {
    auto counter_value = counter.next();
    if (!counter_value) return answer->set_value(tl::unexpected(counter_value.error()));
    auto params = keystore::app_request_params(app_key, options.topic, method, req, *counter_value);
    auto id = node->step([&](session::Engine& engine) {
      return engine.request(options.topic, std::string(keystore::kChain), method, std::move(params));
    });
    if (!id) return answer->set_value(fail(identity::KeystoreErrc::kUnreachable, id.error().message));
    pending.emplace(*id, answer);
  }

  void on_event(const session::Action& action) {
    if (const auto* response = std::get_if<session::ResponseReceived>(&action)) {
      settle(response->id, [&]() -> Result<Bytes> {
        if (const auto* error = std::get_if<wire::RpcError>(&response->outcome)) {
          return fail(identity::KeystoreErrc::kRefused,
                      "the wallet refused (" + std::to_string(error->code) + "): " + error->message);
        }
        return keystore::parse_app_response(std::get<wire::Json>(response->outcome));
      }());
    } else if (const auto* expired = std::get_if<session::RequestExpired>(&action)) {
      settle(expired->id, fail(identity::KeystoreErrc::kUnreachable, "the wallet did not answer before the request expired"));
    } else if (const auto* deleted = std::get_if<session::SessionDeleted>(&action)) {
      if (deleted->topic != options.topic) return;
      for (auto& [id, answer] : std::exchange(pending, {})) {
        answer->set_value(fail(identity::KeystoreErrc::kRefused, "the wallet ended the session: " + deleted->reason.message));
      }
    }
  }

  // The relay refused a publish (this transport publishes its requests only): the calls waiting fail now
  // rather than at their timeout.
  void refused(const Error& error) {
    for (auto& [id, answer] : std::exchange(pending, {})) {
      answer->set_value(fail(identity::KeystoreErrc::kUnreachable, "the relay refused a request: " + error.message));
    }
  }

  void settle(std::int64_t id, Result<Bytes> outcome) {
    const auto found = pending.find(id);
    if (found == pending.end()) return;  // an answer to a call of an earlier run, or one given up on
    found->second->set_value(std::move(outcome));
    pending.erase(found);
  }
};

Result<std::unique_ptr<SessionKeystoreTransport>> SessionKeystoreTransport::open(const Home& home,
                                                                                 SessionKeystoreOptions options,
                                                                                 const Clock& clock) {
  SystemRng rng;
  auto own = keystore_link(home, rng);
  if (!own) return tl::unexpected(own.error());
  auto app_key = own->key(kAppKeyName, rng);
  if (!app_key) return tl::unexpected(app_key.error());
  auto state = std::make_unique<State>(std::move(*own), std::move(options), std::move(*app_key), clock);
  State* self = state.get();
  session::EngineOptions engine_options;
  engine_options.self = self->options.self;
  auto node = SessionNode::open(self->io, self->home, self->options.relay, std::move(engine_options), self->rng,
                                self->clock,
                                SessionNodeCallbacks{.on_event = [self](const session::Action& a) { self->on_event(a); },
                                                     .on_relay_state = {},
                                                     .on_publish_error = [self](const Error& e) { self->refused(e); },
                                                     .on_store_error = {}});
  if (!node) return tl::unexpected(node.error());
  self->node = std::move(*node);
  self->node->start();
  self->thread = std::thread([self] { self->io.run(); });
  return std::unique_ptr<SessionKeystoreTransport>(new SessionKeystoreTransport(std::move(state)));
}

SessionKeystoreTransport::SessionKeystoreTransport(std::unique_ptr<State> state) : state_(std::move(state)) {}

SessionKeystoreTransport::~SessionKeystoreTransport() {
  State* self = state_.get();
  asio::post(self->io, [self] {
    self->node->stop();
    for (auto& [id, answer] : std::exchange(self->pending, {})) {
      answer->set_value(fail(identity::KeystoreErrc::kUnreachable, "the keystore connection closed"));
    }
    self->work.reset();
    self->io.stop();
  });
  self->thread.join();
}

// base64 twice (the params, then the envelope: 9/16), the JSON around it, and a margin for an answer
// larger than its request (encryption adds a tag and an HMAC per item).
std::size_t SessionKeystoreTransport::max_request_bytes() const noexcept {
  return state_->options.relay_max_message * 9 / 16 * 3 / 4;
}

Result<Bytes> SessionKeystoreTransport::call(std::string_view method, ByteView req) {
  auto answer = std::make_shared<Answer>();
  auto future = answer->get_future();
  State* self = state_.get();
  asio::post(self->io, [self, method = std::string(method), req = Bytes(req.begin(), req.end()), answer] {
    self->send(method, req, answer);
  });
  if (future.wait_for(self->options.timeout) != std::future_status::ready) {
    return fail(identity::KeystoreErrc::kUnreachable, "the wallet did not answer within " +
                                                          std::to_string(self->options.timeout.count()) +
                                                          " s: is `keylink wallet serve` running there?");
  }
  return future.get();
}

}  // namespace keylink::runtime
