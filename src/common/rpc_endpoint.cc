#include "common/rpc_endpoint.h"

#include <rdma/fi_errno.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

namespace weft::rpc {
namespace {

constexpr size_t kSendSlabBuffers = 32;
constexpr size_t kMinBulkClass = 64 * 1024;
constexpr size_t kMaxRmaChunk = 16 << 20;
// Larger messages travel alone: copying them into a bundle would cost more than the sendmsg it
// saves.
constexpr size_t kMaxBundledMessage = 16 * 1024;
// How large a bundle grows. libfabric's rxm sends up to 16 KiB at once (eager,
// FI_OFI_RXM_EAGER_LIMIT); a larger message goes in 16 KiB segments, and the receiver sees none
// of it until the last has come, so a large bundle delays its first message. Only when many
// messages wait for one peer (the loop is out of CPU, and what matters is the per-message cost)
// does a bundle fill a whole receive buffer. Measured with oss_bench, 4 KiB reads: whole-buffer
// bundles always gave 0.87 at 8 in flight and 1.07 at 32; this rule 1.04 and 1.13
// (docs/performance.md).
constexpr size_t kEagerBundle = 16000;
constexpr size_t kLargeBundleAt = 16;

// Waits for a set of RMA chunk completions; resumes the awaiting coroutine after the last.
struct RmaWait {
  struct Chunk {
    FabricOp op;  // first: the completion context
    RmaWait* parent;
  };
  explicit RmaWait(EventLoop& l) : loop(l) {}
  EventLoop& loop;
  std::vector<Chunk> chunks;
  size_t remaining = 0;
  int first_err = 0;
  std::coroutine_handle<> waiter;

  // Resumes through the loop: this runs inside the fabric's completion polling, and the
  // resumed coroutine may tear down the endpoint being polled.
  static void Done(FabricOp* op, int err, size_t) {
    RmaWait* w = reinterpret_cast<Chunk*>(op)->parent;
    if (err != 0 && w->first_err == 0) w->first_err = err;
    if (--w->remaining == 0) w->loop.Resume(w->waiter);
  }
  bool await_ready() const noexcept { return remaining == 0; }
  void await_suspend(std::coroutine_handle<> h) { waiter = h; }
  void await_resume() const noexcept {}
};

}  // namespace

bool FaultInjection::Take(std::atomic<int>& count) {
  int n = count.load();
  while (n > 0) {
    if (count.compare_exchange_weak(n, n - 1)) return true;
  }
  return false;
}

// ---- PiecedPull ----

PiecedPull::PiecedPull(EventLoop& loop, FaultInjection* faults, size_t count)
    : loop_(loop), faults_(faults), pieces_(count), outstanding_(count) {}

PiecedPull::~PiecedPull() {
  if (outstanding_ != 0) {
    spdlog::critical("rpc: a pull in pieces destroyed with {} reads in flight", outstanding_);
    std::abort();  // the fabric would complete into freed memory
  }
}

std::span<char> PiecedPull::piece(size_t i) const {
  return std::span<char>(pieces_[i].data, pieces_[i].len);
}

void PiecedPull::Park(size_t i, std::coroutine_handle<> h) {
  waiting_for_ = i;
  waiter_ = h;
}

// Resumes through the loop, as RmaWait::Done does.
void PiecedPull::Done(FabricOp* op, int err, size_t) {
  Piece* p = reinterpret_cast<Piece*>(op);
  PiecedPull* pull = p->parent;
  size_t i = static_cast<size_t>(p - pull->pieces_.data());
  p->err = err;
  p->done = true;
  if (err == 0 && i == pull->flip_piece_) {
    p->data[p->len / 2] ^= 1;
    ++pull->faults_->flipped;
  }
  --pull->outstanding_;
  if (pull->waiter_ && (pull->waiting_for_ == i ||
                        (pull->waiting_for_ == SIZE_MAX && pull->outstanding_ == 0))) {
    pull->loop_.Resume(std::exchange(pull->waiter_, {}));
  }
}

std::unique_ptr<PiecedPull> MessageEndpoint::PullInPieces(fi_addr_t peer, char* local,
                                                          void* desc, size_t len,
                                                          uint64_t remote_addr, uint64_t key,
                                                          size_t piece) {
  piece = std::max<size_t>(1, std::min({piece, kMaxRmaChunk, fabric_->max_rma_size()}));
  size_t count = (len + piece - 1) / piece;
  std::unique_ptr<PiecedPull> pull(new PiecedPull(loop_, faults_, count));
  // Fault injection: one bit of the transfer's middle piece flipped, as Rma does.
  if (faults_ != nullptr && count > 0 && FaultInjection::Take(faults_->flip_rma_read)) {
    pull->flip_piece_ = count / 2;
  }
  for (size_t i = 0; i < count; ++i) {
    PiecedPull::Piece& p = pull->pieces_[i];
    p.op.on_complete = &PiecedPull::Done;
    p.parent = pull.get();
    p.data = local + i * piece;
    p.len = std::min(piece, len - i * piece);
  }
  for (size_t i = 0; i < count; ++i) {
    PiecedPull::Piece& p = pull->pieces_[i];
    fabric_->PostRead(&p.op, peer, p.data, p.len, desc, remote_addr + i * piece, key);
  }
  return pull;
}

// ---- BulkBuffer ----

BulkBuffer::BulkBuffer(MessageEndpoint* owner, size_t size_class, char* data, MemoryRegion* mr,
                       FixedBuffer fixed)
    : owner_(owner), size_class_(size_class), data_(data), mr_(mr), fixed_(fixed) {}

BulkBuffer::BulkBuffer(BulkBuffer&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)),
      size_class_(o.size_class_),
      data_(std::exchange(o.data_, nullptr)),
      mr_(std::exchange(o.mr_, nullptr)),
      fixed_(std::exchange(o.fixed_, {})) {}

