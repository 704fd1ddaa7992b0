#include "common/uring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <coroutine>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"

namespace weft {
namespace {

constexpr size_t kBlock = 4096;

// Counts down on the loop thread; the coroutine awaiting Wait() resumes when it reaches zero.
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void CountDown() {
    if (--count_ == 0 && waiter_) EventLoop::Current()->Resume(waiter_);
  }
  auto Wait() {
    struct Awaiter {
      Latch* latch;
      bool await_ready() const noexcept { return latch->count_ == 0; }
      void await_suspend(std::coroutine_handle<> h) noexcept { latch->waiter_ = h; }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

 private:
  int count_;
  std::coroutine_handle<> waiter_;
};

std::vector<char> Pattern(size_t len, unsigned seed) {
  std::vector<char> v(len);
  for (size_t i = 0; i < len; ++i) v[i] = static_cast<char>((i * 131 + seed * 7 + i / 4096) & 0xff);
  return v;
}

// A temporary file (already unlinked) and a loop to do I/O on it.
class UringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/weft_uring_test_XXXXXX";
    fd_ = mkstemp(path);
    ASSERT_GE(fd_, 0) << std::strerror(errno);
    unlink(path);
  }
  void TearDown() override { close(fd_); }

  EventLoop& loop() { return thread_.loop(); }
  template <typename T>
  T Run(Task<T> task) {
    return RunOn(loop(), std::move(task));
  }

  LoopThread thread_;
  int fd_ = -1;
};

Task<void> WriteBlock(Uring* ring, int fd, const char* data, uint64_t off, Latch* latch) {
  Result<size_t> n = co_await ring->Write(fd, data, kBlock, off);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n.ok() ? *n : 0, kBlock);
  latch->CountDown();
}

Task<void> ReadBlock(Uring* ring, int fd, char* data, uint64_t off, Latch* latch) {
  Result<size_t> n = co_await ring->Read(fd, data, kBlock, off);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n.ok() ? *n : 0, kBlock);
  latch->CountDown();
}

TEST_F(UringTest, ConcurrentOpsAreBatchedIntoOneSubmit) {
  constexpr int kOps = 64;
  std::vector<char> data = Pattern(kOps * kBlock, 1);
  std::vector<char> back(kOps * kBlock);
  auto batches = Run(
      [](EventLoop* loop, int fd, const char* data, char* back) -> Task<std::vector<Uring::Stats>> {
        Uring& ring = loop->uring();
        std::vector<Uring::Stats> stats{ring.stats()};
        Latch written(kOps);
        // Spawned together, the ops are all queued in one iteration: the loop submits them at once.
        // Reverse order, so that the offsets are not merely sequential.
        for (int i = kOps - 1; i >= 0; --i) {
          loop->Spawn(WriteBlock(&ring, fd, data + i * kBlock, i * kBlock, &written));
        }
        co_await written.Wait();
        stats.push_back(ring.stats());
        Latch read(kOps);
        for (int i = 0; i < kOps; ++i) {
          loop->Spawn(ReadBlock(&ring, fd, back + i * kBlock, i * kBlock, &read));
        }
        co_await read.Wait();
        stats.push_back(ring.stats());
        co_return stats;
      }(&loop(), fd_, data.data(), back.data()));
  EXPECT_EQ(back, data);
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(batches[i].submit_calls - batches[i - 1].submit_calls, 1u);
    EXPECT_EQ(batches[i].sqes - batches[i - 1].sqes, uint64_t{kOps});
    EXPECT_EQ(batches[i].completions - batches[i - 1].completions, uint64_t{kOps});
  }
  EXPECT_EQ(loop().uring().in_flight(), 0u);
}

TEST_F(UringTest, ReadPastEndOfFileGivesAShortCount) {
  std::vector<char> data = Pattern(1000, 2);
  ASSERT_EQ(pwrite(fd_, data.data(), data.size(), 0), 1000);
  auto counts = Run([](Uring* ring, int fd) -> Task<std::vector<size_t>> {
    std::vector<char> buf(kBlock);
    std::vector<size_t> counts;
    for (uint64_t off : {0, 900, 2000}) {
      Result<size_t> n = co_await ring->Read(fd, buf.data(), buf.size(), off);
      counts.push_back(n.ok() ? *n : SIZE_MAX);
    }
    co_return counts;
  }(&loop().uring(), fd_));
  EXPECT_EQ(counts, (std::vector<size_t>{1000, 100, 0}));
}

TEST_F(UringTest, ReadFullAndWriteFullMoveEightMebibytes) {
  constexpr size_t kLen = 8 << 20;
  std::vector<char> data = Pattern(kLen, 3);
  std::vector<char> back(kLen + kBlock);
  auto results = Run(
      [](Uring* ring, int fd, const char* data, char* back) -> Task<std::vector<Result<size_t>>> {
        std::vector<Result<size_t>> r;
        r.push_back(co_await ring->WriteFull(fd, data, kLen, 0));
        r.push_back(co_await ring->ReadFull(fd, back, kLen, 0));
        // Asking for more than the file holds stops at end of file.
        r.push_back(co_await ring->ReadFull(fd, back, kLen + kBlock, 0));
        co_return r;
      }(&loop().uring(), fd_, data.data(), back.data()));
  ASSERT_EQ(results.size(), 3u);
  for (const Result<size_t>& r : results) ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*results[0], kLen);
  EXPECT_EQ(*results[1], kLen);
  EXPECT_EQ(*results[2], kLen);
  back.resize(kLen);
  EXPECT_EQ(back, data);
}

