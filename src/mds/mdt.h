// Mdt: one metadata target, the POSIX namespace of a Weft file system on an MdtStore.
//
// Each operation takes its request (with the caller's credentials, already root-squashed by
// the caller: see root_squash.h) and returns its reply or a Status whose code maps to the errno
// Linux would give. Every change is one WriteBatch committed durably before the call returns.
// State-changing calls take an optional ReplyTag; a successful reply is then recorded in the
// same batch as the change, and LookupReply answers a resend from the record. A failed call
// changed nothing and records nothing: the RPC layer records it with RecordReply if it wants a
// resend to get the same error.
//
// Permissions are checked here from the request's credentials: mode bits, owner rules for
// chmod/chown/utimes, sticky directories, setgid directories. uid 0 is the superuser.
//
// Threading: every method may be called from any thread concurrently. Changes to one
// directory are serialised by a striped lock table; docs/mds.md describes the locking.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/reply_store.h"
#include "common/status.h"
#include "mds.pb.h"
#include "mds/lock_table.h"
#include "mds/ost_allocator.h"
#include "mds/store/mdt_store.h"

namespace weft::mds {

class Txn;

// Identifies a client's request for exactly-once execution.
struct ReplyTag {
  uint64_t client_id = 0;
  uint64_t request_id = 0;
};

struct FormatOptions {
  std::string fsname = "weft";
  uint32_t index = 0;  // the MDT index: the top 16 bits of every inode number
  std::string uuid;
  uint32_t root_mode = 0755;
  uint32_t root_uid = 0;
  uint32_t root_gid = 0;
  uint64_t default_stripe_size = 1 << 20;
  int32_t default_stripe_count = 1;
  uint64_t max_inodes = uint64_t{1} << 40;  // what statfs reports as the inode total
};

struct MdtOptions {
  uint32_t link_max = 65000;           // EMLINK beyond this many links (and subdirectories)
  uint32_t readdir_page = 1024;        // entries per readdir page when the request says 0
  uint32_t readdir_page_max = 16384;   // larger requests are cut to this
  uint64_t ino_range = 1024;           // inode numbers reserved per write of the counter
  std::string space_path;              // statfs reports the bytes of this directory's disk
  // Namespace changes (create, mknod, mkdir, symlink, link, unlink, rmdir, rename) are durable
  // before their reply leaves. False: they are answered once in the log, as attribute changes
  // are, and synced within LogSyncer::kSoonDelay (docs/mds.md, "Namespace changes").
  bool sync_namespace = true;
};

// A file whose objects await destruction on the OSTs.
struct DestroyItem {
  uint64_t ino = 0;
  Layout layout;
};

class Mdt {
 public:
  // Writes an empty file system (root directory, counters, identity) into an empty store.
  // kAlreadyExists if the store is already formatted.
  static Status Format(MdtStore& store, const FormatOptions& options);

  // Opens a formatted store; cleans the orphans a previous run left open (they become
  // DESTROY items). `allocator` must outlive the Mdt.
  static Result<std::unique_ptr<Mdt>> Open(std::unique_ptr<MdtStore> store,
                                          OstAllocator* allocator, MdtOptions options = {});

  uint64_t root_ino() const { return root_ino_; }
  // MdtOptions::sync_namespace: namespace changes durable before their reply.
  bool sync_namespace() const { return options_.sync_namespace; }
  const MdtFormat& format() const { return format_; }
  // The file system's default layout from the MGS configuration (`mgs.default_stripe_*`): new
  // files in directories without a layout of their own get it instead of the MDT's format-time
  // default. A stripe size of 0 is ignored. Any thread.
  void SetFsDefaultLayout(uint64_t stripe_size, int32_t stripe_count);
  MdtStore& store() { return *store_; }

  // Namespace reads.
  Result<AttrReply> Lookup(const LookupRequest& req);
  Result<AttrReply> Getattr(const GetattrRequest& req);
  Result<ReadlinkReply> Readlink(const ReadlinkRequest& req);
  Result<ReaddirReply> Readdir(const ReaddirRequest& req);
  Result<EmptyReply> Access(const AccessRequest& req);
  Result<StatfsReply> Statfs(const StatfsRequest& req);
  Result<GetxattrReply> Getxattr(const GetxattrRequest& req);
  Result<ListxattrReply> Listxattr(const ListxattrRequest& req);
  Result<LayoutReply> GetLayout(const GetLayoutRequest& req);