BulkBuffer& BulkBuffer::operator=(BulkBuffer&& o) noexcept {
  if (this != &o) {
    Release();
    owner_ = std::exchange(o.owner_, nullptr);
    size_class_ = o.size_class_;
    data_ = std::exchange(o.data_, nullptr);
    mr_ = std::exchange(o.mr_, nullptr);
    fixed_ = std::exchange(o.fixed_, {});
  }
  return *this;
}

BulkBuffer::~BulkBuffer() { Release(); }

void BulkBuffer::Release() {
  if (owner_ != nullptr) owner_->ReleaseBulk(size_class_, data_);
  owner_ = nullptr;
}

// ---- MessageEndpoint ----

Result<std::unique_ptr<MessageEndpoint>> MessageEndpoint::Open(EventLoop& loop,
                                                               const Options& options,
                                                               OnMessage on_message,
                                                               OnSendError on_send_error,
                                                               OnRecvError on_recv_error) {
  std::unique_ptr<MessageEndpoint> ep(new MessageEndpoint(loop));
  ep->on_message_ = std::move(on_message);
  ep->on_send_error_ = std::move(on_send_error);
  ep->on_recv_error_ = std::move(on_recv_error);
  ep->bulk_cache_bytes_ = options.bulk_cache_bytes;
  ep->faults_ = options.faults;
  ep->register_with_uring_ = options.register_with_uring;
  WEFT_ASSIGN_OR_RETURN(ep->fabric_, FabricEndpoint::Open(loop, options.fabric));
  ep->fabric_->SetFlushHook([self = ep.get()] { self->FlushSends(); });
  WEFT_RETURN_IF_ERROR(ep->AddSlab(options.recv_buffers));
  // The first slab's buffers are the receives; post them all.
  for (MessageBuffer& b : ep->slabs_.front()->buffers) {
    b.is_recv = true;
    ep->Repost(&b);
  }
  ep->free_sends_.clear();
  return ep;
}

MessageEndpoint::~MessageEndpoint() {
  // Closing the endpoint cancels the posted receives; no completion runs after this.
  fabric_.reset();
  for (auto& [size, entry] : bulk_free_) FreeBulk(entry);
  for (auto& slab : slabs_) loop_.uring().RemoveFixedBuffer(slab->fixed);
}

