// Read, Write, Sync, Punch, Destroy, GetAttr and Statfs over RPC on loopback, against an
// in-process OSS.
#include <gtest/gtest.h>

#include <thread>

#include "oss_fixture.h"

namespace weft::test {
namespace {

using oss::OssService;

class OssIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ost_ = dir_.path() + "/ost0";
    ASSERT_TRUE(FormatOst(ost_, 0).ok());
    server_ = std::make_unique<OssServerThread>(std::vector<std::string>{ost_});
    ASSERT_NE(server_->port(), 0);
    client_ = std::make_unique<OssClient>(server_->port());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
  }
  Status Write(oss::ObjectId id, uint64_t off, const std::string& data) {
    return client_->Run(OssClient::WriteAt(client_->stub(), 0, id, off, data));
  }
  Result<std::string> Read(oss::ObjectId id, uint64_t off, uint64_t len) {
    return client_->Run(OssClient::ReadAt(client_->stub(), 0, id, off, len));
  }
  template <typename Req, typename Fn>
  auto Call(Fn fn, Req req) {
    return client_->Run(fn(client_->stub(), std::move(req)));
  }

  TempDir dir_;
  std::string ost_;
  std::unique_ptr<OssServerThread> server_;
  std::unique_ptr<OssClient> client_;
};

TEST_F(OssIoTest, ReadYourWritesOverOffsetsAndSizes) {
  const std::vector<uint64_t> sizes = {1,        7,         511,        4096,      4097,
                                       65536,    65537,     1 << 20,    (1 << 20) + 13,
                                       8 << 20,  uint64_t{64} << 20};
  const std::vector<uint64_t> offsets = {0, 1, 4096, 12345, uint64_t{1} << 32};
  uint64_t inode = 100;
  for (uint64_t size : sizes) {
    for (uint64_t off : offsets) {
      if (size > (8 << 20) && off != 0 && off != 4096) continue;  // keep the test quick
      oss::ObjectId id = Oid(inode++, off % 3);
      std::string data = Pattern(inode, off, size);
      ASSERT_TRUE(Write(id, off, data).ok()) << "size " << size << " off " << off;
      auto got = Read(id, off, size);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->size(), size) << "off " << off;
      ASSERT_TRUE(*got == data) << "size " << size << " off " << off;
      // Unaligned sub-range.
      if (size > 3) {
        auto part = Read(id, off + 1, size - 2);
        ASSERT_TRUE(part.ok());
        ASSERT_TRUE(*part == data.substr(1, size - 2));
      }
    }
  }
}

TEST_F(OssIoTest, HolesReadAsZerosAndReadPastEndIsShort) {
  oss::ObjectId id = Oid(7);
  std::string a = Pattern(1, 0, 1000), b = Pattern(2, 1 << 20, 5000);
  ASSERT_TRUE(Write(id, 0, a).ok());
  ASSERT_TRUE(Write(id, 1 << 20, b).ok());
  auto hole = Read(id, 1000, (1 << 20) - 1000);
  ASSERT_TRUE(hole.ok());
  EXPECT_EQ(*hole, std::string((1 << 20) - 1000, '\0'));
  auto tail = Read(id, (1 << 20) + 4000, 1 << 20);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, b.substr(4000));
  auto beyond = Read(id, 10 << 20, 4096);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->size(), 0u);
  auto never = Read(Oid(8), 0, 4096);
  ASSERT_TRUE(never.ok()) << never.status().ToString();
  EXPECT_EQ(never->size(), 0u);

  oss::GetAttrRequest g;
  *g.mutable_object() = id;
  auto attr = client_->Run(client_->stub().GetAttr(g));
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->size(), (1u << 20) + 5000);
  EXPECT_LT(attr->allocated_bytes(), uint64_t{1} << 20);  // sparse
}

