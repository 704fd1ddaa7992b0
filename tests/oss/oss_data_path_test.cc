// The OSS data path end to end: crc32c on Write and Read payloads with a bit flipped in flight
// (retried, or refused, never storing a byte that failed its check), registered buffers
// carrying O_DIRECT I/O, and the objects count.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/rpc_wire.h"
#include "oss_fixture.h"

namespace weft::test {
namespace {

class OssDataPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    ost_ = dir_.path() + "/ost0";
    ASSERT_TRUE(FormatOst(ost_, 0).ok());
    server_ = std::make_unique<OssServerThread>(std::vector<std::string>{ost_}, &server_faults_);
    ASSERT_NE(server_->port(), 0);
    client_ = std::make_unique<OssClient>(server_->port(), std::chrono::seconds(30),
                                          &client_faults_);
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
  Result<oss::GetAttrReply> GetAttr(oss::ObjectId id) {
    return client_->Run([](oss::OssService::Stub* stub, oss::ObjectId id)
                            -> Task<Result<oss::GetAttrReply>> {
      oss::GetAttrRequest r;
      *r.mutable_object() = id;
      co_return co_await stub->GetAttr(r);
    }(&client_->stub(), id));
  }
  bool DirectIoWorks() {
    std::string probe = dir_.path() + "/direct-probe";
    int fd = ::open(probe.c_str(), O_RDWR | O_CREAT | O_DIRECT, 0644);
    if (fd >= 0) ::close(fd);
    ::unlink(probe.c_str());
    return fd >= 0;
  }

  TempDir dir_;
  std::string ost_;
  rpc::FaultInjection server_faults_;
  rpc::FaultInjection client_faults_;
  std::unique_ptr<OssServerThread> server_;
  std::unique_ptr<OssClient> client_;
};

TEST_F(OssDataPathTest, WriteCorruptedInFlightIsPulledAgainAndStoredIntact) {
  std::string data = Pattern(1, 0, 1 << 20);
  server_faults_.flip_rma_read = 2;
  ASSERT_TRUE(Write(Oid(1), 0, data).ok());
  EXPECT_EQ(server_faults_.flipped.load(), 2);
  EXPECT_EQ(server_->stats().checksum_errors, 2u);
  auto got = Read(Oid(1), 0, data.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data) << "the object holds corrupted data";
}

// A 1 MiB write streams to disk piece by piece, each checked before it is written
// (ObjectStore::WritePieces): a refused write over existing bytes may have stored the pieces
// that passed, as a failed write(2) may, but never a byte that failed its check.
TEST_F(OssDataPathTest, PersistentWriteCorruptionStoresNoBadByteAndServerServesOn) {
  std::string before = Pattern(2, 0, 1 << 20);
  std::string refused = Pattern(3, 0, 1 << 20);
  ASSERT_TRUE(Write(Oid(2), 0, before).ok());
  server_faults_.flip_rma_read = 1000;
  // Over an existing object, and creating a new one: both refused.
  Status st = Write(Oid(2), 0, refused);
  EXPECT_EQ(st.code(), StatusCode::kRpcBulkChecksum) << st.ToString();
  st = Write(Oid(3), 0, refused);
  EXPECT_EQ(st.code(), StatusCode::kRpcBulkChecksum) << st.ToString();
  server_faults_.flip_rma_read = 0;
  auto got = Read(Oid(2), 0, before.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), before.size()) << "a refused write changed the object's size";
  const size_t piece = rpc::kBulkCrcPiece;
  for (size_t off = 0; off < before.size(); off += piece) {
    std::string now = got->substr(off, piece);
    EXPECT_TRUE(now == before.substr(off, piece) || now == refused.substr(off, piece))
        << "the piece at " << off << " holds neither the old nor the refused write's bytes";
  }
  // The fault flips the middle piece of every pull: it must still hold the old bytes.
  EXPECT_TRUE(got->substr(before.size() / 2, piece) == before.substr(before.size() / 2, piece));
  EXPECT_EQ(GetAttr(Oid(3)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_->store(0).object_count(), 1u);
  // An inline (4 KiB) write corrupted on every try: refused, and it changes nothing (an inline
  // payload is checked before any I/O).
  std::string held = got->substr(0, 4096);
  server_faults_.flip_inline = 1000;
  st = Write(Oid(2), 0, Pattern(4, 0, 4096));
  EXPECT_EQ(st.code(), StatusCode::kRpcBulkChecksum) << st.ToString();
  server_faults_.flip_inline = 0;
  got = Read(Oid(2), 0, 4096);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == held) << "a refused inline write changed the object";
  ASSERT_TRUE(Write(Oid(3), 0, Pattern(3, 0, 1 << 20)).ok());
}

