#include "common/fabric.h"

#include <utility>

#include <netinet/in.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace weft {
namespace {

constexpr uint32_t kFabricVersion = FI_VERSION(1, 17);

// Keys for providers that take the key from us (no FI_MR_PROV_KEY): unique per process.
std::atomic<uint64_t> next_mr_key{1};

struct InfoDeleter {
  void operator()(fi_info* i) const { fi_freeinfo(i); }
};
using InfoPtr = std::unique_ptr<fi_info, InfoDeleter>;

InfoPtr MakeHints(const std::string& provider) {
  InfoPtr hints(fi_allocinfo());
  hints->ep_attr->type = FI_EP_RDM;
  hints->caps = FI_MSG | FI_RMA | FI_SEND | FI_RECV | FI_READ | FI_WRITE | FI_REMOTE_READ |
                FI_REMOTE_WRITE;
  hints->mode = FI_CONTEXT | FI_CONTEXT2;
  hints->domain_attr->mr_mode =
      FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_ENDPOINT;
  hints->domain_attr->threading = FI_THREAD_DOMAIN;
  hints->fabric_attr->prov_name = strdup(provider.c_str());
  return hints;
}

}  // namespace

Status FabricStatus(std::string_view call, int ret) {
  int err = ret < 0 ? -ret : ret;
  return Status(StatusCode::kFabricError, std::string(call) + ": " + fi_strerror(err) + " (-" +
                                              std::to_string(err) + ")");
}

// ---- MemoryRegion ----

MemoryRegion::MemoryRegion(fid_mr* mr, void* base, size_t len, bool virt_addr)
    : mr_(mr), base_(base), len_(len), virt_addr_(virt_addr) {}

MemoryRegion::MemoryRegion(MemoryRegion&& o) noexcept
    : mr_(std::exchange(o.mr_, nullptr)), base_(o.base_), len_(o.len_), virt_addr_(o.virt_addr_) {}

MemoryRegion& MemoryRegion::operator=(MemoryRegion&& o) noexcept {
  if (this != &o) {
    Reset();
    mr_ = std::exchange(o.mr_, nullptr);
    base_ = o.base_;
    len_ = o.len_;
    virt_addr_ = o.virt_addr_;
  }
  return *this;
}

MemoryRegion::~MemoryRegion() { Reset(); }

void MemoryRegion::Reset() {
  if (mr_ != nullptr) fi_close(&mr_->fid);
  mr_ = nullptr;
}

void* MemoryRegion::desc() const { return fi_mr_desc(mr_); }
uint64_t MemoryRegion::key() const { return fi_mr_key(mr_); }
uint64_t MemoryRegion::remote_addr() const {
  return virt_addr_ ? reinterpret_cast<uint64_t>(base_) : 0;
}

// ---- FabricEndpoint: set-up ----

Result<std::unique_ptr<FabricEndpoint>> FabricEndpoint::Open(EventLoop& loop,
                                                             const Options& options) {
  std::unique_ptr<FabricEndpoint> ep(new FabricEndpoint(loop));
  ep->cq_batch_ = options.cq_batch;
  ep->give_up_after_ = options.give_up_after;
  WEFT_RETURN_IF_ERROR(ep->OpenFabric(options));
  WEFT_RETURN_IF_ERROR(ep->OpenEndpoint());
  WEFT_RETURN_IF_ERROR(ep->ReadLocalName());
  loop.AddPoller(ep.get());
  return ep;
}