// One Destroy for the objects of many files (the MDS's batches): all go, missing ones count
// as done, and a request naming more than the limit is refused with nothing destroyed.
TEST_F(OssIoTest, DestroyOfABatchOfObjects) {
  for (uint64_t ino = 20; ino < 25; ++ino) ASSERT_TRUE(Write(Oid(ino, 0), 0, "data").ok());
  oss::DestroyRequest too_many;
  *too_many.mutable_object() = Oid(20, 0);
  for (int i = 0; i <= oss::kMaxDestroyBatch; ++i) *too_many.add_more() = Oid(1000 + i, 0);
  EXPECT_EQ(client_->Run(client_->stub().Destroy(too_many)).status().code(),
            StatusCode::kInvalidArgument);
  oss::GetAttrRequest g;
  *g.mutable_object() = Oid(20, 0);
  EXPECT_TRUE(client_->Run(client_->stub().GetAttr(g)).ok());  // still there

  oss::DestroyRequest d;
  *d.mutable_object() = Oid(20, 0);
  for (uint64_t ino = 21; ino < 27; ++ino) *d.add_more() = Oid(ino, 0);  // 25, 26 never written
  auto destroyed = client_->Run(client_->stub().Destroy(d));
  ASSERT_TRUE(destroyed.ok()) << destroyed.status().ToString();
  EXPECT_TRUE(destroyed->existed());
  EXPECT_EQ(destroyed->destroyed(), 5u);
  for (uint64_t ino = 20; ino < 25; ++ino) {
    *g.mutable_object() = Oid(ino, 0);
    EXPECT_EQ(client_->Run(client_->stub().GetAttr(g)).status().code(), StatusCode::kNotFound);
  }
}

TEST_F(OssIoTest, PunchDestroyGetAttrStatfs) {
  oss::ObjectId id = Oid(9, 2);
  ASSERT_TRUE(Write(id, 0, Pattern(3, 0, 10000)).ok());
  oss::PunchRequest p;
  *p.mutable_object() = id;
  p.set_size(100);
  ASSERT_TRUE(client_->Run(client_->stub().Punch(p)).ok());
  auto got = Read(id, 0, 10000);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Pattern(3, 0, 100));
  ASSERT_TRUE(client_->Run(OssClient::SyncOne(client_->stub(), 0, id)).ok());

  oss::DestroyRequest d;
  *d.mutable_object() = id;
  auto destroyed = client_->Run(client_->stub().Destroy(d));
  ASSERT_TRUE(destroyed.ok());
  EXPECT_TRUE(destroyed->existed());
  destroyed = client_->Run(client_->stub().Destroy(d));
  ASSERT_TRUE(destroyed.ok());
  EXPECT_FALSE(destroyed->existed());
  oss::GetAttrRequest g;
  *g.mutable_object() = id;
  auto attr = client_->Run(client_->stub().GetAttr(g));
  EXPECT_EQ(attr.status().code(), StatusCode::kNotFound);

  auto fs = client_->Run(client_->stub().Statfs(oss::StatfsRequest{}));
  ASSERT_TRUE(fs.ok());
  EXPECT_GT(fs->bytes_total(), 0u);
  EXPECT_LE(fs->bytes_free(), fs->bytes_total());
}

