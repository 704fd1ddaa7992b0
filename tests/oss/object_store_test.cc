// ObjectStore on its own: the open-file cache bound, both I/O paths, the object layout.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "oss_fixture.h"

namespace weft::test {
namespace {

using oss::ObjectKey;
using oss::ObjectStore;

class ObjectStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(FormatOst(dir_.path() + "/ost", 2).ok());
    ObjectStore::Options o;
    o.max_open_objects = 4;
    o.use_direct_io = GetParam();
    auto s = ObjectStore::Open(dir_.path() + "/ost", o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    RunOn(thread_.loop(), [](ObjectStoreTest* self) -> Task<void> {
      self->store_.reset();
      co_return;
    }(this));
  }

  TempDir dir_;
  LoopThread thread_;
  std::unique_ptr<ObjectStore> store_;
};

// An aligned buffer, so the direct path is taken where allowed.
struct AlignedBuf {
  explicit AlignedBuf(size_t n) : size(n), data(static_cast<char*>(std::aligned_alloc(4096, n))) {}
  ~AlignedBuf() { std::free(data); }
  size_t size;
  char* data;
};

TEST_P(ObjectStoreTest, ManyObjectsThroughASmallCache) {
  RunOn(thread_.loop(), [](ObjectStore* store) -> Task<void> {
    for (uint64_t i = 0; i < 20; ++i) {
      AlignedBuf buf(8192);
      std::string p = Pattern(i, 4096, buf.size);
      std::memcpy(buf.data, p.data(), buf.size);
      auto n = co_await store->Write(ObjectKey{i, i % 3}, 4096, {buf.data, buf.size});
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      std::string odd = Pattern(i + 100, 50, 333);
      n = co_await store->Write(ObjectKey{i, i % 3}, 50, odd);
      EXPECT_TRUE(n.ok()) << n.status().ToString();
      EXPECT_LE(store->open_objects(), 4u);
    }
    for (uint64_t i = 0; i < 20; ++i) {
      AlignedBuf buf(16384);
      auto n = co_await store->Read(ObjectKey{i, i % 3}, 0, {buf.data, buf.size});
      EXPECT_TRUE(n.ok());
      EXPECT_EQ(*n, 4096u + 8192u);
      std::string got(buf.data, *n);
      EXPECT_EQ(got.substr(0, 50), std::string(50, '\0'));
      EXPECT_EQ(got.substr(50, 333), Pattern(i + 100, 50, 333));
      EXPECT_EQ(got.substr(4096), Pattern(i, 4096, 8192));
      EXPECT_TRUE((co_await store->Sync(ObjectKey{i, i % 3})).ok());
    }
    EXPECT_LE(store->open_objects(), 4u);
  }(store_.get()));
  struct stat st;
  std::string path = store_->ObjectPath(ObjectKey{0x1f, 1});
  EXPECT_NE(path.find("/objects/"), std::string::npos);
  EXPECT_NE(path.find("/1f.1"), std::string::npos) << path;
  EXPECT_EQ(::stat(store_->ObjectPath(ObjectKey{19, 1}).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096 + 8192);
  EXPECT_EQ(store_->label().index, 2u);
}

TEST_P(ObjectStoreTest, DestroyWhileCachedThenRecreate) {
  RunOn(thread_.loop(), [](ObjectStore* store) -> Task<void> {
    std::string a(5000, 'a');
    EXPECT_TRUE((co_await store->Write(ObjectKey{1, 0}, 0, a)).ok());
    auto gone = store->Destroy(ObjectKey{1, 0});
    EXPECT_TRUE(gone.ok() && *gone);
    AlignedBuf buf(8192);
    auto n = co_await store->Read(ObjectKey{1, 0}, 0, {buf.data, buf.size});
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(*n, 0u);
    EXPECT_EQ(store->GetAttr(ObjectKey{1, 0}).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE((co_await store->Write(ObjectKey{1, 0}, 10, std::string(3, 'b'))).ok());
    EXPECT_EQ(store->GetAttr(ObjectKey{1, 0})->size, 13u);
  }(store_.get()));
}

// A write's bytes handed over piece by piece, as a bulk transfer in flight would, with the
// source failing after `fail_after` pieces (never, by default).
class ScriptedSource final : public oss::WriteSource {
 public:
  ScriptedSource(const AlignedBuf& buf, size_t piece, size_t fail_after = SIZE_MAX)
      : buf_(buf), piece_(piece), fail_after_(fail_after) {}
  Task<Result<std::span<const char>>> Next() override {
    if (handed_ == fail_after_) {
      co_return Status(StatusCode::kRpcBulkChecksum, "piece failed its crc32c");
    }
    size_t off = handed_ * piece_;
    if (off >= buf_.size) co_return std::span<const char>();
    ++handed_;
    co_return std::span<const char>(buf_.data + off, std::min(piece_, buf_.size - off));
  }
  FixedBuffer fixed() const override { return {}; }

 private:
  const AlignedBuf& buf_;
  size_t piece_;
  size_t fail_after_;
  size_t handed_ = 0;
};

TEST_P(ObjectStoreTest, WritePiecesStoresEveryPieceInPlace) {
  RunOn(thread_.loop(), [](ObjectStore* store) -> Task<void> {
    AlignedBuf buf(1 << 20);
    std::string p = Pattern(7, 4096, buf.size);
    std::memcpy(buf.data, p.data(), buf.size);
    ScriptedSource source(buf, 256 << 10);
    auto n = co_await store->WritePieces(ObjectKey{3, 0}, 4096, source);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(n.ok() ? *n : 0, buf.size);
    AlignedBuf back(buf.size + 4096);
    auto r = co_await store->Read(ObjectKey{3, 0}, 0, {back.data, back.size});
    EXPECT_EQ(r.ok() ? *r : 0, buf.size + 4096);
    EXPECT_EQ(std::string(back.data, 4096), std::string(4096, '\0'));
    EXPECT_TRUE(std::string(back.data + 4096, buf.size) == p) << "the pieces landed out of place";
  }(store_.get()));
}

// A failed write acknowledges nothing: an object it created is gone, one it grew is cut back;
// pieces it stored over existing bytes are the writer's intact bytes (checked before handed over).
TEST_P(ObjectStoreTest, WritePiecesThatFailsLeavesNoGrowthAndNoNewObject) {
  RunOn(thread_.loop(), [](ObjectStore* store) -> Task<void> {
    AlignedBuf buf(1 << 20);
    std::memset(buf.data, 'n', buf.size);
    ScriptedSource fresh(buf, 256 << 10, 2);
    auto n = co_await store->WritePieces(ObjectKey{4, 0}, 0, fresh);
    EXPECT_EQ(n.status().code(), StatusCode::kRpcBulkChecksum) << n.status().ToString();
    EXPECT_EQ(store->GetAttr(ObjectKey{4, 0}).status().code(), StatusCode::kNotFound);

    std::string old(64 << 10, 'o');
    EXPECT_TRUE((co_await store->Write(ObjectKey{5, 0}, 0, old)).ok());
    ScriptedSource grow(buf, 256 << 10, 3);
    n = co_await store->WritePieces(ObjectKey{5, 0}, 0, grow);
    EXPECT_FALSE(n.ok());
    auto attr = store->GetAttr(ObjectKey{5, 0});
    EXPECT_EQ(attr.ok() ? attr->size : 0, old.size()) << "the failed write's growth stayed";
    AlignedBuf back(128 << 10);
    auto r = co_await store->Read(ObjectKey{5, 0}, 0, {back.data, back.size});
    EXPECT_EQ(r.ok() ? *r : 0, old.size());
    EXPECT_EQ(std::string(back.data, old.size()), std::string(old.size(), 'n'));
  }(store_.get()));
}

INSTANTIATE_TEST_SUITE_P(DirectAndBuffered, ObjectStoreTest, ::testing::Bool());

}  // namespace
}  // namespace weft::test
