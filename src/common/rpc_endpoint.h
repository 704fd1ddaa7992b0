// MessageEndpoint: what RpcServer and RpcClient share. A FabricEndpoint plus registered
// buffers for messages (pre-posted receives, pooled sends), RMA with completion awaiting, and
// pooled registered bulk buffers.
//
// Every buffer is registered twice: with the fabric (fi_mr_reg, for sends, receives and RMA)
// and with the loop's io_uring (a fixed-buffer slot), so that the disk reads and writes the
// very memory the network fills and drains, without pinning its pages per I/O. Message and
// bulk buffers are 4 KiB aligned, so that O_DIRECT I/O applies to them.
//
// Threading: loop-thread only, like the FabricEndpoint under it.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "common/fabric.h"
#include "common/rpc_wire.h"
#include "common/task.h"
#include "common/uring.h"

namespace weft::rpc {

// Largest message: header, address, body, padding and an inline payload of up to
// kMaxInlineThreshold; rounded up to whole pages so that every buffer of a slab is aligned.
constexpr size_t kMaxInlineThreshold = 64 * 1024;
constexpr size_t kMessageBufferSize =
    (sizeof(Header) + kMaxAddressLen + kMaxBodyLen + kPayloadAlign + kMaxInlineThreshold +
     kPayloadAlign - 1) / kPayloadAlign * kPayloadAlign;

// Test-only fault injection (no configuration key sets it): each count is how many more
// transfers of that kind get one bit flipped, as a faulty link or NIC would do. Any thread.
struct FaultInjection {
  std::atomic<int> flip_rma_read{0};   // data pulled with fi_read (a Write's payload, at a server)
  std::atomic<int> flip_rma_write{0};  // data pushed with fi_write (a Read's payload, to a client)
  std::atomic<int> flip_inline{0};     // the inline payload of a message received
  std::atomic<int> flipped{0};         // bits flipped so far
  // Takes one from `count` if it is positive.
  static bool Take(std::atomic<int>& count);
};

class MessageEndpoint;

// A pull (fi_read) of a peer's buffer in pieces, all posted at once and each awaited on its
// own, so that a server can work on the first piece while the others are still in flight.
// REQUIRES: outlives its reads: co_await Drain() before destroying it. Loop-thread only.
class PiecedPull {
 public:
  PiecedPull(const PiecedPull&) = delete;
  PiecedPull& operator=(const PiecedPull&) = delete;
  ~PiecedPull();

  size_t count() const { return pieces_.size(); }
  // Where piece `i` lands in the local buffer.
  std::span<char> piece(size_t i) const;
  // `co_await pull.Wait(i)`: once piece `i` has landed; 0 or the fi errno of its read.
  auto Wait(size_t i) {
    struct Awaiter {
      PiecedPull* pull;
      size_t i;
      bool await_ready() const noexcept { return pull->pieces_[i].done; }
      void await_suspend(std::coroutine_handle<> h) { pull->Park(i, h); }
      int await_resume() const noexcept { return pull->pieces_[i].err; }
    };
    return Awaiter{this, i};
  }
  // `co_await pull.Drain()`: once every piece has landed or failed.
  auto Drain() {
    struct Awaiter {
      PiecedPull* pull;
      bool await_ready() const noexcept { return pull->outstanding_ == 0; }
      void await_suspend(std::coroutine_handle<> h) { pull->Park(SIZE_MAX, h); }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }
  bool drained() const { return outstanding_ == 0; }

 private:
  friend class MessageEndpoint;
  struct Piece {
    FabricOp op;  // first: the completion context
    PiecedPull* parent = nullptr;
    char* data = nullptr;
    size_t len = 0;
    bool done = false;
    int err = 0;
  };
  PiecedPull(EventLoop& loop, FaultInjection* faults, size_t count);
  void Park(size_t i, std::coroutine_handle<> h);
  static void Done(FabricOp* op, int err, size_t);

  EventLoop& loop_;
  FaultInjection* faults_;
  std::vector<Piece> pieces_;  // never resized once the reads are posted
  size_t outstanding_ = 0;
  size_t flip_piece_ = SIZE_MAX;  // fault injection: the piece that gets a bit flipped
  size_t waiting_for_ = SIZE_MAX;
  std::coroutine_handle<> waiter_;
};

// One registered message buffer of kMessageBufferSize bytes, used for a receive or a send.
struct MessageBuffer {
  FabricOp op;  // first: the completion context
  char* data = nullptr;
  void* desc = nullptr;
  FixedBuffer fixed;  // the slab's io_uring slot, if registered
  MessageEndpoint* owner = nullptr;
  fi_addr_t peer = FI_ADDR_UNSPEC;  // sends: the destination
  uint64_t cookie = 0;              // sends: handed back on error
  bool is_recv = false;
  // Received: the messages in it not yet released (a bundle holds several). Sent as a
  // bundle: the cookies of the messages in it, each handed back if the send fails.
  uint32_t refs = 0;
  std::vector<uint64_t> bundled_cookies;
};

// A registered buffer for bulk data, from the endpoint's pool; returns itself on destruction.
// Page aligned, so it also suits O_DIRECT I/O.
class BulkBuffer {
 public:
  BulkBuffer() = default;
  BulkBuffer(MessageEndpoint* owner, size_t size_class, char* data, MemoryRegion* mr,
             FixedBuffer fixed);
  BulkBuffer(BulkBuffer&& o) noexcept;
  BulkBuffer& operator=(BulkBuffer&& o) noexcept;
  ~BulkBuffer();