Status FabricEndpoint::OpenFabric(const Options& options) {
  WEFT_ASSIGN_OR_RETURN(std::string provider, ProviderForNet(options.net));
  InfoPtr hints = MakeHints(provider);
  const char* node = options.host.empty() ? nullptr : options.host.c_str();
  std::string service = options.port ? std::to_string(options.port) : std::string();
  uint64_t flags = options.port ? FI_SOURCE : 0;
  int ret = fi_getinfo(kFabricVersion, node, service.empty() ? nullptr : service.c_str(), flags,
                       hints.get(), &info_);
  if (ret != 0) {
    return FabricStatus("fi_getinfo(" + provider + ", " + (node ? node : "any") + ":" + service +
                            ")",
                        ret);
  }
  if ((ret = fi_fabric(info_->fabric_attr, &fabric_, nullptr)) != 0) {
    return FabricStatus("fi_fabric", ret);
  }
  if ((ret = fi_domain(fabric_, info_, &domain_, nullptr)) != 0) {
    return FabricStatus("fi_domain", ret);
  }
  return Status::Ok();
}

Status FabricEndpoint::OpenEndpoint() {
  fi_av_attr av_attr{};
  av_attr.type = FI_AV_UNSPEC;
  int ret = fi_av_open(domain_, &av_attr, &av_, nullptr);
  if (ret != 0) return FabricStatus("fi_av_open", ret);

  fi_cq_attr cq_attr{};
  cq_attr.format = FI_CQ_FORMAT_DATA;
  cq_attr.wait_obj = FI_WAIT_FD;
  cq_attr.size = 4096;
  ret = fi_cq_open(domain_, &cq_attr, &cq_, nullptr);
  if (ret == -FI_ENOSYS || ret == -FI_EINVAL) {  // no fd to wait on: poll only
    cq_attr.wait_obj = FI_WAIT_NONE;
    ret = fi_cq_open(domain_, &cq_attr, &cq_, nullptr);
  }
  if (ret != 0) return FabricStatus("fi_cq_open", ret);
  if (cq_attr.wait_obj == FI_WAIT_FD &&
      (ret = fi_control(&cq_->fid, FI_GETWAIT, &wait_fd_)) != 0) {
    return FabricStatus("fi_control(FI_GETWAIT)", ret);
  }

  if ((ret = fi_endpoint(domain_, info_, &ep_, nullptr)) != 0) {
    return FabricStatus("fi_endpoint", ret);
  }
  if ((ret = fi_ep_bind(ep_, &av_->fid, 0)) != 0) return FabricStatus("fi_ep_bind(av)", ret);
  if ((ret = fi_ep_bind(ep_, &cq_->fid, FI_TRANSMIT | FI_RECV)) != 0) {
    return FabricStatus("fi_ep_bind(cq)", ret);
  }
  if ((ret = fi_enable(ep_)) != 0) return FabricStatus("fi_enable", ret);
  return Status::Ok();
}

Status FabricEndpoint::ReadLocalName() {
  size_t len = 0;
  int ret = fi_getname(&ep_->fid, nullptr, &len);
  if (ret != -FI_ETOOSMALL && ret != 0) return FabricStatus("fi_getname(size)", ret);
  local_name_.resize(len);
  if ((ret = fi_getname(&ep_->fid, local_name_.data(), &len)) != 0) {
    return FabricStatus("fi_getname", ret);
  }
  local_name_.resize(len);
  return Status::Ok();
}

FabricEndpoint::~FabricEndpoint() {
  if (cq_ != nullptr) loop_.RemovePoller(this);
  if (ep_ != nullptr) fi_close(&ep_->fid);
  if (av_ != nullptr) fi_close(&av_->fid);
  if (cq_ != nullptr) fi_close(&cq_->fid);
  if (domain_ != nullptr) fi_close(&domain_->fid);
  if (fabric_ != nullptr) fi_close(&fabric_->fid);
  if (info_ != nullptr) fi_freeinfo(info_);
}

uint16_t FabricEndpoint::local_port() const {
  if (info_->addr_format == FI_SOCKADDR_IN && local_name_.size() >= sizeof(sockaddr_in)) {
    sockaddr_in sin;
    std::memcpy(&sin, local_name_.data(), sizeof(sin));
    return ntohs(sin.sin_port);
  }
  if (info_->addr_format == FI_SOCKADDR_IN6 && local_name_.size() >= sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, local_name_.data(), sizeof(sin6));
    return ntohs(sin6.sin6_port);
  }
  return 0;
}

