// FileIo: open files and striped I/O. A read or write is split per stripe object and per
// max_rpc_size (striping.h), and the pieces go to their OSTs in parallel, at most
// max_rpcs_in_flight per OST (Cluster's semaphores). Sizes: the OSTs hold the bytes, the MDS
// the size; a client reports the largest size it wrote on close and fsync (docs/client.md).
//
// Private to src/client. Threading: loop-thread only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "client/cluster.h"
#include "client/meta_client.h"
#include "client/options.h"
#include "client/striping.h"
#include "client/types.h"

namespace weft::client {

// A readahead window fetched in the background while the reader reads the one before it
// (FileIo::Pread): bytes [offset, offset + data.size()) of the file once `done` is set.
struct AheadFetch {
  explicit AheadFetch(EventLoop& loop) : done(loop) {}
  uint64_t offset = 0;
  std::string data;
  uint64_t changes = 0;  // the inode's `changes` when the fetch began: kept only if unchanged
  Status status;
  AsyncEvent done;
};

// One write sent behind (FileIo::Send): bytes [offset, offset + length) of the file, in flight
// until `done` is set.
struct BehindWrite {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::shared_ptr<AsyncEvent> done;
};

// What this client knows of one open inode, shared by its open files.
struct InodeState : std::enable_shared_from_this<InodeState> {
  uint64_t ino = 0;
  mds::FileType type = mds::FILE_TYPE_UNSPECIFIED;
  mds::Layout layout;
  uint32_t mode = 0;             // the MDS's, as last seen (open, stat, chmod)
  uint64_t size = 0;             // the size as this client sees it (MDS's at open, plus writes)
  bool size_unreported = false;  // written past the size the MDS has: report it
  // Writes (and punched holes) so far, and how many of them the MDS has heard of: a report
  // moves mtime to the time of the writes, as write(2) does (Unreported).
  uint64_t writes = 0;
  uint64_t writes_reported = 0;
  std::set<uint32_t> unsynced;  // stripes written since the last OSS Sync
  // Readahead: bytes [ra_offset, ra_offset + ra_data.size()) of the file, the window after
  // them if it is being fetched (or fetched and not yet read), and where the last read ended
  // (a read starting there is sequential).
  uint64_t ra_offset = 0;
  std::string ra_data;
  std::shared_ptr<AheadFetch> ahead;
  uint64_t last_read_end = 0;
  uint64_t changes = 0;  // bumped by writes, truncates and opens: a fetch that overlapped one
                         // is not kept
  // Write gathering: small sequential writes not sent yet, bytes [gather_offset,
  // gather_offset + gather.size()); flush_lock is held while they are being sent.
  uint64_t gather_offset = 0;
  std::string gather;
  std::unique_ptr<AsyncSemaphore> flush_lock;
  // Held by a size report or a truncate from before it is sent until its reply: the MDS gets
  // them in the order this client made them, so an older, larger report cannot undo a
  // truncate (a child process's close racing the parent's ftruncate).
  std::unique_ptr<AsyncSemaphore> size_lock;
  // Write-behind: writes sent and not yet answered, and the slots they hold
  // (ClientOptions::write_behind of them, one each).
  std::vector<BehindWrite> behind;
  std::unique_ptr<AsyncSemaphore> behind_slots;
  Status behind_error;  // a write sent that failed, for the next call on the file
  Status write_error;   // a gathered write or write-behind that failed, for fsync or close
  int opens = 0;

  // The file's bytes changed here (or may have elsewhere: an open): readahead kept or being
  // fetched is not used.
  void DropReadahead() {
    ra_data.clear();
    ahead.reset();
    ++changes;
  }
};

// True if the MDS has yet to hear of this client's writes: a size past its own, or data
// written (for mtime).
inline bool Unreported(const InodeState& state) {
  return state.size_unreported || state.writes != state.writes_reported;
}

// An open file. Created by FileIo::Open/Create, ended by FileIo::Close.
class File {
 public:
  uint64_t ino() const { return ino_; }
  uint32_t flags() const { return flags_; }

 private:
  friend class FileIo;
  std::shared_ptr<InodeState> state;  // loop-thread only
  uint64_t ino_ = 0;
  uint32_t flags_ = 0;
  Credentials cred_;
  bool closed_ = false;
};

using FileHandle = std::shared_ptr<File>;

class FileIo {
 public:
  FileIo(Cluster& cluster, MetaClient& meta)
      : cluster_(cluster), meta_(meta), background_(cluster.loop()) {}

  // Returns once no readahead fetch or write-behind is in flight. Before the FileIo is
  // destroyed.
  Task<void> Stop();

