// RpcServer: receives requests on a fixed address, validates them, runs each method's handler
// as a coroutine on the server's event loop, and replies.
//
// Services are added as ServiceTables, which WEFT_RPC_SERVICE (rpc_service.h) builds from one
// declaration per service. A malformed message is refused, counted by reason, logged (rate
// limited) and answered with an error where the sender can be named; it never stops the
// server from answering others.
//
// Threading: Start, AddService, Shutdown and the destructor on the loop thread; handlers run
// there too. stats() is safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/event_loop.h"
#include "common/metrics.h"
#include "common/reply_store.h"
#include "common/rpc_endpoint.h"
#include "common/status.h"
#include "common/task.h"

namespace weft::rpc {

class RpcServer;
class BuiltinHandler;

// What a handler knows about the call it serves, and its payload in both directions.
class ServerCall {
 public:
  uint64_t client_id() const { return header_.client_id; }
  uint64_t request_id() const { return header_.request_id; }
  bool is_resend() const { return (header_.flags & kFlagResend) != 0; }
  // The client's address as "HOST:PORT@NET" (for NID-based policy such as root squash).
  const std::string& peer_nid() const { return *peer_nid_; }
  // The client's fabric address as its requests carry it: where RpcServer::Notify reaches it.
  // Valid while the handler runs.
  std::string_view peer_address() const { return peer_address_; }
  Clock::time_point deadline() const { return deadline_; }

  // The request payload: inline bytes, or the client's bulk buffer pulled with fi_read into a
  // registered buffer. The view stays valid until the handler returns. When the client sent a
  // crc32c the payload is checked against it: a bulk payload that fails is pulled again (up to
  // Options::checksum_retries times), each failure counted and logged; then, or at once for an
  // inline payload (the client resends it), kRpcBulkChecksum. A handler fetches the payload
  // before it changes anything, so a call refused this way has changed nothing (its reply is
  // not recorded, and the client's resend runs it again).
  size_t request_payload_size() const;
  Task<Result<std::span<const char>>> RequestPayload();
  // Whether the request payload waits in the client's buffer (larger than the inline threshold).
  bool request_payload_is_bulk() const { return (header_.flags & kFlagBulkIn) != 0; }
  // The bulk request payload piece by piece (kBulkCrcPiece bytes, the last may be shorter), all
  // pulled at once, so that a handler can work on each piece as it lands while the rest are in
  // flight (the OSS writes each to disk). Call until it returns an empty span, which means the
  // whole payload arrived and passed. Each piece is checked against its own crc32c before it is
  // handed out; one that fails ends the pull with kRpcBulkChecksum (counted and logged), and a
  // later RequestPayload() pulls the payload whole again, retrying as it does. The pieces handed
  // out before a failure are the client's bytes intact, but the call is not done: a handler
  // acknowledges nothing before the empty span. REQUIRES: request_payload_is_bulk(), and no
  // RequestPayload() before.
  Task<Result<std::span<const char>>> NextRequestPiece();
  // Where RequestPayload's bytes lie in the loop's io_uring fixed buffers (ring nullptr: not
  // registered). Valid after RequestPayload succeeded.
  FixedBuffer request_payload_fixed() const;

  // The largest response payload the client can take.
  size_t response_payload_capacity() const;
  // A registered, 4 KiB-aligned buffer of `size` bytes for the response payload: the send
  // buffer of the reply itself when it travels inline, a bulk buffer otherwise. Valid until
  // the reply is sent; fill it and return. REQUIRES: size <= response_payload_capacity().
  Result<std::span<char>> ResponsePayload(size_t size);
  // Where ResponsePayload's buffer lies in the loop's io_uring fixed buffers.
  FixedBuffer response_payload_fixed() const;

  // The handler has recorded its reply itself, in the same durable write as its change.
  void MarkReplyRecorded() { reply_recorded_ = true; }

 private:
  friend class RpcServer;
  bool crc_requested() const { return (header_.flags & kFlagCrc) != 0; }
  Status CheckInlineCrc() const;
  // A checksummed bulk request's list of piece crcs, itself checked against payload_crc.
  Status CheckPieceCrcList() const;
  Task<Status> PullBulk();
  // Waits for the reads of a pull in pieces still in flight, and drops it.
  Task<void> DropPull();
  // The inline response: payload at kPayloadAlign in the send buffer, header and body before.
  Status MoveInlinePayloadAfter(size_t body_len);

