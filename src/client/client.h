// libweft's C++ API: a mounted Weft file system.
//
//   auto fs = weft::client::Client::Mount("10.0.1.4@tcp:/weft");
//   auto cred = weft::client::Credentials::OfProcess();
//   auto f = (*fs)->OpenPath(cred, "/data/x", O_CREAT | O_RDWR, 0644);
//   (*fs)->Pwrite(*f, buf, len, 0);
//   (*fs)->Close(*f);
//
// Two faces over the same calls: by inode (what weft-fuse's low-level callbacks need: lookup,
// getattr, create under a parent inode...) and by path (resolved component by component,
// symbolic links followed). Every call names the caller's Credentials; the MDS checks
// permissions. Errors are Status values; ErrnoOf gives the errno for the syscall boundary.
//
// Threading: every method may be called from any thread, concurrently; calls run on the
// client's own event loop thread, which owns the connections (one RpcClient). A FileHandle
// may be used from several threads, but POSIX says nothing of concurrent writes to one range.
// Ownership: a FileHandle must be Closed before the Client is destroyed (otherwise its gathered
// writes are never sent and the size it wrote never reaches the MDS).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/options.h"
#include "client/target_stats.h"
#include "client/types.h"
#include "common/status.h"

namespace weft::client {

class File;
using FileHandle = std::shared_ptr<File>;

// The errno for a status (Status::ToErrno, plus ELOOP for too many symbolic links).
int ErrnoOf(const Status& status);

class Client {
 public:
  // Parses `source` (MGSNID[,MGSNID...]:/FSNAME), fetches the configuration from the MGS and
  // connects to the MDT and OSTs it names. Fails if no MGS answers within call_timeout, if the
  // MGS serves another file system, or if no MDT is registered.
  static Result<std::unique_ptr<Client>> Mount(std::string_view source,
                                               const ClientOptions& options = {});
  // Unmounts (see Unmount).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Stops following the MGS and closes the connections. Calls after it fail. Idempotent.
  void Unmount();

  const std::string& fsname() const;
  // The MGS configuration generation the client has applied.
  uint64_t config_generation();

  // Name leases (ClientOptions::name_leases; docs/client.md, "Name leases"): how much longer
  // the names this client learned in directory `dir` may be cached (zero without a lease), and
  // where the MDS's word of a name another client removed or replaced goes. The handler runs
  // on the client's loop and must not block; set it before the first call that asks.
  std::chrono::steady_clock::duration NameLeaseRemaining(uint64_t dir) const;
  void SetNamesRemovedHandler(std::function<void(uint64_t parent, const std::string& name)> fn);
  // Each OST the configuration lists and whether it is UP.
  std::vector<std::pair<uint32_t, bool>> OstStates();

  // --- by inode ---
  static constexpr uint64_t kRootIno = 1;
  Result<Inode> Lookup(const Credentials& cred, uint64_t parent, const std::string& name);
  // Attributes from the MDS; the size includes what this client wrote and has not reported.
  Result<Inode> Getattr(const Credentials& cred, uint64_t ino);
  // A size in `attrs` truncates (MDS, then the objects), then the rest is applied.
  Result<Inode> Setattr(const Credentials& cred, uint64_t ino, const SetAttrs& attrs);
  Result<std::pair<Inode, FileHandle>> Create(const Credentials& cred, uint64_t parent,
                                              const std::string& name, uint32_t mode,
                                              uint32_t flags, uint32_t umask = 0);
  Result<Inode> Mknod(const Credentials& cred, uint64_t parent, const std::string& name,
                      uint32_t mode, uint64_t rdev, uint32_t umask = 0);
  Result<Inode> Mkdir(const Credentials& cred, uint64_t parent, const std::string& name,
                      uint32_t mode, uint32_t umask = 0);
  Status Unlink(const Credentials& cred, uint64_t parent, const std::string& name);
  Status Rmdir(const Credentials& cred, uint64_t parent, const std::string& name);
  // flags: 0, RENAME_NOREPLACE (1) or RENAME_EXCHANGE (2).
  Status Rename(const Credentials& cred, uint64_t src_parent, const std::string& src_name,
                uint64_t dst_parent, const std::string& dst_name, uint32_t flags = 0);
  Result<Inode> Link(const Credentials& cred, uint64_t ino, uint64_t new_parent,
                     const std::string& new_name);
  Result<Inode> Symlink(const Credentials& cred, uint64_t parent, const std::string& name,
                        const std::string& target);
  Result<std::string> Readlink(const Credentials& cred, uint64_t ino);
  // One page after `cookie` (0: from the start), without "." and "..". `plus`: with attributes.
  Result<DirPage> Readdir(const Credentials& cred, uint64_t ino, uint64_t cookie,
                          uint32_t max_entries = 0, bool plus = false);
  Result<FileHandle> Open(const Credentials& cred, uint64_t ino, uint32_t flags);
  Result<FsStats> Statfs(const Credentials& cred);
  // statfs of each target: the MDT (inodes) and every OST in the configuration (bytes and
  // inodes); a target that is DOWN or does not answer comes back with up = false.
  Result<std::vector<TargetStats>> TargetStatfs(const Credentials& cred);
  Result<std::string> Getxattr(const Credentials& cred, uint64_t ino, const std::string& name);
  // flags: XATTR_CREATE (1), XATTR_REPLACE (2).
  Status Setxattr(const Credentials& cred, uint64_t ino, const std::string& name,
                  const std::string& value, uint32_t flags = 0);
  Result<std::vector<std::string>> Listxattr(const Credentials& cred, uint64_t ino);
  Status Removexattr(const Credentials& cred, uint64_t ino, const std::string& name);
  // mask: R_OK | W_OK | X_OK, or F_OK (0).
  Status Access(const Credentials& cred, uint64_t ino, uint32_t mask);
  Result<mds::LayoutReply> GetLayout(const Credentials& cred, uint64_t ino);
  // stripe_size 0 / stripe_count 0: keep; stripe_count -1: all OSTs; start_ost: the OST of the
  // first stripe (nullopt: keep; -1: the MDS chooses). Files: only while empty.
  Result<mds::LayoutReply> SetLayout(const Credentials& cred, uint64_t ino, uint64_t stripe_size,
                                     int32_t stripe_count,
                                     std::optional<int32_t> start_ost = std::nullopt);