FixedBuffer MessageEndpoint::RegisterFixed(char* data, size_t len) {
  if (!register_with_uring_) return {};
  Result<FixedBuffer> fixed = loop_.uring().AddFixedBuffer(data, len);
  if (fixed.ok()) return *fixed;
  if (!fixed_error_logged_) {
    fixed_error_logged_ = true;
    spdlog::warn("rpc: cannot register a buffer with io_uring ({}); its disk I/O pins pages "
                 "per operation instead",
                 fixed.status().ToString());
  }
  return {};
}

void MessageEndpoint::FreeBulk(BulkEntry& entry) {
  loop_.uring().RemoveFixedBuffer(entry.fixed);
  entry.mr.reset();
  std::free(entry.data);
}

Status MessageEndpoint::AddSlab(size_t count) {
  auto slab = std::make_unique<Slab>();
  size_t bytes = count * kMessageBufferSize;
  slab->memory.reset(static_cast<char*>(std::aligned_alloc(kPayloadAlign, bytes)));
  if (!slab->memory) return Status(StatusCode::kNoSpace, "out of memory for message buffers");
  WEFT_ASSIGN_OR_RETURN(slab->mr, fabric_->RegisterMemory(slab->memory.get(), bytes));
  slab->fixed = RegisterFixed(slab->memory.get(), bytes);
  slab->buffers.resize(count);
  for (size_t i = 0; i < count; ++i) {
    MessageBuffer& b = slab->buffers[i];
    b.op.on_complete = &MessageEndpoint::OnComplete;
    b.data = slab->memory.get() + i * kMessageBufferSize;
    b.desc = slab->mr.desc();
    b.fixed = slab->fixed;
    b.owner = this;
    free_sends_.push_back(&b);
  }
  slabs_.push_back(std::move(slab));
  return Status::Ok();
}

MessageBuffer* MessageEndpoint::AllocSend() {
  if (free_sends_.empty()) {
    Status st = AddSlab(kSendSlabBuffers);
    if (!st.ok()) {
      spdlog::critical("cannot register message buffers: {}", st.ToString());
      std::abort();
    }
  }
  MessageBuffer* b = free_sends_.back();
  free_sends_.pop_back();
  return b;
}

void MessageEndpoint::Send(MessageBuffer* buf, fi_addr_t peer, size_t len, uint64_t cookie,
                           const char* start) {
  outgoing_.push_back({buf, peer, start != nullptr ? start : buf->data, len, cookie});
}

bool MessageEndpoint::Bundleable(const char* start, size_t len) {
  if (len < sizeof(Header) || len > kMaxBundledMessage) return false;
  Header h;
  std::memcpy(&h, start, sizeof(Header));
  return (h.flags & kFlagReply) != 0 || h.payload_len == 0;
}

// Sends made while posting (a send that fails at once calls back into the RPC layer) go to
// the next round; a flush asked for meanwhile (the RPC layer forgetting that peer) is this one.
void MessageEndpoint::FlushSends() {
  if (flushing_now_) return;
  flushing_now_ = true;
  for (int round = 0; round < 4 && !outgoing_.empty(); ++round) {
    flushing_.swap(outgoing_);
    if (flushing_.size() == 1) {
      PostOne(flushing_.front());
      flushing_.clear();
      continue;
    }
    // Per peer, in the order the peers first appear, each peer's messages in order.
    for (size_t i = 0; i < flushing_.size(); ++i) {
      if (flushing_[i].buf == nullptr) continue;
      fi_addr_t peer = flushing_[i].peer;
      to_peer_.clear();
      for (size_t j = i; j < flushing_.size(); ++j) {
        if (flushing_[j].buf != nullptr && flushing_[j].peer == peer) {
          to_peer_.push_back(flushing_[j]);
          flushing_[j].buf = nullptr;
        }
      }
      PostToPeer(peer, to_peer_);
    }
    flushing_.clear();
  }
  flushing_now_ = false;
}