// A hole: the range reads as zeros and its blocks are freed; the size stays; a missing object
// stays missing; a hole past 2^62 is refused.
TEST_F(OssIoTest, PunchWithAHoleDeallocatesTheRangeAndKeepsTheSize) {
  oss::ObjectId id = Oid(11, 1);
  std::string data = Pattern(5, 0, 1 << 20);
  ASSERT_TRUE(Write(id, 0, data).ok());
  ASSERT_TRUE(client_->Run(OssClient::SyncOne(client_->stub(), 0, id)).ok());
  oss::GetAttrRequest g;
  *g.mutable_object() = id;
  auto before = client_->Run(client_->stub().GetAttr(g));
  ASSERT_TRUE(before.ok());

  oss::PunchRequest p;
  *p.mutable_object() = id;
  p.set_hole_offset(64 * 1024);
  p.set_hole_length(512 * 1024);
  auto punched = client_->Run(client_->stub().Punch(p));
  ASSERT_TRUE(punched.ok()) << punched.status().ToString();
  auto got = Read(id, 0, 1 << 20);
  ASSERT_TRUE(got.ok());
  std::string want = data;
  std::fill(want.begin() + 64 * 1024, want.begin() + 576 * 1024, '\0');
  EXPECT_TRUE(*got == want);
  auto after = client_->Run(client_->stub().GetAttr(g));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), uint64_t{1} << 20);
  EXPECT_LE(after->allocated_bytes() + 512 * 1024, before->allocated_bytes())
      << "bytes allocated " << before->allocated_bytes() << " then " << after->allocated_bytes();

  *p.mutable_object() = Oid(12, 0);  // never written
  ASSERT_TRUE(client_->Run(client_->stub().Punch(p)).ok());
  *g.mutable_object() = Oid(12, 0);
  EXPECT_EQ(client_->Run(client_->stub().GetAttr(g)).status().code(), StatusCode::kNotFound);

  *p.mutable_object() = id;
  p.set_hole_offset((uint64_t{1} << 62) - 4096);
  p.set_hole_length(8192);
  EXPECT_EQ(client_->Run(client_->stub().Punch(p)).status().code(), StatusCode::kOutOfRange);
}

// Seek: SEEK_DATA and SEEK_HOLE on a sparse object, the end as a hole, a missing object as all
// hole, and a bad whence refused.
TEST_F(OssIoTest, SeekFindsDataAndHoles) {
  oss::ObjectId id = Oid(13, 0);
  ASSERT_TRUE(Write(id, 0, Pattern(1, 0, 65536)).ok());
  ASSERT_TRUE(Write(id, 1 << 20, Pattern(2, 0, 65536)).ok());
  auto seek = [&](oss::ObjectId obj, uint64_t offset, oss::SeekRequest::Whence whence) {
    oss::SeekRequest r;
    *r.mutable_object() = obj;
    r.set_offset(offset);
    r.set_whence(whence);
    return client_->Run(client_->stub().Seek(r));
  };
  auto at = seek(id, 0, oss::SeekRequest::DATA);
  ASSERT_TRUE(at.ok()) << at.status().ToString();
  EXPECT_TRUE(at->found());
  EXPECT_EQ(at->offset(), 0u);
  at = seek(id, 0, oss::SeekRequest::HOLE);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->offset(), 65536u);
  at = seek(id, 65536, oss::SeekRequest::DATA);
  ASSERT_TRUE(at.ok());
  EXPECT_TRUE(at->found());
  EXPECT_EQ(at->offset(), uint64_t{1} << 20);
  at = seek(id, 1 << 20, oss::SeekRequest::HOLE);  // the end of the object
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->offset(), (uint64_t{1} << 20) + 65536);
  at = seek(id, (1 << 20) + 65536, oss::SeekRequest::DATA);
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->found());

  at = seek(Oid(14, 0), 4096, oss::SeekRequest::DATA);  // never written
  ASSERT_TRUE(at.ok());
  EXPECT_FALSE(at->found());
  at = seek(Oid(14, 0), 4096, oss::SeekRequest::HOLE);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->offset(), 4096u);
  EXPECT_EQ(seek(id, 0, oss::SeekRequest::WHENCE_UNSPECIFIED).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(seek(id, ~uint64_t{0}, oss::SeekRequest::DATA).status().code(),
            StatusCode::kOutOfRange);
}