  // open(2) of an existing inode: attributes fetched now (close-to-open), access checked by
  // the MDS for the open mode; O_TRUNC truncates (MDS, then the objects).
  Task<Result<FileHandle>> Open(const Credentials& cred, uint64_t ino, uint32_t flags);
  // Creates (or, without O_EXCL, opens) `name` in `parent` and opens it with `flags`.
  Task<Result<std::pair<Inode, FileHandle>>> Create(const Credentials& cred, uint64_t parent,
                                                    const std::string& name, uint32_t mode,
                                                    uint32_t umask, uint32_t flags);
  // Reports the size if this client wrote past the MDS's. The file is closed even when the
  // report fails (the error is returned).
  Task<Status> Close(FileHandle file);
  // Up to `len` bytes at `offset`: short only at the end of the file; holes read as zeros.
  Task<Result<size_t>> Pread(File& file, char* buf, size_t len, uint64_t offset);
  // All `len` bytes at `offset`, or an error (some pieces may then have been written). A write
  // smaller than max_rpc_size may be gathered: kept and sent with the writes that follow it,
  // before any other call on the file (docs/client.md).
  Task<Result<size_t>> Pwrite(File& file, const char* buf, size_t len, uint64_t offset);
  // OSS Sync of every object written since the last sync, then the size to the MDS.
  // (file_io.cc; opening, closing and sizes are in file_open.cc)
  Task<Status> Fsync(File& file);
  // close(2) of one descriptor (FUSE flush): the gathered writes sent and the size written
  // reported to the MDS, without syncing the OSTs, so the next opener anywhere sees the whole
  // file (close-to-open). The file stays open. (file_flush.cc)
  Task<Status> FlushFile(File& file);
  // Setattr of `ino`'s times (and mode and owner), after its gathered writes are sent: the size
  // report they need goes in the same MDS call, before the times in it apply, so that it does
  // not move mtime after them (tar, cp -p, touch -d) and costs no call of its own.
  Task<Result<Inode>> SetTimes(const Credentials& cred, uint64_t ino, const SetAttrs& attrs);
  // ftruncate(2) with the opener's credentials. REQUIRES: open for writing.
  Task<Status> Ftruncate(File& file, uint64_t size);
  // fallocate(PUNCH_HOLE | KEEP_SIZE) with the opener's credentials: the gathered writes are
  // sent first (none may land in the hole later), then each object the range touches punches
  // its part. REQUIRES: open for writing. (file_open.cc)
  Task<Status> PunchHole(File& file, uint64_t offset, uint64_t length);
  // lseek(2) SEEK_DATA (or SEEK_HOLE if `hole`) from `offset`: the gathered writes sent, then
  // every object asked where its next data (hole) is, the nearest mapped back to the file.
  // Nothing when there is no data at or after `offset` (ENXIO). (file_open.cc)
  Task<Result<std::optional<uint64_t>>> Seek(File& file, uint64_t offset, bool hole);
  // truncate(2): the size on the MDS, then the objects punched to their new sizes. With
  // `through_open_file`, ftruncate(2) of a descriptor open for writing.
  Task<Status> Truncate(const Credentials& cred, uint64_t ino, uint64_t size,
                        bool through_open_file = false);
  // Attributes fresh from the MDS meet what this client knows of the inode if it is open here:
  // the size written but not yet reported, if larger, replaces the MDS's; the mode the MDS
  // has is kept for writes (KillPrivileges).
  void MergeOpenState(Inode* inode);