  // --- asynchronous forms of the calls a mount makes most (lookup, getattr, read) ---
  // Each starts the call on the client's event loop and returns at once; `done` runs later, on
  // the loop's thread, with the result (at once, on the calling thread, if the client is not
  // mounted). So a caller such as the FUSE mount neither parks a thread per call nor pays a
  // thread wake-up for each reply. `done` must not block, nor call the blocking methods above
  // (it runs on the loop they wait for). REQUIRES: every `done` has run before Unmount.
  template <typename T>
  using Done = std::function<void(Result<T>)>;
  void LookupAsync(Credentials cred, uint64_t parent, std::string name, Done<Inode> done);
  void GetattrAsync(Credentials cred, uint64_t ino, Done<Inode> done);
  // As Pread. REQUIRES: `buf` stays valid until `done` runs.
  void PreadAsync(FileHandle file, void* buf, size_t len, uint64_t offset, Done<size_t> done);

  // --- open files ---
  // Up to len bytes at offset; fewer only at the end of the file. Holes read as zeros.
  Result<size_t> Pread(const FileHandle& file, void* buf, size_t len, uint64_t offset);
  // All len bytes at offset (O_APPEND: at the end), or an error. A write smaller than
  // max_rpc_size may be gathered and sent by the next call on the file (docs/client.md).
  Result<size_t> Pwrite(const FileHandle& file, const void* buf, size_t len, uint64_t offset);
  // Data on disk on every OST written to, and the size, mode, owner and times durable on the
  // MDS.
  Status Fsync(const FileHandle& file);
  // fsync of a directory: its entries are durable when the MDS answers a change; its mode,
  // owner and times (and every other attribute change of this mount) once this returns.
  Status FsyncDir(const Credentials& cred, uint64_t ino);
  // What close(2) of one of several descriptors needs: gathered writes sent and the size
  // reported to the MDS (no OST sync), so another client that opens the file next sees it
  // whole. The file stays open.
  Status Flush(const FileHandle& file);
  Status Ftruncate(const FileHandle& file, uint64_t size);
  // fallocate(PUNCH_HOLE | KEEP_SIZE): [offset, offset + length) of the file reads as zeros
  // and gives its space on the OSTs back; the size does not change. kNotSupported if an OST's
  // file system cannot punch holes (nothing is then changed on that OST).
  Status PunchHole(const FileHandle& file, uint64_t offset, uint64_t length);
  // lseek(2) SEEK_DATA, or SEEK_HOLE if `hole`, from `offset`: where the next data (hole)
  // starts; nothing if no data is at or after `offset` (ENXIO).
  Result<std::optional<uint64_t>> Seek(const FileHandle& file, uint64_t offset, bool hole);
  // Reports the size written and ends the open. REQUIRES: not closed before.
  Status Close(const FileHandle& file);
  uint64_t FileIno(const FileHandle& file) const;

  // --- by path (absolute; a relative path starts at the root too) ---
  // stat (follow) or lstat (!follow).
  Result<Inode> Stat(const Credentials& cred, std::string_view path, bool follow = true);
  // open(2): O_CREAT (with mode), O_EXCL, O_TRUNC, O_APPEND, O_ACCMODE.
  Result<FileHandle> OpenPath(const Credentials& cred, std::string_view path, uint32_t flags,
                              uint32_t mode = 0644);
  Result<Inode> MkdirPath(const Credentials& cred, std::string_view path, uint32_t mode);
  Status RmdirPath(const Credentials& cred, std::string_view path);
  Status UnlinkPath(const Credentials& cred, std::string_view path);
  Status RenamePath(const Credentials& cred, std::string_view from, std::string_view to,
                    uint32_t flags = 0);
  Status LinkPath(const Credentials& cred, std::string_view existing, std::string_view new_path);
  Status SymlinkPath(const Credentials& cred, std::string_view target, std::string_view path);
  Result<std::string> ReadlinkPath(const Credentials& cred, std::string_view path);
  Status TruncatePath(const Credentials& cred, std::string_view path, uint64_t size);
  // Every entry, "." and ".." first.
  Result<std::vector<DirEntry>> ListDir(const Credentials& cred, std::string_view path);

  // The insides (client_impl.h); named here so that src/client's own files can reach them.
  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::client
