// MessageEndpoint: what RpcServer and RpcClient share. A FabricEndpoint plus registered
// buffers for messages (pre-posted receives, pooled sends), RMA with completion awaiting, and
// pooled registered bulk buffers.
//
// Threading: loop-thread only, like the FabricEndpoint under it.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "common/fabric.h"
#include "common/rpc_wire.h"
#include "common/task.h"

namespace weft::rpc {

// Largest message: header, address, body and an inline payload of up to kMaxInlineThreshold.
constexpr size_t kMaxInlineThreshold = 64 * 1024;
constexpr size_t kMessageBufferSize =
    sizeof(Header) + kMaxAddressLen + kMaxBodyLen + kMaxInlineThreshold;

class MessageEndpoint;

// One registered message buffer of kMessageBufferSize bytes, used for a receive or a send.
struct MessageBuffer {
  FabricOp op;  // first: the completion context
  char* data = nullptr;
  void* desc = nullptr;
  MessageEndpoint* owner = nullptr;
  fi_addr_t peer = FI_ADDR_UNSPEC;  // sends: the destination
  uint64_t cookie = 0;              // sends: handed back on error
  bool is_recv = false;
};

// A registered buffer for bulk data, from the endpoint's pool; returns itself on destruction.
// Page aligned, so it also suits O_DIRECT I/O.
class BulkBuffer {
 public:
  BulkBuffer() = default;
  BulkBuffer(MessageEndpoint* owner, size_t size_class, char* data, MemoryRegion* mr);
  BulkBuffer(BulkBuffer&& o) noexcept;
  BulkBuffer& operator=(BulkBuffer&& o) noexcept;
  ~BulkBuffer();

  char* data() const { return data_; }
  size_t capacity() const { return size_class_; }
  void* desc() const { return mr_->desc(); }

 private:
  void Release();
  MessageEndpoint* owner_ = nullptr;
  size_t size_class_ = 0;
  char* data_ = nullptr;
  MemoryRegion* mr_ = nullptr;
};

class MessageEndpoint {
 public:
  struct Options {
    FabricEndpoint::Options fabric;
    size_t recv_buffers = 64;   // receives kept posted
    size_t bulk_cache_bytes = 256 << 20;  // free bulk buffers kept registered for reuse
  };
  // Called for each received message; the receiver owns `buf` until it calls Release(buf).
  using OnMessage = std::function<void(MessageBuffer* buf, size_t len)>;
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
  MessageBuffer* AllocSend();
  void Send(MessageBuffer* buf, fi_addr_t peer, size_t len, uint64_t cookie);
  // Gives back a buffer handed to OnMessage, once the message in it is no longer needed.
  void Release(MessageBuffer* buf);

  // Pulls (fi_read) or pushes (fi_write) `len` bytes between local registered memory and a
  // peer's registered buffer, in chunks the provider accepts, all in flight at once.
  Task<Status> Rma(bool read, fi_addr_t peer, char* local, void* desc, size_t len,
                   uint64_t remote_addr, uint64_t key);

  // A registered, page-aligned buffer of at least `size` bytes.
  Result<BulkBuffer> AcquireBulk(size_t size);

 private:
  friend class BulkBuffer;
  struct Slab {
    std::unique_ptr<char[]> memory;
    MemoryRegion mr;
    std::vector<MessageBuffer> buffers;
  };
  struct BulkEntry {
    char* data;
    std::unique_ptr<MemoryRegion> mr;
  };

  explicit MessageEndpoint(EventLoop& loop) : loop_(loop) {}
  Status AddSlab(size_t count);
  void Repost(MessageBuffer* buf);
  static void OnComplete(FabricOp* op, int err, size_t len);
  void ReleaseBulk(size_t size_class, char* data, MemoryRegion* mr);

  EventLoop& loop_;
  std::unique_ptr<FabricEndpoint> fabric_;
  std::vector<std::unique_ptr<Slab>> slabs_;
  std::vector<MessageBuffer*> free_sends_;
  OnMessage on_message_;
  OnSendError on_send_error_;
  OnRecvError on_recv_error_;
  size_t bulk_cache_bytes_ = 0;
  size_t bulk_cached_ = 0;
  std::multimap<size_t, BulkEntry> bulk_free_;  // by size class
  std::map<char*, std::unique_ptr<MemoryRegion>> bulk_in_use_;
};

}  // namespace weft::rpc
