// RpcClient: calls methods on servers over one libfabric endpoint, on one event loop.
//
// Every call has a deadline. An attempt that fails to send, or gets no reply within the
// attempt timeout, is sent again with the same request id (flagged as a resend) after the
// peer's fabric address has been dropped and re-inserted, so that a restarted server is
// reconnected; servers answer a resent mutating call from their reply record. Payloads up to
// the inline threshold travel in the messages; larger ones are registered and moved by the
// server with RMA.
//
// Threading: loop-thread only. To call from another thread, RunOn(loop, ...) a task that
// calls. Calls may be issued concurrently from many coroutines on the loop.
#pragma once

#include <google/protobuf/message_lite.h>

#include <coroutine>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/nid.h"
#include "common/rpc_endpoint.h"
#include "common/status.h"
#include "common/task.h"

namespace weft::rpc {

using PeerId = uint32_t;

struct CallOptions {
  // Total time the call may take, across resends; zero: the client's default.
  Clock::duration timeout{};
  // Request payload (e.g. write data). Not copied when larger than the inline threshold: it
  // must stay valid and unchanged until the call returns.
  std::span<const char> send_payload;
  // Where the response payload goes (e.g. read data); its size is the most the server sends.
  std::span<char> recv_payload;
  // Bytes of response payload delivered into recv_payload.
  size_t* received = nullptr;
};

struct ClientStats {
  uint64_t calls = 0;
  uint64_t resends = 0;
  uint64_t deadline_exceeded = 0;
  uint64_t reconnects = 0;
  uint64_t stray_replies = 0;  // replies to calls no longer waiting (late or unknown)
  uint64_t notifications = 0;  // one-way messages from servers handed to the notify handler
  uint64_t checksum_errors = 0;  // reply payloads that failed their crc32c
  uint64_t checksum_resends = 0;  // requests sent again because of a checksum failure
  uint64_t bundles_sent = 0;      // sends that carried several requests (rpc_wire.h)
  uint64_t bundles_received = 0;  // receives that carried several replies
};

class RpcClient {
 public:
  struct Options {
    std::string net = "tcp";
    // An address the client will talk to, to pick the local interface (e.g. the MGS host).
    std::string host_hint;
    size_t recv_buffers = 32;
    size_t inline_threshold = kMaxInlineThreshold;
    Clock::duration default_timeout = std::chrono::seconds(30);
    // No reply within this long: send again (same request id).
    Clock::duration attempt_timeout = std::chrono::seconds(5);
    // Pause before a resend after a failed send, doubling up to the maximum.
    Clock::duration retry_backoff = std::chrono::milliseconds(50);
    Clock::duration max_retry_backoff = std::chrono::seconds(1);
    // Where the client's metrics go; nullptr: MetricsRegistry::Global().
    MetricsRegistry* metrics = nullptr;
    // crc32c over every payload, both directions (kFlagCrc). A reply payload that fails it,
    // or an inline request payload the server refused for it, is asked for / sent again up
    // to checksum_retries times; then the call fails with kRpcBulkChecksum.
    bool checksums = true;
    int checksum_retries = 3;
    FaultInjection* faults = nullptr;  // tests only
  };

  // REQUIRES: on loop's thread.
  static Result<std::unique_ptr<RpcClient>> Open(EventLoop& loop, const Options& options);
  // REQUIRES: on the loop thread, with no call still waiting.
  ~RpcClient();

  // A server's one-way message (kFlagNotify): its service, method and body. Runs on the loop;
  // `body` is valid only during the call.
  using NotifyHandler =
      std::function<void(uint16_t service, uint16_t method, std::string_view body)>;
  // Where notifications go; without a handler they are counted as stray and dropped.
  void SetNotifyHandler(NotifyHandler handler) { notify_ = std::move(handler); }

  // Resolves a server address (with its port) and returns a handle for calls.
  Result<PeerId> AddPeer(const Nid& nid);
  uint64_t client_id() const { return client_id_; }
  ClientStats stats() const;
  size_t pending_calls() const { return pending_.size(); }

  // Sends one request and returns the reply body, or the error the server or the transport
  // gave. A non-ok status from the server comes back as that Status with its message.
  Task<Result<std::string>> CallRaw(PeerId peer, uint16_t service, uint16_t method,
                                    std::string body, CallOptions options);

  template <typename Reply>
  Task<Result<Reply>> Call(PeerId peer, uint16_t service, uint16_t method,
                           const google::protobuf::MessageLite& request, CallOptions options) {
    WEFT_CO_ASSIGN_OR_RETURN(std::string body, co_await CallRaw(peer, service, method,
                                                                request.SerializeAsString(),
                                                                options));
    Reply reply;
    if (!reply.ParseFromString(body)) {
      co_return Status(StatusCode::kRpcBadMessage, "reply body does not parse");
    }
    co_return reply;
  }

 private:
  struct Peer {
    Nid nid;
    fi_addr_t addr = FI_ADDR_UNSPEC;
    uint64_t generation = 0;  // bumped at each reconnect
  };
  // One call waiting for its reply; lives in the calling coroutine's frame.
  struct Pending;

  RpcClient(EventLoop& loop, const Options& options);
  void OnMessage(MessageBuffer* buf, const char* data, size_t len);
  void OnSendError(uint64_t request_id, int err);
  void Wake(Pending* p, int event);
  void Reconnect(PeerId id, uint64_t seen_generation);
  Status PrepareBulk(const CallOptions& o, struct BulkPlan* plan);
  void SendAttempt(Pending& p, PeerId peer, uint16_t flags);
  // After a reply: whether a checksum failure calls for sending the request again (counting
  // and logging it); sets p.status to kRpcBulkChecksum when the retries are used up.
  bool ChecksumRetry(Pending& p, PeerId peer, int* retries);

  EventLoop& loop_;
  Options options_;
  std::unique_ptr<MessageEndpoint> endpoint_;
  uint64_t client_id_ = 0;
  uint64_t next_request_id_ = 1;
  std::vector<Peer> peers_;
  std::map<uint64_t, Pending*> pending_;
  NotifyHandler notify_;
  ClientStats stats_;
  struct {
    Counter* calls;
    Counter* resends;
    Counter* deadline_exceeded;
    Counter* reconnects;
    Counter* checksum_errors;
  } metric_{};
};

}  // namespace weft::rpc