size_t FabricEndpoint::max_msg_size() const { return info_->ep_attr->max_msg_size; }
size_t FabricEndpoint::max_rma_size() const { return info_->ep_attr->max_msg_size; }

// ---- addresses and memory ----

Result<fi_addr_t> FabricEndpoint::InsertAddress(const std::string& host, uint16_t port) {
  InfoPtr hints(fi_dupinfo(info_));
  std::free(hints->src_addr);
  hints->src_addr = nullptr;
  hints->src_addrlen = 0;
  fi_info* found = nullptr;
  std::string service = std::to_string(port);
  int ret = fi_getinfo(kFabricVersion, host.c_str(), service.c_str(), 0, hints.get(), &found);
  if (ret != 0) return FabricStatus("fi_getinfo(" + host + ":" + service + ")", ret);
  InfoPtr owner(found);
  if (found->dest_addr == nullptr) {
    return Status(StatusCode::kBadNid, "no fabric address for " + host + ":" + service);
  }
  return InsertRawAddress(
      std::string_view(static_cast<const char*>(found->dest_addr), found->dest_addrlen));
}

Result<fi_addr_t> FabricEndpoint::InsertRawAddress(std::string_view raw) {
  fi_addr_t addr = FI_ADDR_NOTAVAIL;
  int ret = fi_av_insert(av_, raw.data(), 1, &addr, 0, nullptr);
  if (ret != 1) return FabricStatus("fi_av_insert", ret < 0 ? ret : -FI_EINVAL);
  return addr;
}

void FabricEndpoint::RemoveAddress(fi_addr_t addr) {
  // Sends gathered earlier in this turn go first, to the address they were meant for: the
  // provider may give its slot to the next address inserted.
  if (flush_) flush_();
  if (auto it = backlog_.find(addr); it != backlog_.end()) {
    for (const Pending& p : it->second.queue) cancelled_.push_back(p.op);
    backlog_.erase(it);
    CountWaiting();
  }
  int ret = fi_av_remove(av_, &addr, 1, 0);
  if (ret != 0) spdlog::warn("fi_av_remove: {}", fi_strerror(-ret));
}

Result<MemoryRegion> FabricEndpoint::RegisterMemory(void* base, size_t len) {
  uint64_t access =
      FI_SEND | FI_RECV | FI_READ | FI_WRITE | FI_REMOTE_READ | FI_REMOTE_WRITE;
  fid_mr* mr = nullptr;
  int ret = fi_mr_reg(domain_, base, len, access, 0, next_mr_key++, 0, &mr, nullptr);
  if (ret != 0) return FabricStatus("fi_mr_reg(" + std::to_string(len) + " bytes)", ret);
  MemoryRegion region(mr, base, len, (info_->domain_attr->mr_mode & FI_MR_VIRT_ADDR) != 0);
  if (info_->domain_attr->mr_mode & FI_MR_ENDPOINT) {
    if ((ret = fi_mr_bind(mr, &ep_->fid, 0)) != 0) return FabricStatus("fi_mr_bind", ret);
    if ((ret = fi_mr_enable(mr)) != 0) return FabricStatus("fi_mr_enable", ret);
  }
  return region;
}

// ---- posting ----

ssize_t FabricEndpoint::TryPost(const Pending& p) {
  void* ctx = &p.op->ctx;
  switch (p.kind) {
    case Kind::kRecv:
      return fi_recv(ep_, p.buf, p.len, p.desc, FI_ADDR_UNSPEC, ctx);
    case Kind::kSend:
      return fi_send(ep_, p.buf, p.len, p.desc, p.peer, ctx);
    case Kind::kRead:
      return fi_read(ep_, p.buf, p.len, p.desc, p.peer, p.remote_addr, p.key, ctx);
    case Kind::kWrite:
      return fi_write(ep_, p.buf, p.len, p.desc, p.peer, p.remote_addr, p.key, ctx);
  }
  return -FI_EINVAL;
}

