#include "common/uring.h"

#include <linux/falloc.h>
#include <liburing.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace weft {
namespace {

constexpr unsigned kFastSetupFlags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
                                     IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL |
                                     IORING_SETUP_R_DISABLED;
// Completions handled per Reap: enough to drain a busy ring, bounded so that one Reap cannot
// starve the rest of the loop.
constexpr unsigned kReapBatch = 64;
constexpr int kReapRounds = 4;

const char* KindName(UringOp::Kind kind) {
  switch (kind) {
    case UringOp::Kind::kRead:
      return "read";
    case UringOp::Kind::kWrite:
      return "write";
    case UringOp::Kind::kReadFixed:
      return "read_fixed";
    case UringOp::Kind::kWriteFixed:
      return "write_fixed";
    case UringOp::Kind::kFsync:
      return "fsync";
    case UringOp::Kind::kFdatasync:
      return "fdatasync";
    case UringOp::Kind::kPunchHole:
      return "fallocate(PUNCH_HOLE)";
  }
  return "?";
}

bool IsRetryable(int32_t res) { return res == -EAGAIN || res == -EINTR; }

}  // namespace

// ---- UringOp ----

UringOp::UringOp(Uring* ring, Kind kind, int fd, void* buf, size_t len, uint64_t off,
                 uint16_t buf_index)
    : ring_(ring),
      kind_(kind),
      buf_index_(buf_index),
      fd_(fd),
      buf_(buf),
      len_(kind == Kind::kPunchHole ? len : std::min(len, kMaxTransfer)),
      off_(off) {}

bool UringOp::await_ready() noexcept {
  if (ring_->ok()) return false;
  res_ = -ring_->setup_errno_;
  return true;
}

bool UringOp::await_suspend(std::coroutine_handle<> awaiter) noexcept {
  io_uring_sqe* sqe = ring_->GetSqe();
  if (sqe == nullptr) {
    res_ = -EBUSY;
    return false;
  }
  Prepare(sqe);
  io_uring_sqe_set_data(sqe, this);
  awaiter_ = awaiter;
  ++ring_->in_flight_;
  return true;
}

void UringOp::Prepare(io_uring_sqe* sqe) {
  switch (kind_) {
    case Kind::kRead:
      io_uring_prep_read(sqe, fd_, buf_, static_cast<unsigned>(len_), off_);
      return;
    case Kind::kWrite:
      io_uring_prep_write(sqe, fd_, buf_, static_cast<unsigned>(len_), off_);
      return;
    case Kind::kReadFixed:
      io_uring_prep_read_fixed(sqe, fd_, buf_, static_cast<unsigned>(len_), off_, buf_index_);
      ++ring_->stats_.fixed_ops;
      return;
    case Kind::kWriteFixed:
      io_uring_prep_write_fixed(sqe, fd_, buf_, static_cast<unsigned>(len_), off_, buf_index_);
      ++ring_->stats_.fixed_ops;
      return;
    case Kind::kFsync:
      io_uring_prep_fsync(sqe, fd_, 0);
      return;
    case Kind::kFdatasync:
      io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
      return;
    case Kind::kPunchHole:
      io_uring_prep_fallocate(sqe, fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                              static_cast<off_t>(off_), static_cast<off_t>(len_));
      return;
  }
}

void UringOp::Complete(int32_t res) {
  res_ = res;
  awaiter_.resume();
}

std::string UringOp::Describe() const {
  std::string s = std::string("io_uring ") + KindName(kind_) + "(fd " + std::to_string(fd_);
  if (kind_ == Kind::kFsync || kind_ == Kind::kFdatasync) return s + ")";
  s += ", off " + std::to_string(off_) + ", len " + std::to_string(len_);
  if (kind_ == Kind::kReadFixed || kind_ == Kind::kWriteFixed) {
    s += ", buf " + std::to_string(buf_index_);
  }
  return s + ")";
}

Result<size_t> UringTransfer::await_resume() const {
  if (result() < 0) return ErrnoStatus(Describe(), -result());
  return static_cast<size_t>(result());
}

Status UringSync::await_resume() const {
  if (result() < 0) return ErrnoStatus(Describe(), -result());
  return Status::Ok();
}

// ---- Uring: set-up ----

Uring::Uring(unsigned entries) : ring_(std::make_unique<io_uring>()) {
  setup_errno_ = Setup(entries);
  if (setup_errno_ != 0) return;
  setup_errno_ = RegisterEventFd();
  if (setup_errno_ != 0) io_uring_queue_exit(ring_.get());
}

