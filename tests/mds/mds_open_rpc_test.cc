// Open and Close over RPC against a real weft-mds: the open count keeps an unlinked file until
// the last close, and Close records the size it carries (largest wins).
#include <fcntl.h>
#include <gmock/gmock.h>

#include "mds_process_fixture.h"

namespace weft::test {
namespace {

constexpr uint64_t kRootIno = 1;

Task<Result<mds::EntryReply>> CreateFile(mds::MdsService::Stub* stub, std::string name) {
  mds::CreateRequest r;
  r.set_parent(kRootIno);
  r.set_name(std::move(name));
  r.set_mode(0644);
  co_return co_await stub->Create(r);
}

Task<Result<mds::AttrReply>> OpenFile(mds::MdsService::Stub* stub, uint64_t ino) {
  mds::OpenRequest r;
  r.set_ino(ino);
  r.set_flags(O_RDWR);
  co_return co_await stub->Open(r);
}

Task<Result<mds::EmptyReply>> CloseFile(mds::MdsService::Stub* stub, uint64_t ino,
                                        uint64_t size) {
  mds::CloseRequest r;
  r.set_ino(ino);
  r.set_size(size);
  co_return co_await stub->Close(r);
}

Task<Result<mds::UnlinkReply>> UnlinkFile(mds::MdsService::Stub* stub, std::string name) {
  mds::UnlinkRequest r;
  r.set_parent(kRootIno);
  r.set_name(std::move(name));
  co_return co_await stub->Unlink(r);
}

Task<Result<mds::AttrReply>> GetattrOf(mds::MdsService::Stub* stub, uint64_t ino) {
  mds::GetattrRequest r;
  r.set_ino(ino);
  co_return co_await stub->Getattr(r);
}

TEST_F(MdsProcessTest, OpenAndCloseOverRpcKeepAnUnlinkedFileUntilTheLastClose) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  MdsTestClient client(mds_port_);
  auto file = client.Run(CreateFile(client.stub(), "f"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  uint64_t ino = file->inode().ino();
  auto opened = client.Run(OpenFile(client.stub(), ino));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString() << "\n" << mds->err();
  EXPECT_EQ(opened->inode().ino(), ino);
  ASSERT_TRUE(client.Run(UnlinkFile(client.stub(), "f")).ok());
  // Open: still there, and a close carries the size the client wrote.
  auto attr = client.Run(GetattrOf(client.stub(), ino));
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->inode().nlink(), 0u);
  auto closed = client.Run(CloseFile(client.stub(), ino, 12345));
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  // The last close let it go.
  attr = client.Run(GetattrOf(client.stub(), ino));
  EXPECT_EQ(attr.status().code(), StatusCode::kNotFound) << attr.status().ToString();
  EXPECT_TRUE(mds->running()) << mds->err();
}

TEST_F(MdsProcessTest, CloseRecordsTheLargestSize) {
  ASSERT_NO_FATAL_FAILURE(StartMgsWithOst());
  ASSERT_NO_FATAL_FAILURE(Mkfs());
  auto mds = StartReadyMds();
  MdsTestClient client(mds_port_);
  auto file = client.Run(CreateFile(client.stub(), "g"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  uint64_t ino = file->inode().ino();
  for (uint64_t size : {5000u, 3000u}) {
    ASSERT_TRUE(client.Run(OpenFile(client.stub(), ino)).ok());
    ASSERT_TRUE(client.Run(CloseFile(client.stub(), ino, size)).ok());
  }
  auto attr = client.Run(GetattrOf(client.stub(), ino));
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->inode().size(), 5000u);
}

}  // namespace
}  // namespace weft::test
