// Uring: the io_uring of one EventLoop, and awaitables for file I/O on it.
//
// Each op is one small awaiter object living in the awaiting coroutine's frame: starting an op
// allocates nothing. Its SQE is prepared when it is awaited; the loop submits every SQE queued
// in an iteration with one io_uring_submit (Submit), reaps completions (Reap) and resumes each
// awaiting coroutine on the loop thread (the SQE's user_data is the awaiter's address).
//
//   WEFT_CO_ASSIGN_OR_RETURN(size_t n, co_await loop.uring().Read(fd, buf, len, off));
//   WEFT_CO_RETURN_IF_ERROR(co_await loop.uring().Fsync(fd, /*datasync=*/true));
//
// Errors are Status values built by ErrnoStatus and naming the op:
// "io_uring write(fd 7, off 4096, len 1048576): No space left on device".
//
// Threading: loop-thread only (REQUIRES: the owning loop's InLoopThread()). An op's buffer must
// stay valid, and its awaiting coroutine must not be destroyed, until the op completes: the
// kernel writes into the buffer and the completion resumes the awaiter.
//
// Set-up: the ring asks for IORING_SETUP_SINGLE_ISSUER | COOP_TASKRUN | TASKRUN_FLAG |
// SUBMIT_ALL and falls back to no flags when the kernel says EINVAL. A single-issuer ring is
// created disabled and bound to the thread that first runs the loop (BindToCurrentThread). If
// io_uring cannot be set up at all (old kernel, seccomp), the Uring still exists: status() says
// why and every op completes at once with that error.
#pragma once

#include <sys/uio.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "common/task.h"

struct io_uring;
struct io_uring_sqe;

namespace weft {

class Uring;

// A buffer registered with one ring (Uring::AddFixedBuffer): ops on that ring may read into or
// write from any range inside it with ReadFixed/WriteFixed, without pinning its pages per op.
// A slot index means nothing to another ring: check `ring` before using `index`.
struct FixedBuffer {
  Uring* ring = nullptr;  // nullptr: not registered
  uint16_t index = 0;
};

// The state of one io_uring op; the typed awaiters below add await_resume.
class UringOp {
 public:
  enum class Kind : uint8_t {
    kRead,
    kWrite,
    kReadFixed,
    kWriteFixed,
    kFsync,
    kFdatasync,
    kPunchHole
  };

  // Transfers longer than this are clamped (the kernel's own limit): a short count results.
  static constexpr size_t kMaxTransfer = 0x7ffff000;

  UringOp(Uring* ring, Kind kind, int fd, void* buf, size_t len, uint64_t off, uint16_t buf_index);
  // In flight, the kernel holds the op's address: it never moves.
  UringOp(const UringOp&) = delete;
  UringOp& operator=(const UringOp&) = delete;

  // True only when the ring is unusable; the op then fails with the set-up error.
  bool await_ready() noexcept;
  // Queues the SQE for the loop to submit. Does not suspend (and fails the op with EBUSY) if
  // no SQE can be had even after submitting the full queue.
  bool await_suspend(std::coroutine_handle<> awaiter) noexcept;

  // The raw completion result: bytes transferred, or -errno. Valid after resumption.
  int32_t result() const { return res_; }
  // "io_uring read(fd 7, off 4096, len 1048576)", for error messages.
  std::string Describe() const;

 private:
  friend class Uring;
  void Prepare(io_uring_sqe* sqe);
  void Complete(int32_t res);

  Uring* ring_;
  Kind kind_;
  uint16_t buf_index_;
  int fd_;
  int32_t res_ = 0;
  void* buf_;
  uint64_t len_;  // transfers: at most kMaxTransfer
  uint64_t off_;
  std::coroutine_handle<> awaiter_;
};

// co_await gives Result<size_t>: the bytes transferred (short at end of file) or the error.
class UringTransfer : public UringOp {
 public:
  using UringOp::UringOp;
  Result<size_t> await_resume() const;
};

// co_await gives the Status of an op without a byte count (fsync).
class UringSync : public UringOp {
 public:
  using UringOp::UringOp;
  Status await_resume() const;
};

class Uring {
 public:
  // Counters since construction, for tests and metrics.
  struct Stats {
    uint64_t submit_calls = 0;  // io_uring_submit calls that submitted something
    uint64_t sqes = 0;          // SQEs submitted
    uint64_t completions = 0;   // CQEs reaped
    uint64_t fixed_ops = 0;     // ReadFixed/WriteFixed ops queued
  };

