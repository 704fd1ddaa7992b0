// FabricEndpoint: one libfabric reliable-datagram endpoint (FI_EP_RDM, FI_MSG | FI_RMA) with
// its fabric, domain, address vector and completion queue, driven by one EventLoop.
//
// This is the layer below the RPC engine: it posts sends, receives and RMA reads/writes, and
// hands completions back to the FabricOp that was posted. It knows nothing of RPC messages.
//
// Following the fabtests: every failed fabric call is logged and returned by name with
// fi_strerror; a post that returns -FI_EAGAIN is parked and retried after the completion queue
// has been drained (Poll); -FI_EAVAIL is answered by reading the error entry and completing the
// op it names with the error.
//
// -FI_EAGAIN means "not now" for a full queue and for a peer that cannot be reached alike:
// tcp;ofi_rxm answers a send to a peer that refuses the connection (a client that is gone)
// with -FI_EAGAIN, and tries to connect again at each post. Giving up is the application's
// call (ofiwg/libfabric#7441). So a destination whose posts have met nothing but -FI_EAGAIN for
// a while is retried less and less often (kBackoffAfter, up to kMaxBackoff), and after
// Options::give_up_after its posts complete with -FI_EHOSTUNREACH.
//
// Threading: loop-thread only (REQUIRES: loop.InLoopThread()) for everything after Open; the
// domain is opened FI_THREAD_DOMAIN, so there is no locking inside libfabric either.
#pragma once

#include <rdma/fabric.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/nid.h"
#include "common/status.h"

struct fid_fabric;
struct fid_domain;
struct fid_ep;
struct fid_av;
struct fid_cq;
struct fid_mr;
struct fi_info;

namespace weft {

// "fi_send: Connection refused (-111)"
Status FabricStatus(std::string_view call, int ret);

// An operation posted to the endpoint. `ctx` must stay the first member: libfabric hands its
// address back as the completion's op_context.
struct FabricOp {
  fi_context2 ctx;
  // Called on the loop thread with 0 and the completed length, or a negative fi errno.
  void (*on_complete)(FabricOp* op, int err, size_t len) = nullptr;
};

// A registered memory region, for RMA. Move-only; deregisters on destruction.
class MemoryRegion {
 public:
  MemoryRegion() = default;
  MemoryRegion(fid_mr* mr, void* base, size_t len, bool virt_addr);
  MemoryRegion(MemoryRegion&& o) noexcept;
  MemoryRegion& operator=(MemoryRegion&& o) noexcept;
  ~MemoryRegion();

  bool valid() const { return mr_ != nullptr; }
  void* desc() const;       // local descriptor for posts on this memory
  uint64_t key() const;     // remote key to send to the peer
  // The address a peer names in RMA: the virtual address, or offset 0 for providers without
  // FI_MR_VIRT_ADDR.
  uint64_t remote_addr() const;
  void* base() const { return base_; }
  size_t length() const { return len_; }

 private:
  void Reset();
  fid_mr* mr_ = nullptr;
  void* base_ = nullptr;
  size_t len_ = 0;
  bool virt_addr_ = true;
};

class FabricEndpoint : public EventLoop::Poller {
 public:
  struct Options {
    std::string net = "tcp";  // tcp, verbs or shm (see nid.h)
    // Servers bind to host:port. Clients leave port 0; host then only picks the interface
    // (give the address of a server the client will talk to, or leave it empty).
    std::string host;
    uint16_t port = 0;
    size_t cq_batch = 32;  // completions read per fi_cq_read
    // How long the posts to one destination may meet only -FI_EAGAIN before they complete
    // with -FI_EHOSTUNREACH (clients give up sooner: their calls' attempts time out).
    std::chrono::milliseconds give_up_after{10000};
  };

  // A backlog is retried within kRetryWithin; a destination stuck for kBackoffAfter is retried
  // after a growing pause, from kMinBackoff.
  static constexpr std::chrono::milliseconds kRetryWithin{1};
  // 50 ms: a live peer's full queue takes a post far sooner (a 1 MiB push is about 0.5 ms on
  // loopback), so only a peer that is gone waits through the pauses.
  static constexpr std::chrono::milliseconds kBackoffAfter{50};
  static constexpr std::chrono::milliseconds kMinBackoff{1};
  static constexpr std::chrono::milliseconds kMaxBackoff{100};

  // Opens fabric, domain, AV, CQ and endpoint, binds and enables. Errors name the stage.
  static Result<std::unique_ptr<FabricEndpoint>> Open(EventLoop& loop, const Options& options);
  ~FabricEndpoint() override;

  // The endpoint's own address, as fi_getname gives it (sent to servers so they can reply).
  const std::string& local_name() const { return local_name_; }
  // The bound port, when the provider addresses by IP (tcp); 0 otherwise.
  uint16_t local_port() const;
  // Limits of the provider.
  size_t max_msg_size() const;
  size_t max_rma_size() const;

