// Test fixtures of the metadata target: a temporary directory, the two stores (every typed
// test runs against MemoryMdtStore and RocksMdtStore), and an Mdt with short helpers.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mds/mdt.h"
#include "mds/store/memory_mdt_store.h"
#include "mds/store/rocks_mdt_store.h"

namespace weft::mds::test {

class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/weft-mds-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct MemoryStore {
  static std::unique_ptr<MdtStore> Make(const std::string&) {
    return std::make_unique<MemoryMdtStore>();
  }
};

struct RocksStore {
  static std::unique_ptr<MdtStore> Make(const std::string& dir) {
    auto store = RocksMdtStore::Open(dir + "/mdt", RocksMdtStore::OpenMode::kCreate);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
};

using StoreTypes = ::testing::Types<MemoryStore, RocksStore>;

// True when built with AddressSanitizer: the big tests shrink so the suite stays quick.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif

inline Credentials Cred(uint32_t uid, uint32_t gid, std::vector<uint32_t> groups = {}) {
  Credentials cred;
  cred.set_uid(uid);
  cred.set_gid(gid);
  for (uint32_t g : groups) cred.add_groups(g);
  return cred;
}

// Four active OSTs with equal free space.
inline void FourOsts(RoundRobinOstAllocator* allocator) {
  allocator->Update({{0, true, 1ull << 40}, {1, true, 1ull << 40}, {2, true, 1ull << 40},
                     {3, true, 1ull << 40}});
}

// An Mdt on a fresh store; the helpers run each operation as `cred` (root by default).
class MdtHarness {
 public:
  MdtHarness(std::unique_ptr<MdtStore> store, MdtOptions options = {}) {
    FourOsts(&allocator_);
    EXPECT_TRUE(Mdt::Format(*store, FormatOptions()).ok());
    auto mdt = Mdt::Open(std::move(store), &allocator_, options);
    EXPECT_TRUE(mdt.ok()) << mdt.status().ToString();
    mdt_ = std::move(mdt).value();
  }

  Mdt& mdt() { return *mdt_; }
  uint64_t root() const { return mdt_->root_ino(); }
  RoundRobinOstAllocator& allocator() { return allocator_; }

  Result<EntryReply> Mkdir(uint64_t parent, const std::string& name, uint32_t mode = 0755,
                           const Credentials& cred = Cred(0, 0)) {
    MkdirRequest req;
    *req.mutable_cred() = cred;
    req.set_parent(parent);
    req.set_name(name);
    req.set_mode(mode);
    return mdt_->Mkdir(req);
  }
  Result<EntryReply> Create(uint64_t parent, const std::string& name, uint32_t mode = 0644,
                            const Credentials& cred = Cred(0, 0), bool exclusive = true) {
    CreateRequest req;
    *req.mutable_cred() = cred;
    req.set_parent(parent);
    req.set_name(name);
    req.set_mode(mode);
    req.set_exclusive(exclusive);
    return mdt_->Create(req);
  }
  Result<UnlinkReply> Unlink(uint64_t parent, const std::string& name,
                            const Credentials& cred = Cred(0, 0)) {
    return mdt_->Unlink(NameReq(parent, name, cred));
  }
  Result<UnlinkReply> Rmdir(uint64_t parent, const std::string& name,
                           const Credentials& cred = Cred(0, 0)) {
    return mdt_->Rmdir(NameReq(parent, name, cred));
  }
  Result<AttrReply> Lookup(uint64_t parent, const std::string& name,
                           const Credentials& cred = Cred(0, 0)) {
    LookupRequest req;
    *req.mutable_cred() = cred;
    req.set_parent(parent);
    req.set_name(name);
    return mdt_->Lookup(req);
  }
  Result<EmptyReply> Rename(uint64_t sp, const std::string& sn, uint64_t dp,
                            const std::string& dn, uint32_t flags = 0,
                            const Credentials& cred = Cred(0, 0)) {
    RenameRequest req;
    *req.mutable_cred() = cred;
    req.set_src_parent(sp);
    req.set_src_name(sn);
    req.set_dst_parent(dp);
    req.set_dst_name(dn);
    req.set_flags(flags);
    return mdt_->Rename(req);
  }
  Result<EntryReply> Link(uint64_t ino, uint64_t parent, const std::string& name,
                          const Credentials& cred = Cred(0, 0)) {
    LinkRequest req;
    *req.mutable_cred() = cred;
    req.set_ino(ino);
    req.set_new_parent(parent);
    req.set_new_name(name);
    return mdt_->Link(req);
  }
  // The inode's attributes; a failed test if it does not exist.
  Inode Attr(uint64_t ino) {
    GetattrRequest req;
    req.set_ino(ino);
    auto reply = mdt_->Getattr(req);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    return reply.ok() ? reply->inode() : Inode();
  }
  bool Exists(uint64_t ino) {
    GetattrRequest req;
    req.set_ino(ino);
    return mdt_->Getattr(req).ok();
  }
  // Every name in a directory, in readdir order.
  std::vector<std::string> List(uint64_t dir) {
    std::vector<std::string> names;
    ReaddirRequest req;
    *req.mutable_cred() = Cred(0, 0);
    req.set_ino(dir);
    for (;;) {
      auto page = mdt_->Readdir(req);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return names;
      for (const DirEntry& e : page->entries()) names.push_back(e.name());
      if (page->eof()) return names;
      req.set_cookie(page->entries(page->entries_size() - 1).cookie());
    }
  }

 private:
  static UnlinkRequest NameReq(uint64_t parent, const std::string& name, const Credentials& c) {
    UnlinkRequest req;
    *req.mutable_cred() = c;
    req.set_parent(parent);
    req.set_name(name);
    return req;
  }

  RoundRobinOstAllocator allocator_;
  std::unique_ptr<Mdt> mdt_;
};

// A typed fixture: `h` is an MdtHarness on the store type under test.
template <typename Store>
class MdtTest : public ::testing::Test {
 protected:
  MdtTest() : h(Store::Make(dir.path())) {}
  TempDir dir;
  MdtHarness h;
};

// Asserts that `expr` (a Result or Status) failed with `code`.
#define EXPECT_CODE(expr, code_)                                               \
  do {                                                                         \
    auto weft_r_ = (expr);                                                     \
    EXPECT_FALSE(weft_r_.ok());                                                \
    EXPECT_EQ(weft_r_.status().code(), ::weft::StatusCode::code_)              \
        << #expr << ": " << weft_r_.status().ToString();                       \
  } while (0)

}  // namespace weft::mds::test