  // Namespace changes.
  Result<AttrReply> Setattr(const SetattrRequest& req, const ReplyTag* tag = nullptr);
  Result<EntryReply> Create(const CreateRequest& req, const ReplyTag* tag = nullptr);
  Result<EntryReply> Mknod(const MknodRequest& req, const ReplyTag* tag = nullptr);
  Result<EntryReply> Mkdir(const MkdirRequest& req, const ReplyTag* tag = nullptr);
  Result<EntryReply> Symlink(const SymlinkRequest& req, const ReplyTag* tag = nullptr);
  Result<EntryReply> Link(const LinkRequest& req, const ReplyTag* tag = nullptr);
  Result<UnlinkReply> Unlink(const UnlinkRequest& req, const ReplyTag* tag = nullptr);
  Result<UnlinkReply> Rmdir(const UnlinkRequest& req, const ReplyTag* tag = nullptr);
  Result<EmptyReply> Rename(const RenameRequest& req, const ReplyTag* tag = nullptr);
  Result<EmptyReply> Setxattr(const SetxattrRequest& req, const ReplyTag* tag = nullptr);
  Result<EmptyReply> Removexattr(const RemovexattrRequest& req, const ReplyTag* tag = nullptr);
  Result<LayoutReply> SetLayout(const SetLayoutRequest& req, const ReplyTag* tag = nullptr);

  // Open files. The open count lives in memory: a restart forgets it (and cleans the orphans
  // it kept). Every successful Open (or Create with open) must be paired with one Close.
  Result<AttrReply> Open(const OpenRequest& req);
  Result<EmptyReply> Close(const CloseRequest& req);
  uint32_t OpenCount(uint64_t ino);

  // Exactly once: the reply recorded for (client, request), if any.
  Result<std::optional<rpc::RecordedReply>> LookupReply(uint64_t client_id,
                                                        uint64_t request_id);
  // Records a reply outside any operation (for calls whose handler did not record one).
  Status RecordReply(uint64_t client_id, uint64_t request_id, const rpc::RecordedReply& reply);
  // Deletes all but the newest `keep` reply records.
  Status TrimReplies(uint64_t keep);

  // Clients granted name leases (docs/mds.md, "Name leases"), by client id with the address
  // they are reached at: recorded (synced) before a client's first lease of a run, read at
  // start so that a restarted MDS tells them of removals until their old leases ran out, and
  // forgotten once that is over.
  Status RecordLeaseClient(uint64_t client_id, std::string_view address);
  Result<std::vector<std::pair<uint64_t, std::string>>> LeaseClients();
  Status ForgetLeaseClients(const std::vector<uint64_t>& client_ids);

  // The destroy queue, drained by the destroy worker: up to `max` items with inode numbers
  // above `after`, in inode order.
  Result<std::vector<DestroyItem>> PendingDestroys(size_t max, uint64_t after = 0);
  // How many items the destroy queue holds (a scan of the orphans).
  Result<size_t> DestroyQueueLength();
  // The queue's item for `ino`, if it holds one (a point read).
  Result<std::optional<DestroyItem>> GetDestroyItem(uint64_t ino);
  // Removes `ino` from the queue once every object of its layout is destroyed. Not synced on
  // its own (the next change's log sync makes it durable): a crash may bring the item back,
  // and its objects are then destroyed again, which is harmless.
  Status DestroyDone(uint64_t ino);
  // DestroyDone of several files in one applied batch (the worker's, after a batch of Destroy
  // calls); returns how many were dequeued. A file no longer queued is skipped: a scan of the
  // queue may have finished it first.
  Result<size_t> DestroyDone(const std::vector<uint64_t>& inos);
  // Called with the item (on the operation's thread, once its batch is durable) whenever an
  // operation adds one to the destroy queue, so the destroy worker need neither scan nor read.
  // Thread-safe; `hook` must be quick and must not call back into the Mdt. nullptr removes it.
  void SetDestroyQueuedHook(std::function<void(const DestroyItem& item)> hook);