void FabricEndpoint::Post(const Pending& p) {
  auto waiting = backlog_.find(p.peer);
  if (waiting != backlog_.end()) {  // keep posts in order behind those already waiting
    waiting->second.queue.push_back(p);
    CountWaiting();
    return;
  }
  ssize_t ret = TryPost(p);
  if (ret == -FI_EAGAIN) {
    Backlog& b = backlog_[p.peer];
    b.queue.push_back(p);
    b.stuck_since = b.next_try = Clock::now();
    CountWaiting();
  } else if (ret != 0) {
    ++errors_;
    static constexpr const char* kNames[] = {"fi_recv", "fi_send", "fi_read", "fi_write"};
    spdlog::warn("{}: {}", kNames[static_cast<int>(p.kind)], fi_strerror(static_cast<int>(-ret)));
    p.op->on_complete(p.op, static_cast<int>(ret), 0);
  }
}

// A destination that takes nothing is tried at every poll for kBackoffAfter (a full queue
// drains sooner), then after pauses that double up to kMaxBackoff, and given up after
// give_up_after_. Receives (FI_ADDR_UNSPEC) wait for their own completions, and are never given
// up on. Failed posts complete after the walk: a completion may post again or remove an
// address, and so change the backlog.
void FabricEndpoint::RetryBacklog() {
  if (backlog_.empty()) return;  // every poll comes here: no clock read when nothing waits
  std::vector<std::pair<FabricOp*, int>> failed;
  Clock::time_point now = Clock::now();
  for (auto it = backlog_.begin(); it != backlog_.end();) {
    Backlog& b = it->second;
    bool sends = it->first != FI_ADDR_UNSPEC;
    if (sends && now - b.stuck_since >= give_up_after_) {
      spdlog::warn("fabric: gave up on {} post(s) to peer {} after {} ms of -FI_EAGAIN (the "
                   "peer is unreachable or refuses connections)",
                   b.queue.size(), it->first, give_up_after_.count());
      for (const Pending& p : b.queue) failed.emplace_back(p.op, -FI_EHOSTUNREACH);
      it = backlog_.erase(it);
      continue;
    }
    if (now < b.next_try) {
      ++it;
      continue;
    }
    while (!b.queue.empty()) {
      Pending p = b.queue.front();
      ++retries_;
      ssize_t ret = TryPost(p);
      if (ret == -FI_EAGAIN) break;  // this destination is still full: try the next one
      b.queue.pop_front();
      b.stuck_since = now;
      b.backoff = Clock::duration{0};
      if (ret != 0) failed.emplace_back(p.op, static_cast<int>(ret));
    }
    if (!b.queue.empty() && sends && now - b.stuck_since >= kBackoffAfter) {
      b.backoff = std::clamp<Clock::duration>(b.backoff * 2, kMinBackoff, kMaxBackoff);
      b.next_try = now + b.backoff;
    }
    it = b.queue.empty() ? backlog_.erase(it) : std::next(it);
  }
  CountWaiting();
  for (auto [op, err] : failed) {
    ++errors_;
    op->on_complete(op, err, 0);
  }
}

FabricEndpoint::Waiting FabricEndpoint::WaitingFor(fi_addr_t dest) const {
  auto it = backlog_.find(dest);
  if (it == backlog_.end()) return {};
  return {it->second.queue.size(), Clock::now() - it->second.stuck_since};
}

// Only where the backlog changed, which it rarely does: posts wait only for a full or
// unreachable peer.
void FabricEndpoint::CountWaiting() {
  size_t n = 0;
  for (const auto& [dest, b] : backlog_) {
    if (dest != FI_ADDR_UNSPEC) n += b.queue.size();
  }
  posts_waiting_.store(n, std::memory_order_relaxed);
}

