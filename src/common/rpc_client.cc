#include "common/rpc_client.h"

#include <rdma/fi_errno.h>
#include <spdlog/spdlog.h>

#include <random>

#include "rpc.pb.h"

namespace weft::rpc {

// What wakes a waiting call.
enum Event { kNone = 0, kReplied, kSendFailed, kAttemptTimedOut };

struct RpcClient::Pending {
  uint64_t request_id = 0;
  Header request{};
  std::string body;
  std::string_view inline_payload;
  std::string piece_crcs;  // a checksummed bulk request's inline payload
  std::coroutine_handle<> waiter;
  int event = kNone;
  EventLoop::TimerId timer = 0;
  // The reply, filled in by OnMessage.
  int32_t status = 0;
  std::string reply_body;
  size_t received = 0;
  bool reply_has_crc = false;
  uint32_t reply_crc = 0;
  std::span<char> recv_payload;
};

struct BulkPlan {
  MemoryRegion mr;
  uint16_t flag = 0;
};

RpcClient::RpcClient(EventLoop& loop, const Options& options) : loop_(loop), options_(options) {
  std::random_device rd;
  client_id_ = (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count());
}

RpcClient::~RpcClient() = default;

Result<std::unique_ptr<RpcClient>> RpcClient::Open(EventLoop& loop, const Options& options) {
  if (options.inline_threshold > kMaxInlineThreshold) {
    return Status(StatusCode::kInvalidArgument,
                  "rpc inline threshold " + std::to_string(options.inline_threshold) +
                      " exceeds the maximum of " + std::to_string(kMaxInlineThreshold));
  }
  std::unique_ptr<RpcClient> c(new RpcClient(loop, options));
  MessageEndpoint::Options eo;
  eo.fabric.net = options.net;
  eo.fabric.host = options.host_hint;
  eo.recv_buffers = options.recv_buffers;
  eo.faults = options.faults;
  eo.register_with_uring = false;
  RpcClient* self = c.get();
  auto ep = MessageEndpoint::Open(
      loop, eo,
      [self](MessageBuffer* b, const char* data, size_t len) { self->OnMessage(b, data, len); },
      [self](fi_addr_t, uint64_t cookie, int err) { self->OnSendError(cookie, err); }, nullptr);
  if (!ep.ok()) return ep.status().WithContext("opening RPC client endpoint");
  c->endpoint_ = std::move(ep).value();
  MetricsRegistry& m = options.metrics ? *options.metrics : MetricsRegistry::Global();
  c->metric_.calls = &m.Counter("weft_rpc_client_calls_total", "RPC calls issued").With({});
  c->metric_.resends =
      &m.Counter("weft_rpc_client_resends_total", "RPC requests sent again").With({});
  c->metric_.deadline_exceeded = &m.Counter("weft_rpc_client_deadline_exceeded_total",
                                            "RPC calls that ran out of time").With({});
  c->metric_.reconnects = &m.Counter("weft_rpc_client_reconnects_total",
                                     "Times a client dropped and re-resolved a server address")
                               .With({});
  c->metric_.checksum_errors =
      &m.Counter("weft_rpc_client_checksum_errors_total",
                 "Reply payloads that failed their crc32c, and request payloads a server "
                 "refused for theirs")
           .With({});
  return c;
}

Result<PeerId> RpcClient::AddPeer(const Nid& nid) {
  if (nid.net != options_.net) {
    return Status(StatusCode::kBadNid, "peer " + nid.ToString() + " is not on this client's net " +
                                           options_.net);
  }
  if (nid.port == 0) return Status(StatusCode::kBadNid, "peer " + nid.ToString() + " has no port");
  for (PeerId i = 0; i < peers_.size(); ++i) {
    if (peers_[i].nid == nid) return i;
  }
  WEFT_ASSIGN_OR_RETURN(fi_addr_t addr, endpoint_->fabric().InsertAddress(nid.host, nid.port));
  Peer p;
  p.nid = nid;
  p.addr = addr;
  peers_.push_back(std::move(p));
  return static_cast<PeerId>(peers_.size() - 1);
}

void RpcClient::Reconnect(PeerId id, uint64_t seen_generation) {
  Peer& p = peers_[id];
  if (p.generation != seen_generation) return;  // another call reconnected already
  ++p.generation;
  ++stats_.reconnects;
  metric_.reconnects->Increment();
  endpoint_->fabric().RemoveAddress(p.addr);
  auto addr = endpoint_->fabric().InsertAddress(p.nid.host, p.nid.port);
  if (!addr.ok()) {
    spdlog::warn("rpc client: cannot re-resolve {}: {}", p.nid.ToString(),
                 addr.status().ToString());
    return;
  }
  p.addr = *addr;
}

Status RpcClient::PrepareBulk(const CallOptions& o, BulkPlan* plan) {
  bool bulk_in = o.send_payload.size() > options_.inline_threshold;
  bool bulk_out = o.recv_payload.size() > options_.inline_threshold;
  if (bulk_in && bulk_out) {
    return Status(StatusCode::kInvalidArgument,
                  "a call may move bulk data in one direction only");
  }
  if (!bulk_in && !bulk_out) return Status::Ok();
  char* base = bulk_in ? const_cast<char*>(o.send_payload.data()) : o.recv_payload.data();
  size_t len = bulk_in ? o.send_payload.size() : o.recv_payload.size();
  WEFT_ASSIGN_OR_RETURN(plan->mr, endpoint_->fabric().RegisterMemory(base, len));
  plan->flag = bulk_in ? kFlagBulkIn : kFlagBulkOut;
  return Status::Ok();
}

void RpcClient::SendAttempt(Pending& p, PeerId peer, uint16_t flags) {
  Header h = p.request;
  h.flags |= flags;
  MessageBuffer* b = endpoint_->AllocSend();
  const std::string& addr = endpoint_->fabric().local_name();
  WriteMessage(h, addr, p.body, p.inline_payload, b->data);
  endpoint_->Send(b, peers_[peer].addr,
                  MessageSize(addr.size(), p.body.size(), p.inline_payload.size()), p.request_id);
}

Task<Result<std::string>> RpcClient::CallRaw(PeerId peer, uint16_t service, uint16_t method,
                                             std::string body, CallOptions options) {
  if (peer >= peers_.size()) co_return Status(StatusCode::kInvalidArgument, "unknown peer");
  if (body.size() > kMaxBodyLen) {
    co_return Status(StatusCode::kRpcTooLarge, "request body of " + std::to_string(body.size()) +
                                                   " bytes exceeds " + std::to_string(kMaxBodyLen));
  }
  ++stats_.calls;
  metric_.calls->Increment();
  BulkPlan bulk;
  WEFT_CO_RETURN_IF_ERROR(PrepareBulk(options, &bulk));
  Clock::duration timeout = options.timeout.count() ? options.timeout : options_.default_timeout;
  Clock::time_point deadline = Clock::now() + timeout;

  Pending p;
  p.request_id = next_request_id_++;
  p.body = std::move(body);
  p.recv_payload = options.recv_payload;
  Header& h = p.request;
  h.service = service;
  h.method = method;
  h.client_id = client_id_;
  h.request_id = p.request_id;
  h.flags = bulk.flag;
  if (bulk.flag == kFlagBulkIn) {
    h.bulk_addr = bulk.mr.remote_addr();
    h.bulk_key = bulk.mr.key();
    h.bulk_len = options.send_payload.size();
  } else if (bulk.flag == kFlagBulkOut) {
    h.bulk_addr = bulk.mr.remote_addr();
    h.bulk_key = bulk.mr.key();
    h.bulk_len = options.recv_payload.size();
  } else {
    p.inline_payload = std::string_view(options.send_payload.data(), options.send_payload.size());
  }
  if (options_.checksums && bulk.flag == kFlagBulkIn) {
    // One crc32c per piece, so that the server can check each as it lands (rpc_wire.h).
    h.flags |= kFlagCrc;
    p.piece_crcs = PieceCrcs(options.send_payload);
    p.inline_payload = p.piece_crcs;
    h.payload_crc = Crc32c(p.piece_crcs.data(), p.piece_crcs.size());
  } else if (options_.checksums) {
    h.flags |= kFlagCrc;
    h.payload_crc = Crc32c(options.send_payload.data(), options.send_payload.size());
  }
  h.resp_capacity =
      static_cast<uint32_t>(std::min(options.recv_payload.size(), options_.inline_threshold));

  pending_[p.request_id] = &p;
  Clock::duration backoff = options_.retry_backoff;
  uint16_t resend = 0;
  int crc_retries = 0;
  for (;;) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    Clock::time_point attempt_end = std::min(deadline, now + options_.attempt_timeout);
    h.timeout_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(attempt_end - now).count());
    uint64_t generation = peers_[peer].generation;
    p.event = kNone;
    Pending* pp = &p;
    p.timer = loop_.AddTimer(attempt_end, [this, pp] { Wake(pp, kAttemptTimedOut); });
    SendAttempt(p, peer, resend);
    struct Wait {
      Pending* p;
      bool await_ready() const noexcept { return p->event != kNone; }
      void await_suspend(std::coroutine_handle<> h) { p->waiter = h; }
      void await_resume() const noexcept {}
    };
    co_await Wait{&p};
    p.waiter = {};
    if (p.event == kReplied) {
      if (!ChecksumRetry(p, peer, &crc_retries)) break;
      p.event = kNone;  // not answered until a reply passes
      resend = kFlagResend;
      continue;
    }
    // Lost: reconnect and send again, with the same request id.
    Reconnect(peer, generation);
    resend = kFlagResend;
    ++stats_.resends;
    metric_.resends->Increment();
    if (p.event == kSendFailed) {
      Clock::time_point wake = std::min(deadline, Clock::now() + backoff);
      backoff = std::min(backoff * 2, options_.max_retry_backoff);
      co_await loop_.Sleep(wake - Clock::now());
    }
  }
  pending_.erase(p.request_id);
  if (p.event != kReplied) {
    ++stats_.deadline_exceeded;
    metric_.deadline_exceeded->Increment();
    co_return Status(StatusCode::kRpcDeadlineExceeded,
                     "no reply from " + peers_[peer].nid.ToString() + " to service " +
                         std::to_string(service) + " method " + std::to_string(method) +
                         " within " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            timeout).count()) + " ms");
  }
  if (options.received) *options.received = p.received;
  if (p.status != 0) {
    ErrorBody err;
    std::string msg = err.ParseFromString(p.reply_body) ? err.message() : "(no message)";
    StatusCode code = IsKnownStatusCode(p.status) ? static_cast<StatusCode>(p.status)
                                                  : StatusCode::kInternal;
    co_return Status(code, msg);
  }
  co_return std::move(p.reply_body);
}