  // Address vector. Insert resolves host:port through fi_getinfo for this provider.
  Result<fi_addr_t> InsertAddress(const std::string& host, uint16_t port);
  Result<fi_addr_t> InsertRawAddress(std::string_view raw);
  // Drops the address and with it the provider's connection state to that peer, so that the
  // next send to a re-inserted address connects afresh (used after a peer restarts). Posts to
  // it still waiting in the backlog complete with -FI_ECANCELED from the next Poll: posted
  // after the removal, they would reach the provider with an address it no longer knows.
  void RemoveAddress(fi_addr_t addr);

  // Registers [base, base+len) for local access and remote read/write.
  Result<MemoryRegion> RegisterMemory(void* base, size_t len);

  // Posts. The buffer and the op must stay valid until op->on_complete runs. A post that meets
  // -FI_EAGAIN is queued and retried; other failures complete the op with the error (so the
  // caller has exactly one completion path).
  void PostRecv(FabricOp* op, void* buf, size_t len, void* desc);
  void PostSend(FabricOp* op, fi_addr_t dest, const void* buf, size_t len, void* desc);
  void PostRead(FabricOp* op, fi_addr_t peer, void* buf, size_t len, void* desc,
                uint64_t remote_addr, uint64_t key);
  void PostWrite(FabricOp* op, fi_addr_t peer, const void* buf, size_t len, void* desc,
                 uint64_t remote_addr, uint64_t key);

  // EventLoop::Poller
  int Poll() override;
  int WaitFd() override { return wait_fd_; }
  bool TryWait() override;
  // Now, for cancelled posts; for the backlog, the earliest retry of a destination that is
  // backing off, else within a millisecond.
  std::optional<std::chrono::steady_clock::time_point> PollBy() const override;

  // The posts to `dest` waiting in the backlog, and how long it has taken none of them (zero
  // when none wait): for a sender of one-way messages, which drops them rather than pile them
  // up behind a peer that is gone.
  struct Waiting {
    size_t posts = 0;
    std::chrono::steady_clock::duration stuck_for{0};
  };
  Waiting WaitingFor(fi_addr_t dest) const;
  // The sends, writes and reads waiting in the backlog for any peer. Any thread.
  size_t PostsWaiting() const { return posts_waiting_.load(std::memory_order_relaxed); }

  // Called at every Poll, before and after reading completions, before the loop blocks and
  // before an address is removed: the MessageEndpoint above posts the sends it gathered in the
  // loop's turn.
  void SetFlushHook(std::function<void()> hook) { flush_ = std::move(hook); }

  // Counters, for metrics and tests. Any thread.
  uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }
  // Posts tried again from the backlog (each may cost the provider a connect attempt).
  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }

 private:
  enum class Kind { kRecv, kSend, kRead, kWrite };
  struct Pending {
    Kind kind;
    FabricOp* op;
    fi_addr_t peer;
    void* buf;
    size_t len;
    void* desc;
    uint64_t remote_addr;
    uint64_t key;
  };

  explicit FabricEndpoint(EventLoop& loop) : loop_(loop) {}
  Status OpenFabric(const Options& options);
  Status OpenEndpoint();
  Status ReadLocalName();
  using Clock = std::chrono::steady_clock;
  // The posts waiting for one destination, and since when it has taken none of them.
  struct Backlog {
    std::deque<Pending> queue;
    Clock::time_point stuck_since;
    Clock::time_point next_try;       // not retried before (backing off)
    Clock::duration backoff{0};
  };

  // Tries the post once; returns the fi return value.
  ssize_t TryPost(const Pending& p);
  void Post(const Pending& p);
  void RetryBacklog();
  int ReadErrorEntry();

  EventLoop& loop_;
  fi_info* info_ = nullptr;
  fid_fabric* fabric_ = nullptr;
  fid_domain* domain_ = nullptr;
  fid_av* av_ = nullptr;
  fid_cq* cq_ = nullptr;
  fid_ep* ep_ = nullptr;
  int wait_fd_ = -1;
  std::string local_name_;
  size_t cq_batch_ = 32;
  // Posts that met -FI_EAGAIN wait here, one queue per destination (receives under
  // FI_ADDR_UNSPEC), so a peer that takes nothing more (a dead or cut-off server) does not hold
  // up posts to the others. Order within a destination is kept; empty queues are erased.
  std::map<fi_addr_t, Backlog> backlog_;
  std::chrono::milliseconds give_up_after_{10000};
  // Backlogged posts to a removed address, to complete with an error at the next Poll (not
  // inside RemoveAddress, whose caller may post again before it has the new address).
  std::vector<FabricOp*> cancelled_;
  std::function<void()> flush_;
  // Recounts posts_waiting_ after the backlog changed.
  void CountWaiting();
  std::atomic<size_t> posts_waiting_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> retries_{0};
};

}  // namespace weft