  char* data() const { return data_; }
  size_t capacity() const { return size_class_; }
  void* desc() const { return mr_->desc(); }
  // Its slot in the endpoint's loop's io_uring (ring nullptr if it could not be registered).
  FixedBuffer fixed() const { return fixed_; }

 private:
  void Release();
  MessageEndpoint* owner_ = nullptr;
  size_t size_class_ = 0;
  char* data_ = nullptr;
  MemoryRegion* mr_ = nullptr;
  FixedBuffer fixed_;
};

class MessageEndpoint {
 public:
  struct Options {
    FabricEndpoint::Options fabric;
    size_t recv_buffers = 64;   // receives kept posted
    size_t bulk_cache_bytes = 256 << 20;  // free bulk buffers kept registered for reuse
    // Also register the buffers with the loop's io_uring (servers, whose handlers do disk
    // I/O on them; a client's would only pin memory).
    bool register_with_uring = true;
    FaultInjection* faults = nullptr;     // tests only
  };
  // Called for each received message, `len` bytes at `data` inside `buf`; the receiver owns
  // the message until it calls Release(buf) (once per message: a bundle's messages share one
  // buffer).
  using OnMessage = std::function<void(MessageBuffer* buf, const char* data, size_t len)>;
  // Called when a send fails (after the fabric's own retries).
  using OnSendError = std::function<void(fi_addr_t peer, uint64_t cookie, int err)>;
  // Called when a receive completes with an error (for instance a message larger than the
  // buffer); the buffer has been reposted.
  using OnRecvError = std::function<void(int err)>;

  static Result<std::unique_ptr<MessageEndpoint>> Open(EventLoop& loop, const Options& options,
                                                       OnMessage on_message,
                                                       OnSendError on_send_error,
                                                       OnRecvError on_recv_error);
  ~MessageEndpoint();

  FabricEndpoint& fabric() { return *fabric_; }
  EventLoop& loop() { return loop_; }

  // A send buffer from the pool; fill data[0..len) and pass it to Send, which returns it.
  // A message may also start further in (`start`, inside the buffer): a reply whose payload
  // was placed first, on a page boundary, and its header and body right before it.
  //
  // Sends go out when the loop next polls the fabric (within the same turn of the loop), in
  // order per peer; small ones to the same peer travel together as one bundle (rpc_wire.h):
  // at 32 calls in flight, one sendmsg and one receive carry many replies instead of one each.
  // A request with an inline payload (a write's data, which the server may write to disk with
  // O_DIRECT where it lies) always travels alone, to keep its page alignment.
  MessageBuffer* AllocSend();
  void Send(MessageBuffer* buf, fi_addr_t peer, size_t len, uint64_t cookie,
            const char* start = nullptr);
  // Gives back a buffer handed to OnMessage, once the message in it is no longer needed, or a
  // send buffer that was not sent.
  void Release(MessageBuffer* buf);

