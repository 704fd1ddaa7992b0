// MetaClient: the metadata calls over the MdsService stub, each a coroutine on the client's
// loop, with the caller's credentials. Errors are the MDS's Status (errno through
// Status::ToErrno). Private to src/client; Client (client.h) is the public face.
//
// Threading: loop-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/cluster.h"
#include "client/name_leases.h"
#include "client/options.h"
#include "client/types.h"

namespace weft::client {

class MetaClient {
 public:
  // Leases granted to this client's requests go into `leases` (which outlives it).
  MetaClient(Cluster& cluster, NameLeaseCache& leases) : cluster_(cluster), leases_(leases) {}

  // Name leases (ClientOptions::name_leases): whether requests ask for them, and where a
  // reply's lease goes, given when its request was sent.
  bool asks_leases() const { return cluster_.options().name_leases; }
  void KeepLease(uint64_t dir, const mds::Lease& lease, NameLeaseCache::Clock::time_point sent) {
    leases_.Granted(dir, lease, sent);
  }

  Task<Result<Inode>> Lookup(const Credentials& cred, uint64_t parent, const std::string& name);
  Task<Result<Inode>> Getattr(const Credentials& cred, uint64_t ino);
  // A size this client's writes reached, sent with a Setattr (ReportSize says what it does).
  struct SizeReport {
    uint64_t size = 0;
    bool data_written = false;
    std::optional<uint64_t> blocks;  // with data_written: the objects' space now (512 B units)
  };
  // Mode, owner and times, and with `report` a size report applied before them in the same
  // call. REQUIRES: !attrs.size (sizes go through FileIo::Truncate).
  Task<Result<Inode>> Setattr(const Credentials& cred, uint64_t ino, const SetAttrs& attrs,
                              const SizeReport* report = nullptr);
  // With `through_open_file`, an ftruncate(2) of a descriptor open for writing
  // (SetattrRequest.through_open_file).
  Task<Result<Inode>> SetSize(const Credentials& cred, uint64_t ino, uint64_t size,
                              bool through_open_file = false);
  // Reports a size this client's writes reached: the MDS raises the file's size to it, never
  // lowers it, and writes nothing when it is not larger (SetattrRequest.size_grow_only) unless
  // `data_written`: then mtime and ctime become now, as write(2) sets them. With `durable` the
  // reply waits until it, and every change before it, is durable (fsync).
  Task<Result<Inode>> ReportSize(const Credentials& cred, uint64_t ino, const SizeReport& report,
                                 bool durable = false);
  // MDS Sync: returns once every change the MDS of `ino` acknowledged is durable.
  Task<Status> Sync(const Credentials& cred, uint64_t ino);

  // Changes the MDS may have acknowledged before their log sync (docs/mds.md, "Attribute
  // changes"): attribute changes (mode, owner, times, size reports), and namespace changes,
  // which an MDS with mds.sync_namespace=false answers the same way. This mount's count of
  // them, and whether one may not be durable yet (fsync then sends Sync).
  void NoteUnsynced() { ++unsynced_; }
  bool HasUnsynced() const { return synced_ < unsynced_; }

  // Fresh directory attributes (ClientOptions::fresh_dir_attrs). Every call that changes
  // anything at the MDS lives in a Change, naming the one inode whose attributes it alters
  // (the directory of a create or unlink, the inode of a setattr), or 0 when that is not one
  // known inode (rename). A reply that carries its directory's new attributes offers them;
  // they are kept for the next Getattr of that directory, once, unless another change of
  // this client to that directory (or one of unknown reach) overlapped this one: then the
  // MDS may have applied them in either order, and the reply's view may miss the other.
  // A change begun later drops what was kept. Changes to other directories do not.
  class Change {
   public:
    Change(MetaClient& meta, uint64_t ino);
    ~Change();
    Change(const Change&) = delete;
    Change& operator=(const Change&) = delete;
    void Offer(const mds::EntryReply& reply);
    void Offer(const mds::UnlinkReply& reply);