TEST_F(UringTest, FsyncSucceeds) {
  auto statuses = Run([](Uring* ring, int fd) -> Task<std::vector<Status>> {
    std::vector<char> buf = Pattern(kBlock, 4);
    std::vector<Status> s;
    s.push_back((co_await ring->Write(fd, buf.data(), buf.size(), 0)).status());
    s.push_back(co_await ring->Fsync(fd));
    s.push_back(co_await ring->Fsync(fd, /*datasync=*/true));
    co_return s;
  }(&loop().uring(), fd_));
  for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(UringTest, PunchHoleZeroesTheRangeAndKeepsTheSize) {
  auto back = Run([](Uring* ring, int fd) -> Task<std::vector<char>> {
    std::vector<char> buf = Pattern(4 * kBlock, 6);
    std::vector<char> out(4 * kBlock, 'x');
    if (!(co_await ring->WriteFull(fd, buf.data(), buf.size(), 0)).ok()) co_return std::vector<char>();
    Status punched = co_await ring->PunchHole(fd, kBlock, 2 * kBlock);
    if (!punched.ok()) co_return std::vector<char>();
    if (!(co_await ring->ReadFull(fd, out.data(), out.size(), 0)).ok()) co_return std::vector<char>();
    co_return out;
  }(&loop().uring(), fd_));
  std::vector<char> want = Pattern(4 * kBlock, 6);
  std::fill(want.begin() + kBlock, want.begin() + 3 * kBlock, '\0');
  EXPECT_EQ(back, want);
  struct stat st;
  ASSERT_EQ(fstat(fd_, &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(4 * kBlock));
}

TEST_F(UringTest, ErrorsNameTheOp) {
  auto statuses = Run([](Uring* ring) -> Task<std::vector<Status>> {
    char buf[16] = {};
    std::vector<Status> s;
    s.push_back((co_await ring->Write(-1, buf, 10, 4096)).status());
    s.push_back(co_await ring->Fsync(-1));
    s.push_back((co_await ring->ReadFull(-1, buf, sizeof(buf), 0)).status());
    co_return s;
  }(&loop().uring()));
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_FALSE(statuses[0].ok());
  EXPECT_NE(statuses[0].message().find("io_uring write(fd -1, off 4096, len 10)"),
            std::string::npos)
      << statuses[0].ToString();
  EXPECT_NE(statuses[0].message().find(std::strerror(EBADF)), std::string::npos);
  EXPECT_NE(statuses[1].message().find("io_uring fsync(fd -1)"), std::string::npos);
  EXPECT_NE(statuses[2].message().find("io_uring read(fd -1"), std::string::npos);
}

TEST_F(UringTest, RegisteredBuffersRoundTrip) {
  constexpr size_t kLen = 2 * kBlock;
  auto* src = static_cast<char*>(std::aligned_alloc(kBlock, kLen));
  auto* dst = static_cast<char*>(std::aligned_alloc(kBlock, kLen));
  std::vector<char> data = Pattern(kLen, 5);
  std::memcpy(src, data.data(), kLen);
  std::memset(dst, 0, kLen);
  auto statuses = Run([](Uring* ring, int fd, char* src, char* dst) -> Task<std::vector<Status>> {
    const iovec iovs[] = {{src, kLen}, {dst, kLen}};
    std::vector<Status> s;
    s.push_back(ring->RegisterBuffers(iovs));
    Result<size_t> w = co_await ring->WriteFixed(fd, src, kLen, 0, 0);
    s.push_back(w.ok() && *w != kLen ? Status(StatusCode::kInternal, "short write") : w.status());
    // The second half only, into the middle of the second buffer.
    Result<size_t> r = co_await ring->ReadFixed(fd, dst + kBlock, kBlock, kBlock, 1);
    s.push_back(r.ok() && *r != kBlock ? Status(StatusCode::kInternal, "short read") : r.status());
    s.push_back(ring->UnregisterBuffers());
    co_return s;
  }(&loop().uring(), fd_, src, dst));
  for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(std::memcmp(dst + kBlock, data.data() + kBlock, kBlock), 0);
  std::free(src);
  std::free(dst);
}

TEST(UringSetupTest, UnusableRingFailsEveryOpAtOnce) {
  Uring ring(0);  // zero entries: the kernel refuses the set-up
  EXPECT_FALSE(ring.ok());
  EXPECT_EQ(ring.status().code(), StatusCode::kUringError);
  EXPECT_EQ(ring.event_fd(), -1);
  std::optional<Result<size_t>> got;
  auto body = [](Uring* ring, std::optional<Result<size_t>>* got) -> Task<void> {
    char c;
    got->emplace(co_await ring->Read(0, &c, 1, 0));
  };
  body(&ring, &got).ReleaseDetached().resume();  // never suspends
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->ok());
  EXPECT_NE(got->status().message().find("io_uring read(fd 0"), std::string::npos);
}

}  // namespace
}  // namespace weft