  // Sets up a ring of `entries` SQEs (completion queue twice that). Never fails; see status().
  explicit Uring(unsigned entries);
  // REQUIRES: no op in flight (their awaiters would never be resumed).
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  // Ok, or why io_uring is unavailable (then every op fails with that error).
  Status status() const;
  bool ok() const { return setup_errno_ == 0; }

  // ---- Ops: awaitables, loop thread only. The buffer must stay valid until completion. ----
  UringTransfer Read(int fd, void* buf, size_t len, uint64_t off);
  UringTransfer Write(int fd, const void* buf, size_t len, uint64_t off);
  // On buffers registered with RegisterBuffers; [buf, buf + len) must lie inside buffer
  // `buf_index`.
  UringTransfer ReadFixed(int fd, void* buf, size_t len, uint64_t off, uint16_t buf_index);
  UringTransfer WriteFixed(int fd, const void* buf, size_t len, uint64_t off, uint16_t buf_index);
  // fsync(2), or fdatasync(2) when `datasync`.
  UringSync Fsync(int fd, bool datasync = false);
  // fallocate(2) with FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: [off, off + len) gives its
  // space back and reads as zeros; the file's size does not change.
  UringSync PunchHole(int fd, uint64_t off, uint64_t len);

  // Reads until `len` bytes or end of file, requeueing short reads and -EAGAIN/-EINTR; returns
  // the bytes read (fewer than len only at end of file) or the first error.
  Task<Result<size_t>> ReadFull(int fd, void* buf, size_t len, uint64_t off);
  // Writes all `len` bytes, requeueing short writes and -EAGAIN/-EINTR; returns len or the
  // first error (a write that makes no progress is kIoError).
  Task<Result<size_t>> WriteFull(int fd, const void* buf, size_t len, uint64_t off);

  // Registers buffers for ReadFixed/WriteFixed; buffer i is iovs[i]. One set at a time: call
  // UnregisterBuffers before registering another. The memory must stay valid until then.
  // Not to be mixed with AddFixedBuffer on the same ring.
  Status RegisterBuffers(std::span<const iovec> iovs);
  Status UnregisterBuffers();

  // Slot by slot instead: the first call sets up a sparse table of kFixedSlots; each call
  // registers [data, data + len) in a free slot (pinning its pages once) and returns it.
  // kBusy when every slot is taken. The memory must stay valid until RemoveFixedBuffer.
  static constexpr unsigned kFixedSlots = 4096;
  Result<FixedBuffer> AddFixedBuffer(void* data, size_t len);
  // Empties the slot. REQUIRES: no op on it in flight.
  void RemoveFixedBuffer(FixedBuffer buf);
  size_t fixed_buffers() const { return fixed_used_; }

  Stats stats() const { return stats_; }
  size_t in_flight() const { return in_flight_; }

  // ---- For the owning EventLoop. ----

  // An eventfd that becomes readable when completions are posted; -1 if !ok().
  int event_fd() const { return event_fd_; }
  // Binds a single-issuer ring to the calling thread, enabling it the first time. Fails if the
  // ring is already bound to another thread. A no-op for other rings.
  Status BindToCurrentThread();
  // Submits every queued SQE with one io_uring_submit; returns how many were submitted.
  int Submit();
  // Resumes the awaiter of every posted completion (at most a few batches); returns how many.
  int Reap();
  // True if no SQE waits for submission and no completion waits to be reaped (nor kernel work
  // that would post one): the loop may then block on event_fd().
  bool Quiescent() const;

 private:
  friend class UringOp;
  int Setup(unsigned entries);
  int RegisterEventFd();
  bool NeedsFlush() const;
  io_uring_sqe* GetSqe();
  Task<Result<size_t>> TransferFull(UringOp::Kind kind, int fd, void* buf, size_t len,
                                    uint64_t off);

  std::unique_ptr<io_uring> ring_;
  int setup_errno_ = 0;
  int event_fd_ = -1;
  bool single_issuer_ = false;
  bool bound_ = false;
  std::thread::id owner_;
  size_t in_flight_ = 0;
  bool submit_error_logged_ = false;
  Stats stats_;
  // Slots: 0 not set up, 1 sparse table ready, -1 the kernel refused it (errno in fixed_errno_).
  int fixed_state_ = 0;
  int fixed_errno_ = 0;
  std::vector<uint16_t> fixed_free_;
  size_t fixed_used_ = 0;
};

}  // namespace weft