TEST_F(OssIoTest, MalformedRequestsGetErrors) {
  std::string data(16, 'x');
  // Wrong OST index.
  Status st = client_->Run(OssClient::WriteAt(client_->stub(), 5, Oid(1), 0, data));
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("OST index 5"), std::string::npos) << st.ToString();
  // Offsets beyond 2^62, "negative" offsets and overflowing ranges.
  for (uint64_t off : {uint64_t{1} << 62, ~uint64_t{0}, uint64_t(-4096), (uint64_t{1} << 62) - 8}) {
    st = Write(Oid(1), off, data);
    EXPECT_EQ(st.code(), StatusCode::kOutOfRange) << off << " " << st.ToString();
    oss::ReadRequest r;
    *r.mutable_object() = Oid(1);
    r.set_offset(off);
    r.set_length(16);
    auto rr = client_->Run(client_->stub().Read(r));
    EXPECT_EQ(rr.status().code(), StatusCode::kOutOfRange);
  }
  // Length over the limit.
  oss::ReadRequest r;
  *r.mutable_object() = Oid(1);
  r.set_length(oss::kMaxIoLength + 1);
  EXPECT_EQ(client_->Run(client_->stub().Read(r)).status().code(), StatusCode::kInvalidArgument);
  // Read larger than the caller's buffer.
  r.set_length(1 << 20);
  EXPECT_EQ(client_->Run(client_->stub().Read(r)).status().code(), StatusCode::kInvalidArgument);
  // Write whose length disagrees with its data.
  oss::WriteRequest w;
  *w.mutable_object() = Oid(1);
  w.set_length(100);
  rpc::CallOptions o;
  o.send_payload = data;
  EXPECT_EQ(client_->Run(client_->stub().Write(w, o)).status().code(),
            StatusCode::kInvalidArgument);
  // No object named.
  oss::GetAttrRequest g;
  EXPECT_EQ(client_->Run(client_->stub().GetAttr(g)).status().code(),
            StatusCode::kInvalidArgument);
  // Unknown object.
  *g.mutable_object() = Oid(424242);
  EXPECT_EQ(client_->Run(client_->stub().GetAttr(g)).status().code(), StatusCode::kNotFound);
  // Punch beyond the limit.
  oss::PunchRequest p;
  *p.mutable_object() = Oid(1);
  p.set_size((uint64_t{1} << 62) + 1);
  EXPECT_EQ(client_->Run(client_->stub().Punch(p)).status().code(), StatusCode::kOutOfRange);
  // Statfs of another OST.
  oss::StatfsRequest s;
  s.set_ost_index(3);
  EXPECT_EQ(client_->Run(client_->stub().Statfs(s)).status().code(), StatusCode::kNotFound);
}

// Eight client threads write disjoint ranges of one object, then of eight objects each.
TEST_F(OssIoTest, ConcurrentWritersOnOneAndManyObjects) {
  constexpr int kWriters = 8;
  constexpr uint64_t kChunk = 256 * 1024 + 100;  // unaligned on purpose
  constexpr int kRounds = 8;
  for (bool many : {false, true}) {
    std::vector<std::unique_ptr<OssClient>> clients;
    for (int w = 0; w < kWriters; ++w) clients.push_back(std::make_unique<OssClient>(server_->port()));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        for (int r = 0; r < kRounds; ++r) {
          uint64_t off = (uint64_t(r) * kWriters + w) * kChunk;
          oss::ObjectId id = many ? Oid(5000 + w) : Oid(4000);
          Status st = clients[w]->Run(
              OssClient::WriteAt(clients[w]->stub(), 0, id, off, Pattern(many ? w : 0, off, kChunk)));
          if (!st.ok()) failures++;
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
    for (int w = 0; w < (many ? kWriters : 1); ++w) {
      oss::ObjectId id = many ? Oid(5000 + w) : Oid(4000);
      uint64_t total = many ? uint64_t(kRounds - 1) * kWriters * kChunk + (w + 1) * kChunk
                            : uint64_t(kRounds) * kWriters * kChunk;
      auto got = Read(id, 0, total);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->size(), total);
      for (int r = 0; r < kRounds; ++r) {
        for (int x = 0; x < kWriters; ++x) {
          if (many && x != w) continue;
          uint64_t off = (uint64_t(r) * kWriters + x) * kChunk;
          ASSERT_TRUE(got->compare(off, kChunk, Pattern(many ? x : 0, off, kChunk)) == 0)
              << "writer " << x << " round " << r;
        }
      }
    }
    clients.clear();
  }
}

}  // namespace
}  // namespace weft::test