 private:
  FileHandle Attach(const Inode& inode, const Credentials& cred, uint32_t flags);
  // Sends the inode's gathered writes, if any, and (with `wait`) waits until every write sent
  // before it is answered. Returns the first error of a write sent that no call has returned.
  Task<Status> Flush(InodeState& state, bool wait = true);
  // Sends `data` at `offset`. With write-behind: in the background, once no write in flight
  // overlaps it and a slot is free (Ok); its error comes later (behind_error, write_error).
  // Without: now, with its status. `kind` names it in errors ("gathered", "write-behind").
  Task<Status> Send(std::shared_ptr<InodeState> state, std::string data, uint64_t offset,
                    const char* kind);
  // Returns once every write in flight at the call that overlaps [offset, offset + len) is
  // answered (writes sent meanwhile are not waited for, so a stream of them cannot hold a
  // waiter up).
  Task<void> AwaitBehind(const InodeState& state, uint64_t offset = 0, uint64_t len = UINT64_MAX);
  Task<void> WriteBehind(std::shared_ptr<InodeState> state, std::string data, uint64_t offset,
                         std::shared_ptr<AsyncEvent> done, const char* kind);
  Task<Status> WriteStriped(InodeState& state, const char* buf, size_t len, uint64_t offset);
  Task<Result<std::vector<OstLink>>> LinksFor(const InodeState& state,
                                              const std::vector<StripePiece>& pieces);
  // Reads [offset, offset + len) of the file from the OSTs. REQUIRES: inside the size.
  Task<Status> ReadStriped(InodeState& state, char* buf, size_t len, uint64_t offset);
  // Drops the readahead of an open inode (its bytes changed).
  void DropAhead(uint64_t ino);
  // Starts fetching the window after the kept one, unless it is being fetched already or the
  // kept one ends the file.
  void StartAhead(const std::shared_ptr<InodeState>& state);
  Task<void> FetchAhead(std::shared_ptr<InodeState> state, std::shared_ptr<AheadFetch> ahead);
  Task<Status> PunchObjects(const mds::Layout& layout, uint64_t size);
  // write(2) by anyone but root clears setuid, and setgid with group-execute (Linux's
  // file_remove_privs): the MDS does it, on a size report that says data was written.
  Task<Status> KillPrivileges(File& file);
  Task<Result<Inode>> MdsOpen(const Credentials& cred, uint64_t ino, uint32_t flags);
  Task<Result<Inode>> TruncateAtOpen(const Credentials& cred, Inode inode, uint32_t flags);
  // MDS Close of one open, with the size to record if not null.
  Task<Status> MdsClose(const Credentials& cred, uint64_t ino, const uint64_t* size,
                        bool data_written, std::optional<uint64_t> blocks);
  // The space the objects of `layout` take on their OSTs, in 512-byte blocks, asked of all
  // that may hold data of a file of `size` bytes at once (st_blocks, for du); nothing if one
  // cannot say. (file_open.cc)
  Task<std::optional<uint64_t>> SpaceOnOsts(const mds::Layout& layout, uint64_t size);
  Task<void> ObjectSpace(uint32_t ost_index, oss::ObjectId id, uint64_t* bytes, WaitGroup* group);
  // With `durable` (fsync), the reply waits until the MDS has it, and all before it, durable.
  Task<Status> ReportSize(const Credentials& cred, InodeState& state, bool durable = false);
  Task<void> ReadPiece(OstLink ost, uint32_t ost_index, oss::ObjectId id, uint64_t offset,
                       std::span<char> out, WaitGroup* group);
  Task<void> WritePiece(OstLink ost, uint32_t ost_index, oss::ObjectId id, uint64_t offset,
                        std::span<const char> data, WaitGroup* group);
  Task<void> SyncObjects(uint32_t ost_index, std::vector<oss::ObjectId> ids, WaitGroup* group);
  // One call of `method` to OST `ost_index` (its ost_index set here), in one of the OST's
  // max_rpcs_in_flight slots.
  template <typename Req, typename Resp>
  Task<Result<Resp>> CallOst(uint32_t ost_index, Req request,
                             Task<Result<Resp>> (oss::OssService::Stub::*method)(const Req&,
                                                                                 rpc::CallOptions));
  Task<void> PunchObject(uint32_t ost_index, oss::ObjectId id, uint64_t size, WaitGroup* group);
  Task<void> PunchObjectHole(uint32_t ost_index, oss::ObjectId id, uint64_t offset, uint64_t length,
                             WaitGroup* group);
  // One object's answer to a Seek: its object offset, or nothing (no data after).
  Task<void> SeekObject(uint32_t ost_index, oss::ObjectId id, uint64_t offset, bool hole,
                        std::optional<uint64_t>* answer, WaitGroup* group);

  Cluster& cluster_;
  MetaClient& meta_;
  std::map<uint64_t, std::shared_ptr<InodeState>> open_;
  WaitGroup background_;  // readahead fetches and writes-behind in flight
};

template <typename Req, typename Resp>
Task<Result<Resp>> FileIo::CallOst(
    uint32_t ost_index, Req request,
    Task<Result<Resp>> (oss::OssService::Stub::*method)(const Req&, rpc::CallOptions)) {
  Result<OstLink> ost = co_await cluster_.Ost(ost_index);
  if (!ost.ok()) co_return ost.status();
  request.set_ost_index(ost_index);
  co_await ost->slots->Acquire();
  Result<Resp> reply = co_await (ost->stub.*method)(request, cluster_.CallOptions());
  ost->slots->Release();
  co_return reply;
}

}  // namespace weft::client