bool RpcClient::ChecksumRetry(Pending& p, PeerId peer, int* retries) {
  const char* what = nullptr;
  if (p.status == static_cast<int32_t>(StatusCode::kRpcBulkChecksum) &&
      !(p.request.flags & kFlagBulkIn)) {
    what = "request payload (refused by the server)";  // a bulk one the server re-pulled itself
  } else if (p.status == 0 && p.reply_has_crc &&
             Crc32c(p.recv_payload.data(), p.received) != p.reply_crc) {
    what = "reply payload";
  }
  if (what == nullptr) return false;
  ++stats_.checksum_errors;
  metric_.checksum_errors->Increment();
  bool again = (*retries)++ < options_.checksum_retries;
  spdlog::warn("rpc client: {} of service {} method {} with {} failed its crc32c; {}", what,
               p.request.service, p.request.method, peers_[peer].nid.ToString(),
               again ? "sending the request again" : "giving up");
  if (again) {
    ++stats_.checksum_resends;
    return true;
  }
  p.status = static_cast<int32_t>(StatusCode::kRpcBulkChecksum);
  ErrorBody err;
  err.set_message(std::string(what) + " from " + peers_[peer].nid.ToString() +
                  " failed its crc32c check " + std::to_string(*retries) +
                  " times: data corrupted in flight; check the network path");
  p.reply_body = err.SerializeAsString();
  p.received = 0;
  return false;
}