  // Counters, for tests and benchmarks. Any thread.
  uint64_t bundles_sent() const { return bundles_sent_.load(std::memory_order_relaxed); }
  uint64_t bundles_received() const { return bundles_received_.load(std::memory_order_relaxed); }

  // Pulls (fi_read) or pushes (fi_write) `len` bytes between local registered memory and a
  // peer's registered buffer, in chunks the provider accepts, all in flight at once.
  // REQUIRES: `local` stays unchanged by anyone else while a push is in flight (fault
  // injection flips a bit in it for the duration).
  Task<Status> Rma(bool read, fi_addr_t peer, char* local, void* desc, size_t len,
                   uint64_t remote_addr, uint64_t key);

  // Posts fi_reads of `len` bytes from the peer's buffer into `local`, in pieces of `piece`
  // bytes (the last may be shorter; each within the provider's largest RMA), all at once.
  std::unique_ptr<PiecedPull> PullInPieces(fi_addr_t peer, char* local, void* desc, size_t len,
                                           uint64_t remote_addr, uint64_t key, size_t piece);

  // A registered, page-aligned buffer of at least `size` bytes.
  Result<BulkBuffer> AcquireBulk(size_t size);

 private:
  friend class BulkBuffer;
  struct FreeDeleter {
    void operator()(char* p) const { std::free(p); }
  };
  struct Slab {
    std::unique_ptr<char, FreeDeleter> memory;
    MemoryRegion mr;
    FixedBuffer fixed;
    std::vector<MessageBuffer> buffers;
  };
  struct BulkEntry {
    char* data = nullptr;
    std::unique_ptr<MemoryRegion> mr;
    FixedBuffer fixed;
  };

  // A message waiting for the next flush.
  struct Outgoing {
    MessageBuffer* buf;
    fi_addr_t peer;
    const char* start;
    size_t len;
    uint64_t cookie;
  };

  explicit MessageEndpoint(EventLoop& loop) : loop_(loop) {}
  Status AddSlab(size_t count);
  void Repost(MessageBuffer* buf);
  void MaybeFlipInline(char* data, size_t len);
  // Posts what Send queued (FabricEndpoint's flush hook).
  void FlushSends();
  // Whether a message may travel in a bundle.
  static bool Bundleable(const char* start, size_t len);
  // Copies runs of bundleable messages to `peer` into bundles; posts them and the rest.
  void PostToPeer(fi_addr_t peer, std::vector<Outgoing>& out);
  void PostOne(const Outgoing& o);
  void Deliver(MessageBuffer* buf, size_t len);
  static void OnComplete(FabricOp* op, int err, size_t len);
  void ReleaseBulk(size_t size_class, char* data);
  // Registers memory with the loop's ring; an empty FixedBuffer (logged once) if it cannot.
  FixedBuffer RegisterFixed(char* data, size_t len);
  void FreeBulk(BulkEntry& entry);

  EventLoop& loop_;
  std::unique_ptr<FabricEndpoint> fabric_;
  std::vector<std::unique_ptr<Slab>> slabs_;
  std::vector<MessageBuffer*> free_sends_;
  std::vector<Outgoing> outgoing_;       // queued by Send, in order
  std::vector<Outgoing> flushing_;       // the batch being flushed; keeps its capacity
  std::vector<Outgoing> to_peer_;        // one peer's part of it
  std::vector<std::string_view> split_;  // a received bundle's messages
  bool flushing_now_ = false;
  std::atomic<uint64_t> bundles_sent_{0};
  std::atomic<uint64_t> bundles_received_{0};
  OnMessage on_message_;
  OnSendError on_send_error_;
  OnRecvError on_recv_error_;
  FaultInjection* faults_ = nullptr;
  bool register_with_uring_ = true;
  bool fixed_error_logged_ = false;
  size_t bulk_cache_bytes_ = 0;
  size_t bulk_cached_ = 0;
  std::multimap<size_t, BulkEntry> bulk_free_;  // by size class
  std::map<char*, BulkEntry> bulk_in_use_;
};

}  // namespace weft::rpc