 private:
  friend class Txn;
  friend class DeferredSync;
  Mdt(std::unique_ptr<MdtStore> store, OstAllocator* allocator, MdtOptions options);
  Status Load();
  Status LoadReplySeq();
  Status LoadInodeCounts();
  Status CleanOrphans();

  // Helpers shared by the operations (mdt_helpers.cc).
  Result<Inode> GetInode(uint64_t ino);
  Result<Inode> GetDir(uint64_t ino);  // kNotDirectory if `ino` is not a directory
  Result<std::optional<Dentry>> GetDentry(uint64_t parent, std::string_view name);
  Result<bool> DirIsEmpty(uint64_t dir);
  Result<uint64_t> AllocateIno();
  // A new inode of `type` in `parent` owned by `cred` (setgid directories honoured), with
  // its number allocated and its times set to `now`; regular files get their layout.
  Result<Inode> NewChild(const Inode& parent, const Credentials& cred, FileType type,
                         uint32_t mode, int64_t now);
  Status AssignLayout(const Inode& parent, Inode* file);
  Layout DefaultLayout(const Inode& dir) const;
  // Takes one link off `inode` (REQUIRES: its inode lock held): the inode is rewritten,
  // kept as an orphan while open, or dropped with its xattrs and its objects queued.
  Status DropLink(Txn& txn, Inode inode, int64_t now);
  Status DeleteInode(Txn& txn, const Inode& inode);
  // Adds a new name to a directory: create, mknod, mkdir and symlink (ops/make_entry.cc).
  struct NewEntry {
    const Credentials& cred;
    uint64_t parent;
    const std::string& name;
    FileType type;
    uint32_t mode;       // permission bits, umask applied
    uint64_t rdev = 0;   // devices
    std::string target = {};  // symlinks
    bool open = false;   // count one open of the new file
  };
  Result<EntryReply> MakeEntry(const NewEntry& entry, const ReplyTag* tag);
  // EINVAL if directory `moved` is `dir` or one of its ancestors (REQUIRES: rename_mu_ held).
  Status CheckNotAncestor(uint64_t moved, uint64_t dir);
  // Removes a name: unlink (`dir` false) and rmdir (`dir` true) (ops/remove_entry.cc).
  Result<UnlinkReply> RemoveEntry(const UnlinkRequest& req, bool dir, const ReplyTag* tag);
  bool IsOpen(uint64_t ino);
  void NotifyDestroyQueued(const DestroyItem& item);

  std::unique_ptr<MdtStore> store_;
  OstAllocator* allocator_;
  MdtOptions options_;
  MdtFormat format_;
  std::atomic<uint64_t> fs_stripe_size_{0};  // from the MGS; 0: none yet
  std::atomic<int32_t> fs_stripe_count_{0};
  uint64_t root_ino_ = 0;

  LockTable dir_locks_;    // serialise changes to a directory's entries
  LockTable inode_locks_;  // serialise read-modify-write of one inode; taken after dir locks
  std::mutex rename_mu_;   // serialises directory moves across parents (the subtree check)

  std::mutex ino_mu_;
  uint64_t next_ino_ = 0;   // guarded by ino_mu_
  uint64_t ino_limit_ = 0;  // first number not yet reserved in meta; guarded by ino_mu_

  // Net inodes per inode-lock stripe; element i guarded by inode_locks_.stripe(i).
  std::vector<int64_t> inode_counts_;

  std::mutex open_mu_;
  std::map<uint64_t, uint32_t> open_counts_;  // guarded by open_mu_

  std::atomic<uint64_t> reply_seq_{0};  // the last sequence number given to a reply record
  // Reply records below this sequence number were deleted by TrimReplies in this process: the
  // next trim seeks past them instead of stepping over their tombstones (RocksDB keeps a
  // deleted key until compaction, and a scan from the prefix's start would visit each).
  std::atomic<uint64_t> replies_trimmed_below_{0};

  std::mutex hook_mu_;
  std::function<void(const DestroyItem&)> destroy_queued_hook_;  // guarded by hook_mu_
};

}  // namespace weft::mds