Uring::~Uring() {
  if (!ok()) return;
  if (in_flight_ > 0) {
    spdlog::error("io_uring destroyed with {} ops in flight; their coroutines never resume",
                  in_flight_);
  }
  io_uring_queue_exit(ring_.get());
  close(event_fd_);
}

// Returns 0 or the errno of the failed set-up.
int Uring::Setup(unsigned entries) {
  io_uring_params params{};
  params.flags = kFastSetupFlags;
  int ret = io_uring_queue_init_params(entries, ring_.get(), &params);
  if (ret == -EINVAL) {
    params = io_uring_params{};
    ret = io_uring_queue_init_params(entries, ring_.get(), &params);
  }
  if (ret < 0) return -ret;
  single_issuer_ = (ring_->flags & IORING_SETUP_SINGLE_ISSUER) != 0;
  return 0;
}

int Uring::RegisterEventFd() {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return errno;
  int ret = io_uring_register_eventfd(ring_.get(), event_fd_);
  if (ret == 0) return 0;
  close(event_fd_);
  event_fd_ = -1;
  return -ret;
}

Status Uring::status() const {
  if (ok()) return Status::Ok();
  return Status(StatusCode::kUringError,
                std::string("io_uring set-up: ") + std::strerror(setup_errno_));
}

Status Uring::BindToCurrentThread() {
  if (!ok() || !single_issuer_) return Status::Ok();
  std::thread::id self = std::this_thread::get_id();
  if (bound_) {
    if (owner_ == self) return Status::Ok();
    return Status(StatusCode::kUringError,
                  "io_uring is single-issuer and bound to the thread that first ran its loop");
  }
  // A disabled ring gets its submitter (the single issuer) when it is enabled.
  int ret = io_uring_register(ring_->ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
  if (ret < 0) return ErrnoStatus("io_uring enable rings", -ret);
  bound_ = true;
  owner_ = self;
  return Status::Ok();
}

Status Uring::RegisterBuffers(std::span<const iovec> iovs) {
  if (!ok()) return status();
  int ret = io_uring_register_buffers(ring_.get(), iovs.data(), static_cast<unsigned>(iovs.size()));
  if (ret < 0) return ErrnoStatus("io_uring register buffers", -ret);
  return Status::Ok();
}

Status Uring::UnregisterBuffers() {
  if (!ok()) return status();
  int ret = io_uring_unregister_buffers(ring_.get());
  if (ret < 0) return ErrnoStatus("io_uring unregister buffers", -ret);
  return Status::Ok();
}

Result<FixedBuffer> Uring::AddFixedBuffer(void* data, size_t len) {
  if (!ok()) return status();
  if (fixed_state_ == 0) {
    int ret = io_uring_register_buffers_sparse(ring_.get(), kFixedSlots);
    fixed_state_ = ret == 0 ? 1 : -1;
    fixed_errno_ = -ret;
    for (unsigned i = kFixedSlots; i > 0; --i) fixed_free_.push_back(static_cast<uint16_t>(i - 1));
  }
  if (fixed_state_ < 0) return ErrnoStatus("io_uring register sparse buffer table", fixed_errno_);
  if (fixed_free_.empty()) {
    return Status(StatusCode::kBusy, "all " + std::to_string(kFixedSlots) +
                                         " io_uring fixed-buffer slots are in use");
  }
  uint16_t slot = fixed_free_.back();
  iovec iov{data, len};
  __u64 tag = 0;
  int ret = io_uring_register_buffers_update_tag(ring_.get(), slot, &iov, &tag, 1);
  if (ret < 0) return ErrnoStatus("io_uring register buffer in slot " + std::to_string(slot), -ret);
  fixed_free_.pop_back();
  ++fixed_used_;
  return FixedBuffer{this, slot};
}

void Uring::RemoveFixedBuffer(FixedBuffer buf) {
  if (buf.ring != this) return;
  iovec iov{nullptr, 0};
  __u64 tag = 0;
  int ret = io_uring_register_buffers_update_tag(ring_.get(), buf.index, &iov, &tag, 1);
  if (ret < 0) {
    spdlog::warn("io_uring: emptying fixed-buffer slot {}: {}", buf.index, std::strerror(-ret));
    return;  // the slot stays taken rather than be handed out while still registered
  }
  fixed_free_.push_back(buf.index);
  --fixed_used_;
}

// ---- Uring: ops ----

UringTransfer Uring::Read(int fd, void* buf, size_t len, uint64_t off) {
  return UringTransfer(this, UringOp::Kind::kRead, fd, buf, len, off, 0);
}

UringTransfer Uring::Write(int fd, const void* buf, size_t len, uint64_t off) {
  return UringTransfer(this, UringOp::Kind::kWrite, fd, const_cast<void*>(buf), len, off, 0);
}

UringTransfer Uring::ReadFixed(int fd, void* buf, size_t len, uint64_t off, uint16_t buf_index) {
  return UringTransfer(this, UringOp::Kind::kReadFixed, fd, buf, len, off, buf_index);
}

UringTransfer Uring::WriteFixed(int fd, const void* buf, size_t len, uint64_t off,
                                uint16_t buf_index) {
  return UringTransfer(this, UringOp::Kind::kWriteFixed, fd, const_cast<void*>(buf), len, off,
                       buf_index);
}

UringSync Uring::Fsync(int fd, bool datasync) {
  auto kind = datasync ? UringOp::Kind::kFdatasync : UringOp::Kind::kFsync;
  return UringSync(this, kind, fd, nullptr, 0, 0, 0);
}

UringSync Uring::PunchHole(int fd, uint64_t off, uint64_t len) {
  return UringSync(this, UringOp::Kind::kPunchHole, fd, nullptr, len, off, 0);
}

Task<Result<size_t>> Uring::ReadFull(int fd, void* buf, size_t len, uint64_t off) {
  return TransferFull(UringOp::Kind::kRead, fd, buf, len, off);
}

Task<Result<size_t>> Uring::WriteFull(int fd, const void* buf, size_t len, uint64_t off) {
  return TransferFull(UringOp::Kind::kWrite, fd, const_cast<void*>(buf), len, off);
}

Task<Result<size_t>> Uring::TransferFull(UringOp::Kind kind, int fd, void* buf, size_t len,
                                         uint64_t off) {
  auto* bytes = static_cast<char*>(buf);
  size_t done = 0;
  while (done < len) {
    UringTransfer op(this, kind, fd, bytes + done, len - done, off + done, 0);
    Result<size_t> n = co_await op;
    if (IsRetryable(op.result())) continue;
    if (!n.ok()) co_return n.status();
    if (*n == 0) {
      if (kind == UringOp::Kind::kRead) break;  // end of file
      co_return Status(StatusCode::kIoError, op.Describe() + ": wrote nothing");
    }
    done += *n;
  }
  co_return done;
}

// ---- Uring: driven by the loop ----

io_uring_sqe* Uring::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  if (sqe != nullptr) return sqe;
  Submit();  // the queue is full: hand it to the kernel now and take a fresh entry
  return io_uring_get_sqe(ring_.get());
}