  RpcServer* server_ = nullptr;
  Header header_{};
  fi_addr_t peer_ = FI_ADDR_UNSPEC;
  std::shared_ptr<const std::string> peer_nid_;  // the peer cache's, kept alive by the call
  std::string_view peer_address_;                // in the request's receive buffer
  std::string_view inline_payload_;
  FixedBuffer inline_fixed_;
  Clock::time_point deadline_;
  BulkBuffer request_bulk_;
  bool request_bulk_ok_ = false;  // request_bulk_ holds the whole payload, checked
  std::unique_ptr<PiecedPull> pull_;  // NextRequestPiece's reads
  size_t next_piece_ = 0;
  BulkBuffer response_bulk_;
  MessageBuffer* response_msg_ = nullptr;  // the inline reply's send buffer, once asked for
  size_t response_offset_ = 0;             // of the inline payload in response_msg_
  size_t response_size_ = 0;
  bool response_is_bulk_ = false;
  bool reply_recorded_ = false;
};

// A method's handler: decodes the body, runs, and returns the encoded reply body.
using MethodFn = std::function<Task<Result<std::string>>(ServerCall&, std::string_view body)>;

struct MethodEntry {
  std::string name;
  bool mutating = false;  // answered from the reply record when resent
  MethodFn fn;
  // Filled in by RpcServer::AddService.
  Counter* requests = nullptr;
  Counter* errors = nullptr;
  Histogram* latency = nullptr;
};

struct ServiceTable {
  uint16_t id = 0;
  std::string name;
  std::map<uint16_t, MethodEntry> methods;
};

struct ServerStats {
  uint64_t requests = 0;
  uint64_t replies = 0;
  uint64_t errors_replied = 0;  // replies with a non-ok status
  uint64_t resends_answered_from_record = 0;
  uint64_t duplicates_dropped = 0;  // resent while the first copy still runs
  uint64_t send_errors = 0;
  uint64_t send_retries = 0;     // posts tried again after the fabric said -FI_EAGAIN
  uint64_t sends_waiting = 0;    // replies and notifications waiting for a client (now)
  uint64_t notifications = 0;    // one-way messages sent (Notify)
  uint64_t notifications_dropped = 0;  // not sent: the client was not taking messages
  uint64_t checksum_errors = 0;  // request payloads that failed their crc32c (each try)
  uint64_t bundles_sent = 0;     // sends that carried several replies (rpc_wire.h)
  uint64_t bundles_received = 0;  // receives that carried several requests
  std::array<uint64_t, static_cast<size_t>(Reject::kCount)> rejected{};
  uint64_t rejected_total() const;
};

class RpcServer {
 public:
  struct Options {
    std::string net = "tcp";
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0: any free port (tests); see port()
    size_t recv_buffers = 64;
    // Where replies of mutating calls are recorded; nullptr: an in-memory store.
    ReplyStore* reply_store = nullptr;
    // Where the server's metrics go; nullptr: MetricsRegistry::Global().
    MetricsRegistry* metrics = nullptr;
    // Client addresses kept resolved in the address vector; past this the least recently
    // heard-from is dropped (it is re-inserted if that client speaks again).
    size_t max_peers = 4096;
    // Times a bulk request payload that fails its crc32c is pulled again before the call
    // fails with kRpcBulkChecksum.
    int checksum_retries = 3;
    // A reply or notification that a client has not taken for this long (it is gone, or
    // refuses connections) is dropped and the client forgotten (FabricEndpoint::Options).
    std::chrono::milliseconds send_give_up{10000};
    FaultInjection* faults = nullptr;  // tests only
  };

  // Opens the endpoint and starts receiving. REQUIRES: on loop's thread.
  static Result<std::unique_ptr<RpcServer>> Start(EventLoop& loop, const Options& options);
  // REQUIRES: on the loop thread, after Shutdown() has finished.
  ~RpcServer();