   private:
    MetaClient& meta_;
    uint64_t ino_;
    uint64_t number_;
  };
  Task<Result<Inode>> Mknod(const Credentials& cred, uint64_t parent, const std::string& name,
                            uint32_t mode, uint32_t umask, uint64_t rdev);
  Task<Result<Inode>> Mkdir(const Credentials& cred, uint64_t parent, const std::string& name,
                            uint32_t mode, uint32_t umask);
  Task<Status> Unlink(const Credentials& cred, uint64_t parent, const std::string& name);
  Task<Status> Rmdir(const Credentials& cred, uint64_t parent, const std::string& name);
  Task<Status> Rename(const Credentials& cred, uint64_t src_parent, const std::string& src_name,
                      uint64_t dst_parent, const std::string& dst_name, uint32_t flags);
  Task<Result<Inode>> Link(const Credentials& cred, uint64_t ino, uint64_t new_parent,
                           const std::string& new_name);
  Task<Result<Inode>> Symlink(const Credentials& cred, uint64_t parent, const std::string& name,
                              const std::string& target);
  Task<Result<std::string>> Readlink(const Credentials& cred, uint64_t ino);
  Task<Result<DirPage>> Readdir(const Credentials& cred, uint64_t ino, uint64_t cookie,
                                uint32_t max_entries, bool plus);
  Task<Result<FsStats>> Statfs(const Credentials& cred);
  Task<Result<std::string>> Getxattr(const Credentials& cred, uint64_t ino,
                                     const std::string& name);
  Task<Status> Setxattr(const Credentials& cred, uint64_t ino, const std::string& name,
                        const std::string& value, uint32_t flags);
  Task<Result<std::vector<std::string>>> Listxattr(const Credentials& cred, uint64_t ino);
  Task<Status> Removexattr(const Credentials& cred, uint64_t ino, const std::string& name);
  Task<Status> Access(const Credentials& cred, uint64_t ino, uint32_t mask);
  Task<Result<mds::LayoutReply>> GetLayout(const Credentials& cred, uint64_t ino);
  Task<Result<mds::LayoutReply>> SetLayout(const Credentials& cred, uint64_t ino,
                                           uint64_t stripe_size, int32_t stripe_count,
                                           std::optional<int32_t> start_ost);

 private:
  Task<Result<Inode>> SendSetattr(const mds::SetattrRequest& r);
  Task<void> AddOstSpace(uint32_t index, FsStats* stats, WaitGroup* group);

  // What this client has in flight at the MDS for one inode, and what it keeps of it.
  struct ChangedInode {
    uint32_t in_flight = 0;
    uint64_t overlapped_through = 0;  // changes numbered up to this overlapped another
    std::optional<Inode> fresh;       // a directory's attributes, as a change left them
    std::chrono::steady_clock::time_point fresh_at;
  };
  uint64_t BeginChange(uint64_t ino);
  void EndChange(uint64_t ino, uint64_t number, const Inode* dir);
  std::optional<Inode> TakeFreshDir(uint64_t ino);

  Cluster& cluster_;
  NameLeaseCache& leases_;
  uint64_t changes_ = 0;            // changes begun
  uint32_t unknown_in_flight_ = 0;  // changes of unknown reach (ino 0) in flight
  std::unordered_map<uint64_t, ChangedInode> changed_;
  uint64_t unsynced_ = 0;  // attribute changes acknowledged before their sync, ever
  uint64_t synced_ = 0;    // how many of those a durable reply has covered
};

// Copies the caller into a request's credentials.
void FillCredentials(const Credentials& cred, mds::Credentials* out);

// OSS Statfs of OST `index`, within its max_rpcs_in_flight (statfs, weft df).
Task<Result<oss::StatfsReply>> OstStatfs(Cluster& cluster, uint32_t index);

}  // namespace weft::client