TEST_F(OssDataPathTest, ReadCorruptedInFlightIsAskedForAgain) {
  std::string data = Pattern(5, 0, 1 << 20);
  ASSERT_TRUE(Write(Oid(5), 0, data).ok());
  server_faults_.flip_rma_write = 1;  // the 1 MiB reply, pushed by RMA
  auto got = Read(Oid(5), 0, data.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  client_faults_.flip_inline = 1;  // a 4 KiB reply, inline
  got = Read(Oid(5), 8192, 4096);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data.substr(8192, 4096));
  EXPECT_EQ(client_->client().stats().checksum_errors, 2u);
  server_faults_.flip_rma_write = 1000;
  got = Read(Oid(5), 0, data.size());
  EXPECT_EQ(got.status().code(), StatusCode::kRpcBulkChecksum) << got.status().ToString();
}

// 1 MiB (bulk) and 4 KiB (inline, page aligned in the message buffers) transfers go to disk
// with O_DIRECT from the buffers the network used, registered with the ring.
TEST_F(OssDataPathTest, AlignedTransfersUseRegisteredBuffers) {
  if (!DirectIoWorks()) GTEST_SKIP() << "the test directory's file system refuses O_DIRECT";
  uint64_t fixed_before = server_->uring_stats().fixed_ops;
  std::string big = Pattern(6, 0, 1 << 20);
  std::string small = Pattern(7, 0, 4096);
  ASSERT_TRUE(Write(Oid(6), 0, big).ok());
  ASSERT_TRUE(Write(Oid(6), 1 << 20, small).ok());
  uint64_t after_writes = server_->uring_stats().fixed_ops;
  EXPECT_GE(after_writes - fixed_before, 2u);
  auto got = Read(Oid(6), 0, big.size());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == big);
  got = Read(Oid(6), 1 << 20, 4096);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == small);
  EXPECT_GE(server_->uring_stats().fixed_ops - after_writes, 2u);
}

TEST_F(OssDataPathTest, ObjectsAreCountedAcrossRestarts) {
  EXPECT_EQ(server_->store(0).object_count(), 0u);
  for (uint64_t i = 10; i < 13; ++i) ASSERT_TRUE(Write(Oid(i), 0, "x").ok());
  ASSERT_TRUE(Write(Oid(10), 5, "y").ok());  // an existing object: not counted again
  EXPECT_EQ(server_->store(0).object_count(), 3u);
  auto destroyed = client_->Run([](oss::OssService::Stub* stub) -> Task<Result<oss::DestroyReply>> {
    oss::DestroyRequest r;
    *r.mutable_object() = Oid(11);
    co_return co_await stub->Destroy(r);
  }(&client_->stub()));
  ASSERT_TRUE(destroyed.ok()) << destroyed.status().ToString();
  EXPECT_EQ(server_->store(0).object_count(), 2u);
  client_.reset();
  server_.reset();
  auto reopened = oss::ObjectStore::Open(ost_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->object_count(), 2u);
}

}  // namespace
}  // namespace weft::test