void FabricEndpoint::PostRecv(FabricOp* op, void* buf, size_t len, void* desc) {
  Post({Kind::kRecv, op, FI_ADDR_UNSPEC, buf, len, desc, 0, 0});
}
void FabricEndpoint::PostSend(FabricOp* op, fi_addr_t dest, const void* buf, size_t len,
                              void* desc) {
  Post({Kind::kSend, op, dest, const_cast<void*>(buf), len, desc, 0, 0});
}
void FabricEndpoint::PostRead(FabricOp* op, fi_addr_t peer, void* buf, size_t len, void* desc,
                              uint64_t remote_addr, uint64_t key) {
  Post({Kind::kRead, op, peer, buf, len, desc, remote_addr, key});
}
void FabricEndpoint::PostWrite(FabricOp* op, fi_addr_t peer, const void* buf, size_t len,
                               void* desc, uint64_t remote_addr, uint64_t key) {
  Post({Kind::kWrite, op, peer, const_cast<void*>(buf), len, desc, remote_addr, key});
}

// ---- completions ----

int FabricEndpoint::Poll() {
  if (flush_) flush_();
  int cancelled = static_cast<int>(cancelled_.size());
  for (FabricOp* op : std::exchange(cancelled_, {})) {
    ++errors_;
    op->on_complete(op, -FI_ECANCELED, 0);
  }
  if (cancelled > 0) return cancelled;
  RetryBacklog();
  fi_cq_data_entry entries[64];
  size_t batch = std::min<size_t>(cq_batch_, 64);
  ssize_t n = fi_cq_read(cq_, entries, batch);
  if (n == -FI_EAGAIN) return 0;
  if (n == -FI_EAVAIL) return ReadErrorEntry();
  if (n < 0) {
    ++errors_;
    spdlog::error("fi_cq_read: {}", fi_strerror(static_cast<int>(-n)));
    return 0;
  }
  for (ssize_t i = 0; i < n; ++i) {
    auto* op = static_cast<FabricOp*>(entries[i].op_context);
    op->on_complete(op, 0, entries[i].len);
  }
  if (flush_) flush_();
  if (!backlog_.empty()) RetryBacklog();
  return static_cast<int>(n);
}

int FabricEndpoint::ReadErrorEntry() {
  fi_cq_err_entry err{};
  ssize_t ret = fi_cq_readerr(cq_, &err, 0);
  if (ret != 1) return 0;
  ++errors_;
  if (err.err != FI_ECANCELED) {
    char buf[256];
    const char* detail = fi_cq_strerror(cq_, err.prov_errno, err.err_data, buf, sizeof(buf));
    spdlog::debug("fabric completion error: {} ({})", fi_strerror(err.err),
                  detail ? detail : "no detail");
  }
  auto* op = static_cast<FabricOp*>(err.op_context);
  if (op != nullptr) op->on_complete(op, -err.err, err.len);
  return 1;
}

std::optional<FabricEndpoint::Clock::time_point> FabricEndpoint::PollBy() const {
  if (!cancelled_.empty()) return Clock::now();
  if (backlog_.empty()) return std::nullopt;
  Clock::time_point soon = Clock::now() + kRetryWithin;
  Clock::time_point by = Clock::time_point::max();
  for (const auto& [peer, b] : backlog_) by = std::min(by, std::max(b.next_try, soon));
  return by;
}

bool FabricEndpoint::TryWait() {
  // Posts waiting in the backlog do not stop the loop from blocking: PollBy() keeps the block
  // short, so they are retried within a millisecond (or their backoff) without spinning on a
  // dead peer.
  if (flush_) flush_();
  if (wait_fd_ < 0) return false;
  fid_t fids[1] = {&cq_->fid};
  return fi_trywait(fabric_, fids, 1) == FI_SUCCESS;
}

}  // namespace weft