void RpcClient::Wake(Pending* p, int event) {
  if (p->event != kNone) return;  // already woken
  p->event = event;
  if (event != kAttemptTimedOut) loop_.CancelTimer(p->timer);
  // Resumed through the loop, never inline: Wake runs inside the fabric's completion polling,
  // and the resumed caller may destroy this client (and the endpoint being polled).
  if (p->waiter) loop_.Resume(std::exchange(p->waiter, {}));
}

ClientStats RpcClient::stats() const {
  ClientStats s = stats_;
  s.bundles_sent = endpoint_->bundles_sent();
  s.bundles_received = endpoint_->bundles_received();
  return s;
}

void RpcClient::OnSendError(uint64_t request_id, int err) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return;
  spdlog::debug("rpc client: send of request {} failed: {}", request_id, fi_strerror(-err));
  Wake(it->second, kSendFailed);
}

void RpcClient::OnMessage(MessageBuffer* buf, const char* data, size_t len) {
  MessageView view;
  Reject why = ParseMessage(data, len, &view);
  if (why == Reject::kNone && (view.header.flags & kFlagNotify)) {
    if (notify_ && view.header.client_id == client_id_) {
      ++stats_.notifications;
      notify_(view.header.service, view.header.method, view.body);
    } else {
      ++stats_.stray_replies;
    }
    endpoint_->Release(buf);
    return;
  }
  auto it = why == Reject::kNone ? pending_.find(view.header.request_id) : pending_.end();
  if (why != Reject::kNone || !(view.header.flags & kFlagReply) || it == pending_.end() ||
      view.header.client_id != client_id_ || it->second->event != kNone) {
    ++stats_.stray_replies;
    endpoint_->Release(buf);
    return;
  }
  Pending* p = it->second;
  p->status = view.header.status;
  p->reply_has_crc = (view.header.flags & kFlagCrc) != 0;
  p->reply_crc = view.header.payload_crc;
  p->reply_body.assign(view.body);
  if (view.header.flags & kFlagBulkOut) {
    p->received = std::min<size_t>(view.header.bulk_len, p->recv_payload.size());
  } else {
    p->received = std::min(view.payload.size(), p->recv_payload.size());
    if (p->received) std::memcpy(p->recv_payload.data(), view.payload.data(), p->received);
  }
  endpoint_->Release(buf);
  Wake(p, kReplied);
}

}  // namespace weft::rpc