void MessageEndpoint::PostToPeer(fi_addr_t peer, std::vector<Outgoing>& out) {
  size_t i = 0;
  while (i < out.size()) {
    // The longest run from i of bundleable messages that fits the limit.
    size_t j = i;
    size_t bytes = sizeof(Header);
    size_t cap = out.size() - i >= kLargeBundleAt ? kMessageBufferSize : kEagerBundle;
    while (j < out.size() && Bundleable(out[j].start, out[j].len) &&
           bytes + BundleEntrySize(out[j].len) <= cap) {
      bytes += BundleEntrySize(out[j].len);
      ++j;
    }
    if (j - i < 2) {
      PostOne(out[i]);
      ++i;
      continue;
    }
    MessageBuffer* b = AllocSend();
    Header h{};
    h.magic = kMagic;
    h.version = kVersion;
    h.flags = kFlagBundle;
    h.payload_len = static_cast<uint32_t>(bytes - sizeof(Header));
    std::memcpy(b->data, &h, sizeof(Header));
    char* p = b->data + sizeof(Header);
    b->bundled_cookies.clear();
    for (size_t k = i; k < j; ++k) {
      auto n = static_cast<uint32_t>(out[k].len);
      size_t entry = BundleEntrySize(n);
      std::memcpy(p, &n, sizeof(n));
      std::memset(p + sizeof(n), 0, kBundleEntryHeader - sizeof(n));
      std::memcpy(p + kBundleEntryHeader, out[k].start, n);
      std::memset(p + kBundleEntryHeader + n, 0, entry - kBundleEntryHeader - n);
      p += entry;
      b->bundled_cookies.push_back(out[k].cookie);
      free_sends_.push_back(out[k].buf);
    }
    ++bundles_sent_;
    PostOne({b, peer, b->data, bytes, 0});
    i = j;
  }
}

void MessageEndpoint::PostOne(const Outgoing& o) {
  o.buf->peer = o.peer;
  o.buf->cookie = o.cookie;
  fabric_->PostSend(&o.buf->op, o.peer, o.start, o.len, o.buf->desc);
}

void MessageEndpoint::Release(MessageBuffer* buf) {
  if (buf->refs > 1) {
    --buf->refs;
    return;
  }
  buf->refs = 0;
  free_sends_.push_back(buf);
}

void MessageEndpoint::Repost(MessageBuffer* buf) {
  fabric_->PostRecv(&buf->op, buf->data, kMessageBufferSize, buf->desc);
}

// A bundle's messages each go to the receiver, which releases the buffer once per message; a
// malformed bundle goes as it is, and the receiver refuses it (kFlagBundle is not a message's
// flag).
void MessageEndpoint::Deliver(MessageBuffer* buf, size_t len) {
  if (SplitBundle(buf->data, len, &split_)) {
    ++bundles_received_;
    std::vector<std::string_view> parts = std::move(split_);  // in case a receiver re-enters
    buf->refs = static_cast<uint32_t>(parts.size());
    for (std::string_view m : parts) {
      char* data = buf->data + (m.data() - buf->data);
      if (faults_ != nullptr) MaybeFlipInline(data, m.size());
      on_message_(buf, data, m.size());
    }
    parts.clear();
    split_ = std::move(parts);
    return;
  }
  buf->refs = 1;
  if (faults_ != nullptr) MaybeFlipInline(buf->data, len);
  on_message_(buf, buf->data, len);
}

void MessageEndpoint::OnComplete(FabricOp* op, int err, size_t len) {
  auto* buf = reinterpret_cast<MessageBuffer*>(op);
  MessageEndpoint* self = buf->owner;
  if (buf->is_recv) {
    if (err == -FI_ECANCELED) return;  // endpoint closing
    if (err != 0) {
      self->Repost(buf);
      if (self->on_recv_error_) self->on_recv_error_(err);
      return;
    }
    // Keep the number of posted receives constant: a fresh buffer takes this one's place, and
    // the receiver gives this one back through Release when it is done with the message.
    MessageBuffer* fresh = self->AllocSend();
    fresh->is_recv = true;
    self->Repost(fresh);
    buf->is_recv = false;
    self->Deliver(buf, len);
    return;
  }
  fi_addr_t peer = buf->peer;
  uint64_t cookie = buf->cookie;
  if (buf->bundled_cookies.empty()) {
    self->free_sends_.push_back(buf);
    if (err != 0 && self->on_send_error_) self->on_send_error_(peer, cookie, err);
    return;
  }
  // A bundle: every message in it failed or went.
  std::vector<uint64_t> cookies = std::move(buf->bundled_cookies);
  buf->bundled_cookies.clear();
  self->free_sends_.push_back(buf);
  if (err != 0 && self->on_send_error_) {
    for (uint64_t c : cookies) self->on_send_error_(peer, c, err);
  }
}

