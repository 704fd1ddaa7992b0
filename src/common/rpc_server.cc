#include "common/rpc_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rdma/fi_errno.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "common/blocking_pool.h"
#include "common/log.h"
#include "common/rpc_builtin.h"
#include "rpc.pb.h"

namespace weft::rpc {
namespace {

// "127.0.0.1:40312@tcp" from a sockaddr fabric address; "?@net" for other formats.
std::string AddressToNid(std::string_view raw, const std::string& net) {
  char ip[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (raw.size() >= sizeof(sockaddr_in)) {
    sockaddr_storage ss{};
    std::memcpy(&ss, raw.data(), std::min(raw.size(), sizeof(ss)));
    if (ss.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
      port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
      port = ntohs(sin6->sin6_port);
    }
  }
  return std::string(ip) + ":" + std::to_string(port) + "@" + net;
}

// The crc32c of a bulk payload (64 KiB and more) is computed off the event loop, so that the
// loop serves other calls meanwhile (a MiB takes some 130 us). One thread for every server of
// the process: the loops are the other cores' work.
BlockingPool& ChecksumPool() {
  static BlockingPool pool(1, "rpc-crc");
  return pool;
}

// A pool job; a plain struct, not a lambda, inside coroutines (GCC 12, see STYLE notes).
struct CrcJob {
  const char* data;
  size_t len;
  uint32_t operator()() const { return Crc32c(data, len); }
};

// The first piece of a bulk payload that fails its crc32c in the list the client sent, or
// SIZE_MAX; its crc in *got. A pool job.
struct PieceCrcJob {
  const char* data;
  size_t len;
  std::string_view crcs;
  uint32_t* got;
  size_t operator()() const {
    for (size_t i = 0; i * kBulkCrcPiece < len; ++i) {
      size_t n = std::min(kBulkCrcPiece, len - i * kBulkCrcPiece);
      *got = Crc32c(data + i * kBulkCrcPiece, n);
      if (*got != PieceCrcAt(crcs, i)) return i;
    }
    return SIZE_MAX;
  }
};

}  // namespace

uint64_t ServerStats::rejected_total() const {
  uint64_t n = 0;
  for (uint64_t r : rejected) n += r;
  return n;
}

// ---- ServerCall ----

size_t ServerCall::request_payload_size() const {
  return (header_.flags & kFlagBulkIn) ? header_.bulk_len : inline_payload_.size();
}

Status ServerCall::CheckInlineCrc() const {
  if (!crc_requested() || inline_payload_.empty()) return Status::Ok();
  uint32_t got = Crc32c(inline_payload_.data(), inline_payload_.size());
  if (got == header_.payload_crc) return Status::Ok();
  server_->CountChecksumError(*this, inline_payload_.size(), got, header_.payload_crc, 1);
  return Status(StatusCode::kRpcBulkChecksum,
                "inline payload of " + std::to_string(inline_payload_.size()) +
                    " bytes arrived with crc32c " + std::to_string(got) + ", sent as " +
                    std::to_string(header_.payload_crc) + "; nothing was done, resend");
}

Status ServerCall::CheckPieceCrcList() const {
  // ParseMessage saw to the list's length; its bytes came in the message, as an inline payload.
  Status st = CheckInlineCrc();
  if (st.ok()) return st;
  return Status(StatusCode::kRpcBulkChecksum,
                "the crc32c list of a bulk payload of " + std::to_string(header_.bulk_len) +
                    " bytes from " + peer_nid() + " arrived damaged; nothing was done, resend");
}

// Pulls the client's buffer, again while it fails its crc32c, up to checksum_retries times.
Task<Status> ServerCall::PullBulk() {
  MessageEndpoint& ep = *server_->endpoint_;
  if (crc_requested()) WEFT_CO_RETURN_IF_ERROR(CheckPieceCrcList());
  if (!request_bulk_.data()) {
    WEFT_CO_ASSIGN_OR_RETURN(request_bulk_, ep.AcquireBulk(header_.bulk_len));
  }
  const int tries = 1 + std::max(0, server_->options_.checksum_retries);
  uint32_t got = 0;
  size_t bad = SIZE_MAX;
  for (int attempt = 1; attempt <= tries; ++attempt) {
    WEFT_CO_RETURN_IF_ERROR(co_await ep.Rma(true, peer_, request_bulk_.data(),
                                            request_bulk_.desc(), header_.bulk_len,
                                            header_.bulk_addr, header_.bulk_key));
    if (!crc_requested()) co_return Status::Ok();
    bad = co_await ChecksumPool().Run(
        PieceCrcJob{request_bulk_.data(), header_.bulk_len, inline_payload_, &got});
    if (bad == SIZE_MAX) co_return Status::Ok();
    server_->CountChecksumError(*this, header_.bulk_len, got, PieceCrcAt(inline_payload_, bad),
                                attempt);
  }
  request_bulk_ = BulkBuffer();
  co_return Status(StatusCode::kRpcBulkChecksum,
                   "bulk payload of " + std::to_string(header_.bulk_len) + " bytes from " +
                       peer_nid() + " failed its crc32c check " + std::to_string(tries) +
                       " times (last in the piece at byte " +
                       std::to_string(bad * kBulkCrcPiece) + ", crc " + std::to_string(got) +
                       ", sent as " + std::to_string(PieceCrcAt(inline_payload_, bad)) +
                       "); nothing was done: check the network path");
}

Task<void> ServerCall::DropPull() {
  if (!pull_) co_return;
  co_await pull_->Drain();
  pull_.reset();
}

Task<Result<std::span<const char>>> ServerCall::RequestPayload() {
  if (!(header_.flags & kFlagBulkIn)) {
    WEFT_CO_RETURN_IF_ERROR(CheckInlineCrc());
    co_return std::span<const char>(inline_payload_.data(), inline_payload_.size());
  }
  if (!request_bulk_ok_) {
    co_await DropPull();
    WEFT_CO_RETURN_IF_ERROR(co_await PullBulk());
    request_bulk_ok_ = true;
  }
  co_return std::span<const char>(request_bulk_.data(), header_.bulk_len);
}

Task<Result<std::span<const char>>> ServerCall::NextRequestPiece() {
  MessageEndpoint& ep = *server_->endpoint_;
  if (!pull_) {
    if (crc_requested()) WEFT_CO_RETURN_IF_ERROR(CheckPieceCrcList());
    if (!request_bulk_.data()) {
      WEFT_CO_ASSIGN_OR_RETURN(request_bulk_, ep.AcquireBulk(header_.bulk_len));
    }
    pull_ = ep.PullInPieces(peer_, request_bulk_.data(), request_bulk_.desc(), header_.bulk_len,
                            header_.bulk_addr, header_.bulk_key, kBulkCrcPiece);
    next_piece_ = 0;
  }
  if (next_piece_ == pull_->count()) {
    request_bulk_ok_ = true;
    co_return std::span<const char>();
  }
  size_t i = next_piece_;
  int err = co_await pull_->Wait(i);
  if (err != 0) {
    co_await DropPull();
    co_return Status(StatusCode::kRpcBulkFailed, FabricStatus("fi_read", err).message());
  }
  std::span<char> piece = pull_->piece(i);
  if (crc_requested()) {
    // A piece is at most 256 KiB, in cache as it just landed: a few microseconds here cost
    // less than handing it to the checksum thread and waking it.
    uint32_t got = Crc32c(piece.data(), piece.size());
    uint32_t sent = PieceCrcAt(inline_payload_, i);
    if (got != sent) {
      server_->CountChecksumError(*this, piece.size(), got, sent, 1);
      co_await DropPull();
      co_return Status(StatusCode::kRpcBulkChecksum,
                       "the piece at byte " + std::to_string(i * kBulkCrcPiece) +
                           " of a bulk payload from " + peer_nid() + " failed its crc32c");
    }
  }
  ++next_piece_;
  co_return std::span<const char>(piece.data(), piece.size());
}

FixedBuffer ServerCall::request_payload_fixed() const {
  return (header_.flags & kFlagBulkIn) ? request_bulk_.fixed() : inline_fixed_;
}

size_t ServerCall::response_payload_capacity() const {
  return (header_.flags & kFlagBulkOut) ? header_.bulk_len : header_.resp_capacity;
}

Result<std::span<char>> ServerCall::ResponsePayload(size_t size) {
  if (size > response_payload_capacity()) {
    return Status(StatusCode::kRpcTooLarge,
                  "response payload of " + std::to_string(size) + " bytes exceeds the client's " +
                      std::to_string(response_payload_capacity()));
  }
  response_size_ = size;
  response_is_bulk_ = (header_.flags & kFlagBulkOut) && size > header_.resp_capacity;
  if (!response_is_bulk_) {
    // Straight into the reply's send buffer, on a page boundary: header and body go before it.
    if (response_msg_ == nullptr) response_msg_ = server_->endpoint_->AllocSend();
    response_offset_ = kPayloadAlign;
    return std::span<char>(response_msg_->data + response_offset_, size);
  }
  WEFT_ASSIGN_OR_RETURN(response_bulk_, server_->endpoint_->AcquireBulk(size));
  return std::span<char>(response_bulk_.data(), size);
}

FixedBuffer ServerCall::response_payload_fixed() const {
  if (response_is_bulk_) return response_bulk_.fixed();
  return response_msg_ != nullptr ? response_msg_->fixed : FixedBuffer{};
}

Status ServerCall::MoveInlinePayloadAfter(size_t body_len) {
  size_t need = (sizeof(Header) + body_len + kPayloadAlign - 1) / kPayloadAlign * kPayloadAlign;
  if (need <= response_offset_) return Status::Ok();
  if (need + response_size_ > kMessageBufferSize) {
    return Status(StatusCode::kRpcTooLarge, "reply body of " + std::to_string(body_len) +
                                                " bytes and payload of " +
                                                std::to_string(response_size_) +
                                                " bytes exceed a message buffer");
  }
  std::memmove(response_msg_->data + need, response_msg_->data + response_offset_,
               response_size_);
  response_offset_ = need;
  return Status::Ok();
}

// ---- RpcServer ----

RpcServer::RpcServer(EventLoop& loop, const Options& options) : loop_(loop), options_(options) {}

Result<std::unique_ptr<RpcServer>> RpcServer::Start(EventLoop& loop, const Options& options) {
  std::unique_ptr<RpcServer> s(new RpcServer(loop, options));
  s->reply_store_ = options.reply_store;
  if (s->reply_store_ == nullptr) {
    s->own_reply_store_ = std::make_unique<MemoryReplyStore>();
    s->reply_store_ = s->own_reply_store_.get();
  }
  MessageEndpoint::Options eo;
  eo.fabric.net = options.net;
  eo.fabric.host = options.host;
  eo.fabric.port = options.port;
  eo.fabric.give_up_after = options.send_give_up;
  eo.recv_buffers = options.recv_buffers;
  RpcServer* self = s.get();
  eo.faults = options.faults;
  auto ep = MessageEndpoint::Open(
      loop, eo,
      [self](MessageBuffer* b, const char* data, size_t len) { self->OnMessage(b, data, len); },
      [self](fi_addr_t peer, uint64_t, int err) { self->OnSendError(peer, err); },
      [self](int err) {
        if (err == -FI_ETRUNC || err == -FI_EMSGSIZE) self->Refuse(Reject::kOversized, nullptr, 0);
      });
  if (!ep.ok()) {
    return ep.status().WithContext("starting RPC server on " + options.host + ":" +
                                   std::to_string(options.port) + "@" + options.net);
  }
  s->endpoint_ = std::move(ep).value();
  s->port_ = s->endpoint_->fabric().local_port();
  s->InitMetrics();
  s->builtin_ = std::make_unique<BuiltinHandler>();
  s->AddService(BuiltinService::Table(s->builtin_.get()));
  return s;
}

RpcServer::~RpcServer() = default;

MetricsRegistry& RpcServer::metrics() const {
  return options_.metrics ? *options_.metrics : MetricsRegistry::Global();
}

void RpcServer::InitMetrics() {
  auto& rejected = metrics().Counter("weft_rpc_rejected_total",
                                     "Messages refused by an RPC server, by reason", {"reason"});
  for (size_t i = 1; i < rejected_metric_.size(); ++i) {
    rejected_metric_[i] = &rejected.With({RejectName(static_cast<rpc::Reject>(i))});
  }
  checksum_metric_ =
      &metrics()
           .Counter("weft_rpc_server_checksum_errors_total",
                    "Request payloads (inline or bulk) that failed their crc32c, each try")
           .With({});
  send_error_metric_ =
      &metrics()
           .Counter("weft_rpc_server_send_errors_total",
                    "Replies and notifications an RPC server could not deliver (the client was "
                    "gone, or refused connections for send_give_up); the client is forgotten")
           .With({});
  notify_dropped_metric_ =
      &metrics()
           .Counter("weft_rpc_server_notifications_dropped_total",
                    "One-way messages not sent because the client was not taking messages "
                    "(too many waiting for it, or none taken for 50 ms)")
           .With({});
  from_record_metric_ =
      &metrics()
           .Counter("weft_rpc_server_resends_answered_total",
                    "Resent requests answered from the reply record, not run again")
           .With({});
  peers_metric_ = metrics().GaugeCallback(
      "weft_rpc_connected_peers", "Clients an RPC server has heard from",
      {{"server", std::to_string(port_)}}, [this] { return double(peer_count_.load()); });
}

void RpcServer::AddService(ServiceTable table) {
  auto& requests = metrics().Counter("weft_rpc_server_requests_total",
                                     "Requests served, by service and method",
                                     {"service", "method"});
  auto& errors = metrics().Counter("weft_rpc_server_errors_total",
                                   "Requests answered with an error, by service and method",
                                   {"service", "method"});
  auto& latency = metrics().Histogram("weft_rpc_server_latency_seconds",
                                      "Time from request received to reply sent",
                                      {"service", "method"});
  for (auto& [id, m] : table.methods) {
    m.requests = &requests.With({table.name, m.name});
    m.errors = &errors.With({table.name, m.name});
    m.latency = &latency.With({table.name, m.name});
  }
  services_[table.id] = std::move(table);
}

std::string RpcServer::nid() const {
  return options_.host + ":" + std::to_string(port_) + "@" + options_.net;
}

ServerStats RpcServer::stats() const {
  ServerStats s;
  s.requests = stats_.requests;
  s.replies = stats_.replies;
  s.errors_replied = stats_.errors_replied;
  s.resends_answered_from_record = stats_.from_record;
  s.duplicates_dropped = stats_.duplicates;
  s.send_errors = stats_.send_errors;
  s.send_retries = endpoint_->fabric().retries();
  s.sends_waiting = endpoint_->fabric().PostsWaiting();
  s.notifications = stats_.notifications;
  s.notifications_dropped = stats_.notifications_dropped;
  s.checksum_errors = stats_.checksum_errors;
  s.bundles_sent = endpoint_->bundles_sent();
  s.bundles_received = endpoint_->bundles_received();
  for (size_t i = 0; i < s.rejected.size(); ++i) s.rejected[i] = stats_.rejected[i];
  return s;
}

Task<void> RpcServer::Shutdown() {
  stopping_ = true;
  if (active_ > 0) {
    struct Drain {
      RpcServer* s;
      bool await_ready() const noexcept { return s->active_ == 0; }
      void await_suspend(std::coroutine_handle<> h) { s->drained_ = h; }
      void await_resume() const noexcept {}
    };
    co_await Drain{this};
  }
}

void RpcServer::Refuse(rpc::Reject why, const MessageView* view, fi_addr_t peer) {
  uint64_t n = ++stats_.rejected[static_cast<size_t>(why)];
  if (Counter* c = rejected_metric_[static_cast<size_t>(why)]) c->Increment();
  if (ShouldLog(n)) {
    spdlog::warn("rpc server {}: refused a message: {} (seen {} times)", nid(), RejectName(why),
                 n);
  }
  if (view == nullptr || peer == FI_ADDR_UNSPEC) return;
  StatusCode code = why == Reject::kUnknownService  ? StatusCode::kRpcUnknownService
                    : why == Reject::kUnknownMethod ? StatusCode::kRpcUnknownMethod
                                                    : StatusCode::kRpcBadMessage;
  ErrorBody err;
  err.set_message(std::string(RejectName(why)) + " (service " +
                  std::to_string(view->header.service) + ", method " +
                  std::to_string(view->header.method) + ")");
  Header h{};
  h.flags = kFlagReply;
  h.service = view->header.service;
  h.method = view->header.method;
  h.status = static_cast<int32_t>(code);
  h.client_id = view->header.client_id;
  h.request_id = view->header.request_id;
  ++stats_.errors_replied;
  SendMessage(peer, h, err.SerializeAsString(), {});
}

Result<const RpcServer::PeerEntry*> RpcServer::ResolvePeer(std::string_view address) {
  if (auto it = peers_.find(address); it != peers_.end()) {
    peer_order_.splice(peer_order_.end(), peer_order_, it->second.order);
    return &it->second;
  }
  WEFT_ASSIGN_OR_RETURN(fi_addr_t addr, endpoint_->fabric().InsertRawAddress(address));
  if (peers_.size() >= options_.max_peers) ForgetPeer(peers_.find(peer_order_.front()));
  std::string key(address);
  auto pos = peer_order_.insert(peer_order_.end(), key);
  auto nid = std::make_shared<const std::string>(AddressToNid(address, options_.net));
  auto [it, inserted] = peers_.emplace(std::move(key), PeerEntry{addr, pos, std::move(nid)});
  peer_count_ = peers_.size();
  return &it->second;
}

void RpcServer::ForgetPeer(PeerMap::iterator it) {
  endpoint_->fabric().RemoveAddress(it->second.addr);
  peer_order_.erase(it->second.order);
  peers_.erase(it);
  peer_count_ = peers_.size();
}

const MethodEntry* RpcServer::FindMethod(const Header& h, rpc::Reject* why) const {
  auto svc = services_.find(h.service);
  if (svc == services_.end()) {
    *why = Reject::kUnknownService;
    return nullptr;
  }
  auto m = svc->second.methods.find(h.method);
  if (m == svc->second.methods.end()) {
    *why = Reject::kUnknownMethod;
    return nullptr;
  }
  return &m->second;
}

void RpcServer::OnMessage(MessageBuffer* buf, const char* data, size_t len) {
  MessageView view;
  rpc::Reject why = ParseMessage(data, len, &view);
  if (why == Reject::kNone && ((view.header.flags & kFlagReply) || view.address.empty())) {
    why = Reject::kBadFlags;
  }
  if (why != Reject::kNone || stopping_) {
    if (why != Reject::kNone) Refuse(why, nullptr, FI_ADDR_UNSPEC);
    endpoint_->Release(buf);
    return;
  }
  auto resolved = ResolvePeer(view.address);
  if (!resolved.ok()) {
    Refuse(Reject::kBadLengths, nullptr, FI_ADDR_UNSPEC);
    endpoint_->Release(buf);
    return;
  }
  const fi_addr_t* peer = &(*resolved)->addr;
  const MethodEntry* method = FindMethod(view.header, &why);
  if (method == nullptr) {
    Refuse(why, &view, *peer);
    endpoint_->Release(buf);
    return;
  }
  ++stats_.requests;
  std::pair<uint64_t, uint64_t> key{view.header.client_id, view.header.request_id};
  if (running_.count(key) != 0) {
    ++stats_.duplicates;
    endpoint_->Release(buf);
    return;
  }
  if (AnswerFromRecord(*method, view.header, *peer)) {
    endpoint_->Release(buf);
    return;
  }
  running_.insert(key);
  ++active_;
  loop_.Spawn(RunHandler(buf, view, *peer, (*resolved)->nid, method));
}

bool RpcServer::AnswerFromRecord(const MethodEntry& m, const Header& h, fi_addr_t peer) {
  if (!m.mutating) return false;
  std::optional<RecordedReply> rec = reply_store_->Lookup(h.client_id, h.request_id);
  if (!rec) return false;
  ++stats_.from_record;
  from_record_metric_->Increment();
  Header reply{};
  reply.flags = kFlagReply;
  reply.service = h.service;
  reply.method = h.method;
  reply.status = rec->status;
  reply.client_id = h.client_id;
  reply.request_id = h.request_id;
  SendMessage(peer, reply, rec->body, {});
  return true;
}

Task<void> RpcServer::RunHandler(MessageBuffer* buf, MessageView view, fi_addr_t peer,
                                 std::shared_ptr<const std::string> peer_nid,
                                 const MethodEntry* method) {
  ServerCall call;
  call.server_ = this;
  call.header_ = view.header;
  call.peer_ = peer;
  call.peer_nid_ = std::move(peer_nid);
  call.peer_address_ = view.address;
  call.inline_payload_ = view.payload;
  call.inline_fixed_ = buf->fixed;
  Clock::time_point start = Clock::now();
  call.deadline_ = start + std::chrono::milliseconds(view.header.timeout_ms);
  Result<std::string> result = co_await method->fn(call, view.body);
  co_await call.DropPull();  // a handler that stopped early may leave reads in flight
  co_await SendReply(call, view.header, result);
  method->requests->Increment();
  if (!result.ok()) method->errors->Increment();
  method->latency->ObserveDuration(Clock::now() - start);
  // A payload that failed its checksum was refused before anything changed: not recorded, so
  // that the client's resend runs the call again.
  bool refused = result.status().code() == StatusCode::kRpcBulkChecksum;
  if (method->mutating && !call.reply_recorded_ && !refused) {
    RecordedReply rec;
    rec.status = static_cast<int32_t>(result.status().code());
    if (result.ok()) {
      rec.body = *result;
    } else {
      ErrorBody err;
      err.set_message(result.status().message());
      rec.body = err.SerializeAsString();
    }
    reply_store_->Record(view.header.client_id, view.header.request_id, std::move(rec));
  }
  running_.erase({view.header.client_id, view.header.request_id});
  endpoint_->Release(buf);
  if (--active_ == 0 && drained_) loop_.Resume(std::exchange(drained_, {}));
}

Task<void> RpcServer::SendReply(ServerCall& call, const Header& request,
                                const Result<std::string>& r) {
  Header h{};
  h.flags = kFlagReply;
  h.service = request.service;
  h.method = request.method;
  h.client_id = request.client_id;
  h.request_id = request.request_id;
  Status st = r.status();
  if (st.ok() && call.response_is_bulk_) {
    if (call.crc_requested()) {
      h.flags |= kFlagCrc;
      h.payload_crc =
          co_await ChecksumPool().Run(CrcJob{call.response_bulk_.data(), call.response_size_});
    }
    st = co_await endpoint_->Rma(false, call.peer_, call.response_bulk_.data(),
                                 call.response_bulk_.desc(), call.response_size_,
                                 request.bulk_addr, request.bulk_key);
    h.flags |= kFlagBulkOut;
    h.bulk_len = call.response_size_;
  }
  bool inline_payload = st.ok() && !call.response_is_bulk_ && call.response_msg_ != nullptr;
  if (inline_payload && r->size() <= kMaxBodyLen) st = call.MoveInlinePayloadAfter(r->size());
  if (!st.ok()) {
    h.status = static_cast<int32_t>(st.code());
    if (call.response_msg_ != nullptr) endpoint_->Release(std::exchange(call.response_msg_, {}));
    ++stats_.errors_replied;
    ErrorBody err;
    err.set_message(st.message());
    SendMessage(call.peer_, h, err.SerializeAsString(), {});
    co_return;
  }
  if (!inline_payload || r->size() > kMaxBodyLen) {
    if (call.response_msg_ != nullptr) endpoint_->Release(std::exchange(call.response_msg_, {}));
    SendMessage(call.peer_, h, *r, {});
    co_return;
  }
  // The payload is already in its send buffer: write header and body before it, send.
  MessageBuffer* b = std::exchange(call.response_msg_, nullptr);
  char* payload = b->data + call.response_offset_;
  if (call.crc_requested()) {
    h.flags |= kFlagCrc;
    h.payload_crc = Crc32c(payload, call.response_size_);
  }
  char* start = WriteMessageBefore(h, *r, call.response_size_, b->data, call.response_offset_);
  ++stats_.replies;
  endpoint_->Send(b, call.peer_, static_cast<size_t>(payload + call.response_size_ - start), 0,
                  start);
}

void RpcServer::CountChecksumError(const ServerCall& call, size_t len, uint32_t got,
                                   uint32_t sent, int attempt) {
  uint64_t n = ++stats_.checksum_errors;
  checksum_metric_->Increment();
  if (ShouldLog(n)) {
    spdlog::warn("rpc server {}: request payload of {} bytes from {} failed its crc32c (got {:#x}, "
                 "sent {:#x}), try {}; seen {} times",
                 nid(), len, call.peer_nid(), got, sent, attempt, n);
  }
}

void RpcServer::SendMessage(fi_addr_t peer, const Header& h, std::string_view body,
                            std::string_view payload) {
  Header out = h;
  if (body.size() > kMaxBodyLen) {  // a handler's bug; the client gets an error, not silence
    spdlog::error("rpc server {}: reply body of {} bytes exceeds the limit of {}", nid(),
                  body.size(), kMaxBodyLen);
    out.status = static_cast<int32_t>(StatusCode::kRpcTooLarge);
    body = {};
    payload = {};
  }
  MessageBuffer* b = endpoint_->AllocSend();
  WriteMessage(out, {}, body, payload, b->data);
  ++stats_.replies;
  endpoint_->Send(b, peer, MessageSize(0, body.size(), payload.size()), 0);
}

Status RpcServer::Notify(std::string_view address, uint64_t client_id, uint16_t service,
                         uint16_t method, std::string_view body) {
  if (body.size() > kMaxBodyLen) {
    return Status(StatusCode::kRpcTooLarge, "notification body of " + std::to_string(body.size()) +
                                                " bytes exceeds the limit");
  }
  WEFT_ASSIGN_OR_RETURN(const PeerEntry* peer, ResolvePeer(address));
  FabricEndpoint::Waiting waiting = endpoint_->fabric().WaitingFor(peer->addr);
  if (waiting.posts >= kMaxNotifyWaiting || waiting.stuck_for >= FabricEndpoint::kBackoffAfter) {
    ++stats_.notifications_dropped;
    notify_dropped_metric_->Increment();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(waiting.stuck_for).count();
    return Status(StatusCode::kUnavailable, "client " + *peer->nid + " is not taking messages (" +
                                                std::to_string(waiting.posts) +
                                                " waiting, none taken for " + std::to_string(ms) +
                                                " ms); notification dropped");
  }
  Header h{};
  h.flags = kFlagReply | kFlagNotify;
  h.service = service;
  h.method = method;
  h.client_id = client_id;
  MessageBuffer* b = endpoint_->AllocSend();
  WriteMessage(h, {}, body, {}, b->data);
  ++stats_.notifications;
  endpoint_->Send(b, peer->addr, MessageSize(0, body.size(), 0), 0);
  return Status::Ok();
}

void RpcServer::OnSendError(fi_addr_t peer, int err) {
  ++stats_.send_errors;
  send_error_metric_->Increment();
  // Forget the peer: its next request re-inserts the address and connects afresh.
  for (auto it = peers_.begin(); it != peers_.end(); ++it) {
    if (it->second.addr == peer) {
      ForgetPeer(it);
      break;
    }
  }
  if (ShouldLog(stats_.send_errors)) {
    spdlog::warn("rpc server {}: a reply or notification to a client failed: {}", nid(),
                 fi_strerror(-err));
  }
}

}  // namespace weft::rpc