int Uring::Submit() {
  if (!ok() || io_uring_sq_ready(ring_.get()) == 0) return 0;
  int ret = io_uring_submit(ring_.get());
  if (ret > 0) {
    ++stats_.submit_calls;
    stats_.sqes += static_cast<uint64_t>(ret);
    return ret;
  }
  // -EAGAIN / -EBUSY / -EINTR are transient: the SQEs stay queued for the next iteration.
  if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR && !submit_error_logged_) {
    submit_error_logged_ = true;
    spdlog::error("io_uring_submit: {}", std::strerror(-ret));
  }
  return 0;
}

// True when the kernel holds completions it has not yet posted to the CQ ring: deferred task
// work (COOP_TASKRUN) or an overflow list.
bool Uring::NeedsFlush() const {
  unsigned flags = IO_URING_READ_ONCE(*ring_->sq.kflags);
  return (flags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) != 0;
}

int Uring::Reap() {
  if (in_flight_ == 0) return 0;
  if (io_uring_cq_ready(ring_.get()) == 0 && NeedsFlush()) io_uring_get_events(ring_.get());
  int total = 0;
  for (int round = 0; round < kReapRounds; ++round) {
    std::array<io_uring_cqe*, kReapBatch> cqes;
    unsigned n = io_uring_peek_batch_cqe(ring_.get(), cqes.data(), kReapBatch);
    if (n == 0) break;
    // Copy out and release the CQEs before resuming anyone: a resumed coroutine may queue
    // and even submit new ops.
    std::array<std::pair<UringOp*, int32_t>, kReapBatch> done;
    for (unsigned i = 0; i < n; ++i) {
      done[i] = {static_cast<UringOp*>(io_uring_cqe_get_data(cqes[i])), cqes[i]->res};
    }
    io_uring_cq_advance(ring_.get(), n);
    in_flight_ -= n;
    stats_.completions += n;
    for (unsigned i = 0; i < n; ++i) done[i].first->Complete(done[i].second);
    total += static_cast<int>(n);
    if (n < kReapBatch) break;
  }
  return total;
}

bool Uring::Quiescent() const {
  if (!ok()) return true;
  if (io_uring_sq_ready(ring_.get()) != 0) return false;
  if (in_flight_ == 0) return true;
  return io_uring_cq_ready(ring_.get()) == 0 && !NeedsFlush();
}

}  // namespace weft