  // REQUIRES: a service id not added before.
  void AddService(ServiceTable table);
  uint16_t port() const { return port_; }
  std::string nid() const;
  // Sends client `client_id`, at fabric address `address` (ServerCall::peer_address() of one
  // of its calls), a one-way message (docs/rpc.md, "Notifications"). Fails when the address
  // cannot be resolved, and drops the message (kUnavailable, counted) when the client is not
  // taking messages: kMaxNotifyWaiting posts already wait for it, or it has taken none for
  // FabricEndpoint::kBackoffAfter. Each waiting message holds a send buffer until the client
  // takes it or is given up on; a burst of them to clients that are gone (a restarted MDS
  // tells each client it knew of every removal) would otherwise hold thousands. A send that
  // fails later is counted (send_errors) and logged.
  static constexpr size_t kMaxNotifyWaiting = 16;
  Status Notify(std::string_view address, uint64_t client_id, uint16_t service, uint16_t method,
                std::string_view body);
  // Stops taking requests, then waits for the handlers that are running.
  Task<void> Shutdown();
  ServerStats stats() const;

 private:
  friend class ServerCall;
  // Client address -> (fabric address, position in peer_order_, most recent last).
  struct PeerEntry {
    fi_addr_t addr;
    std::list<std::string>::iterator order;
    std::shared_ptr<const std::string> nid;  // "HOST:PORT@NET", made once per peer
  };
  // Looked up by string_view: no allocation per request.
  struct AddressHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using PeerMap = std::unordered_map<std::string, PeerEntry, AddressHash, std::equal_to<>>;

  RpcServer(EventLoop& loop, const Options& options);
  MetricsRegistry& metrics() const;
  void InitMetrics();
  void OnMessage(MessageBuffer* buf, const char* data, size_t len);
  void Refuse(rpc::Reject why, const MessageView* view, fi_addr_t peer);
  Result<const PeerEntry*> ResolvePeer(std::string_view address);
  void ForgetPeer(PeerMap::iterator it);
  const MethodEntry* FindMethod(const Header& h, rpc::Reject* why) const;
  bool AnswerFromRecord(const MethodEntry& m, const Header& h, fi_addr_t peer);
  Task<void> RunHandler(MessageBuffer* buf, MessageView view, fi_addr_t peer,
                        std::shared_ptr<const std::string> peer_nid, const MethodEntry* method);
  Task<void> SendReply(ServerCall& call, const Header& request, const Result<std::string>& r);
  void SendMessage(fi_addr_t peer, const Header& h, std::string_view body,
                   std::string_view payload);
  void OnSendError(fi_addr_t peer, int err);
  void CountChecksumError(const ServerCall& call, size_t len, uint32_t got, uint32_t sent,
                          int attempt);

  EventLoop& loop_;
  Options options_;
  std::unique_ptr<BuiltinHandler> builtin_;
  std::unique_ptr<MemoryReplyStore> own_reply_store_;
  ReplyStore* reply_store_ = nullptr;
  std::unique_ptr<MessageEndpoint> endpoint_;
  uint16_t port_ = 0;
  std::map<uint16_t, ServiceTable> services_;
  PeerMap peers_;
  std::list<std::string> peer_order_;
  std::set<std::pair<uint64_t, uint64_t>> running_;
  bool stopping_ = false;
  size_t active_ = 0;
  std::coroutine_handle<> drained_;

  struct AtomicStats {
    std::atomic<uint64_t> requests{0}, replies{0}, errors_replied{0}, from_record{0}, duplicates{0},
        send_errors{0}, notifications{0}, notifications_dropped{0}, checksum_errors{0};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(Reject::kCount)> rejected{};
  };
  AtomicStats stats_;
  std::array<Counter*, static_cast<size_t>(Reject::kCount)> rejected_metric_{};
  Counter* checksum_metric_ = nullptr;
  Counter* send_error_metric_ = nullptr;
  Counter* notify_dropped_metric_ = nullptr;
  Counter* from_record_metric_ = nullptr;
  GaugeCallbackHandle peers_metric_;
  std::atomic<size_t> peer_count_{0};
};

}  // namespace weft::rpc