Task<Status> MessageEndpoint::Rma(bool read, fi_addr_t peer, char* local, void* desc, size_t len,
                                  uint64_t remote_addr, uint64_t key) {
  if (len == 0) co_return Status::Ok();
  size_t chunk = std::min(kMaxRmaChunk, fabric_->max_rma_size());
  // Fault injection: a pushed bit is flipped in the source for the transfer's duration.
  char* flipped = nullptr;
  if (faults_ != nullptr && !read && FaultInjection::Take(faults_->flip_rma_write)) {
    flipped = local + len / 2;
    *flipped ^= 1;
    ++faults_->flipped;
  }
  RmaWait wait(loop_);
  wait.chunks.resize((len + chunk - 1) / chunk);
  wait.remaining = wait.chunks.size();
  for (size_t i = 0; i < wait.chunks.size(); ++i) {
    RmaWait::Chunk& c = wait.chunks[i];
    c.op.on_complete = &RmaWait::Done;
    c.parent = &wait;
    size_t off = i * chunk;
    size_t n = std::min(chunk, len - off);
    if (read) {
      fabric_->PostRead(&c.op, peer, local + off, n, desc, remote_addr + off, key);
    } else {
      fabric_->PostWrite(&c.op, peer, local + off, n, desc, remote_addr + off, key);
    }
  }
  co_await wait;
  if (flipped != nullptr) *flipped ^= 1;
  if (faults_ != nullptr && read && wait.first_err == 0 &&
      FaultInjection::Take(faults_->flip_rma_read)) {
    local[len / 2] ^= 1;
    ++faults_->flipped;
  }
  if (wait.first_err != 0) {
    co_return Status(StatusCode::kRpcBulkFailed,
                     FabricStatus(read ? "fi_read" : "fi_write", wait.first_err).message());
  }
  co_return Status::Ok();
}

void MessageEndpoint::MaybeFlipInline(char* data, size_t len) {
  Header h;
  if (len < sizeof(Header)) return;
  std::memcpy(&h, data, sizeof(Header));
  if (h.payload_len == 0 || h.payload_len > len) return;
  if (!FaultInjection::Take(faults_->flip_inline)) return;
  data[len - 1 - h.payload_len / 2] ^= 1;  // a byte of the payload, which ends the message
  ++faults_->flipped;
}

Result<BulkBuffer> MessageEndpoint::AcquireBulk(size_t size) {
  size_t size_class = std::bit_ceil(std::max(size, kMinBulkClass));
  BulkEntry entry;
  if (auto it = bulk_free_.find(size_class); it != bulk_free_.end()) {
    entry = std::move(it->second);
    bulk_cached_ -= size_class;
    bulk_free_.erase(it);
  } else {
    entry.data = static_cast<char*>(std::aligned_alloc(kPayloadAlign, size_class));
    if (entry.data == nullptr) {
      return Status(StatusCode::kNoSpace, "out of memory for a bulk buffer");
    }
    auto region = fabric_->RegisterMemory(entry.data, size_class);
    if (!region.ok()) {
      std::free(entry.data);
      return region.status();
    }
    entry.mr = std::make_unique<MemoryRegion>(std::move(region).value());
    entry.fixed = RegisterFixed(entry.data, size_class);
  }
  BulkBuffer buf(this, size_class, entry.data, entry.mr.get(), entry.fixed);
  bulk_in_use_[entry.data] = std::move(entry);
  return buf;
}

void MessageEndpoint::ReleaseBulk(size_t size_class, char* data) {
  auto it = bulk_in_use_.find(data);
  if (it == bulk_in_use_.end()) return;
  BulkEntry entry = std::move(it->second);
  bulk_in_use_.erase(it);
  if (bulk_cached_ + size_class <= bulk_cache_bytes_) {
    bulk_cached_ += size_class;
    bulk_free_.emplace(size_class, std::move(entry));
    return;
  }
  FreeBulk(entry);
}

}  // namespace weft::rpc
