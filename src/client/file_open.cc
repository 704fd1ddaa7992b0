// Opening, closing and sizes of files: the MDS side of FileIo.
//
// Every open is an MDS Open (access checked there, the open counted, so a file unlinked while
// open stays until its last close) and every close an MDS Close carrying the size this client
// wrote (the largest wins). O_TRUNC is not left to the MDS's Open, which would only zero the
// size: it is a truncate (MDS, then the objects punched). Between opens and closes the size
// goes to the MDS with Setattr when it is larger than the MDS's (fsync, flush).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "client/file_helpers.h"
#include "client/file_io.h"

namespace weft::client {
namespace {

// What the MDS cannot tell from its Open: flags that make no sense.
Status CheckOpenFlags(uint64_t ino, uint32_t flags) {
  if ((flags & O_ACCMODE) == O_ACCMODE) {
    return Status(StatusCode::kInvalidArgument,
                  "open of inode " + std::to_string(ino) + ": O_ACCMODE 3 is not an access mode");
  }
  return Status::Ok();
}

}  // namespace

FileHandle FileIo::Attach(const Inode& inode, const Credentials& cred, uint32_t flags) {
  std::shared_ptr<InodeState>& state = open_[inode.ino()];
  if (!state) {
    state = std::make_shared<InodeState>();
    state->flush_lock = std::make_unique<AsyncSemaphore>(cluster_.loop(), 1);
    state->size_lock = std::make_unique<AsyncSemaphore>(cluster_.loop(), 1);
    state->behind_slots =
        std::make_unique<AsyncSemaphore>(cluster_.loop(), cluster_.options().write_behind);
  }
  state->ino = inode.ino();
  state->type = inode.type();
  state->layout = inode.layout();
  state->mode = inode.mode();
  state->size = state->size_unreported ? std::max(state->size, inode.size()) : inode.size();
  state->DropReadahead();  // close-to-open: nothing read before this open is reused
  ++state->opens;
  auto file = std::make_shared<File>();
  file->state = state;
  file->ino_ = inode.ino();
  file->flags_ = flags;
  file->cred_ = cred;
  return file;
}

// MDS Open: the access check of open(2) and one open counted (O_TRUNC aside: see the top).
Task<Result<Inode>> FileIo::MdsOpen(const Credentials& cred, uint64_t ino, uint32_t flags) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::OpenRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_flags(flags & ~static_cast<uint32_t>(O_TRUNC | O_CREAT | O_EXCL));
  WEFT_CO_ASSIGN_OR_RETURN(mds::AttrReply reply, co_await stub.Open(r, cluster_.CallOptions()));
  co_return std::move(*reply.mutable_inode());
}

// O_TRUNC after the open: a truncate to 0 (MDS, then the objects), with W_OK checked by it.
Task<Result<Inode>> FileIo::TruncateAtOpen(const Credentials& cred, Inode inode,
                                           uint32_t flags) {
  if ((flags & O_TRUNC) != 0 && inode.type() == mds::REGULAR && inode.size() > 0) {
    WEFT_CO_RETURN_IF_ERROR(co_await Truncate(cred, inode.ino(), 0));
    inode.set_size(0);
  }
  co_return inode;
}

Task<Result<FileHandle>> FileIo::Open(const Credentials& cred, uint64_t ino, uint32_t flags) {
  WEFT_CO_RETURN_IF_ERROR(CheckOpenFlags(ino, flags));
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await MdsOpen(cred, ino, flags));
  FileHandle file = Attach(inode, cred, flags);
  Result<Inode> truncated = co_await TruncateAtOpen(cred, std::move(inode), flags);
  if (!truncated.ok()) {
    (void)co_await Close(file);
    co_return truncated.status();
  }
  if ((flags & O_TRUNC) != 0) file->state->size = std::min(file->state->size, truncated->size());
  co_return file;
}

Task<Result<std::pair<Inode, FileHandle>>> FileIo::Create(const Credentials& cred,
                                                          uint64_t parent,
                                                          const std::string& name,
                                                          uint32_t mode, uint32_t umask,
                                                          uint32_t flags) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::CreateRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  r.set_mode(mode & 07777);
  r.set_umask(umask);
  r.set_exclusive((flags & O_EXCL) != 0);
  // Created and opened in one call (one open counted); a name that existed is opened as
  // open(2) would, its access checked by the MDS.
  r.set_open(true);
  r.set_open_flags(flags & ~static_cast<uint32_t>(O_TRUNC));
  r.set_lease(meta_.asks_leases());
  MetaClient::Change change(meta_, parent);
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub.Create(r, cluster_.CallOptions()));
  meta_.KeepLease(parent, reply.lease(), sent);
  change.Offer(reply);
  if (reply.created()) meta_.NoteUnsynced();  // maybe answered before its sync
  Inode inode = std::move(*reply.mutable_inode());
  FileHandle file = Attach(inode, cred, flags);
  if (!reply.created()) {
    Result<Inode> truncated = co_await TruncateAtOpen(cred, inode, flags);
    if (!truncated.ok()) {
      (void)co_await Close(file);
      co_return truncated.status();
    }
    if ((flags & O_TRUNC) != 0) file->state->size = std::min(file->state->size, truncated->size());
    inode = std::move(*truncated);
  }
  co_return std::make_pair(std::move(inode), std::move(file));
}

Task<Status> FileIo::Close(FileHandle file) {
  if (file->closed_) {
    co_return Status(StatusCode::kInvalidArgument,
                     "file " + std::to_string(file->ino()) + " is already closed");
  }
  file->closed_ = true;
  InodeState& state = *file->state;
  Status st = co_await Flush(state);
  if (!state.write_error.ok()) st = std::exchange(state.write_error, Status());
  // The MDS Close ends this open in any case; it carries the size if this client wrote past
  // the MDS's (largest wins at the MDS), and then the blocks the objects take.
  co_await state.size_lock->Acquire();
  std::optional<uint64_t> blocks;
  if (st.ok() && state.writes != state.writes_reported)
    blocks = co_await SpaceOnOsts(state.layout, state.size);
  uint64_t size = state.size;
  uint64_t writes = state.writes;
  bool report = st.ok() && Unreported(state);
  bool written = report && writes != state.writes_reported;
  Status closed =
      co_await MdsClose(file->cred_, state.ino, report ? &size : nullptr, written, blocks);
  if (closed.ok() && report) {
    if (state.size == size) state.size_unreported = false;
    state.writes_reported = std::max(state.writes_reported, writes);
  }
  state.size_lock->Release();
  if (st.ok()) st = closed;
  if (--state.opens == 0) open_.erase(state.ino);
  co_return st;
}

Task<Status> FileIo::MdsClose(const Credentials& cred, uint64_t ino, const uint64_t* size,
                              bool data_written, std::optional<uint64_t> blocks) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::CloseRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  if (size != nullptr) r.set_size(*size);
  r.set_data_written(data_written);
  if (data_written && blocks) r.set_blocks(*blocks);
  WEFT_CO_RETURN_IF_ERROR((co_await stub.Close(r, cluster_.CallOptions())).status());
  if (size != nullptr || data_written) meta_.NoteUnsynced();  // a size report, synced soon
  co_return Status::Ok();
}

Task<void> FileIo::ObjectSpace(uint32_t ost_index, oss::ObjectId id, uint64_t* bytes,
                               WaitGroup* group) {
  oss::GetAttrRequest attr;
  *attr.mutable_object() = id;
  Result<oss::GetAttrReply> reply =
      co_await CallOst(ost_index, std::move(attr), &oss::OssService::Stub::GetAttr);
  Status st = reply.status();
  if (reply.ok()) *bytes = reply->allocated_bytes();
  if (st.code() == StatusCode::kNotFound) st = Status::Ok();  // never written: no space
  group->Done(st.WithContext("space of " + ObjectName(ost_index, id)));
}

// All objects, not only those this client wrote: the MDS keeps one total. An object whose first
// stripe unit starts at or past `size` holds nothing (a truncate cut it) and is not asked. Not
// known (nothing reported, the MDS's count kept) if an OST does not answer.
Task<std::optional<uint64_t>> FileIo::SpaceOnOsts(const mds::Layout& layout, uint64_t size) {
  std::vector<uint64_t> bytes(static_cast<size_t>(layout.objects_size()), 0);
  WaitGroup group(cluster_.loop());
  for (uint32_t stripe = 0; stripe < bytes.size(); ++stripe) {
    if (layout.stripe_size() != 0 && uint64_t{stripe} * layout.stripe_size() >= size) break;
    group.Add();
    cluster_.loop().Spawn(
        ObjectSpace(OstOf(layout, stripe), ObjectOf(layout, stripe), &bytes[stripe], &group));
  }
  Status st = co_await group.Wait();
  if (!st.ok()) {
    spdlog::debug("file blocks not reported: {}", st.ToString());
    co_return std::nullopt;
  }
  uint64_t total = 0;
  for (uint64_t b : bytes) total += b;
  co_return (total + 511) / 512;
}

void FileIo::MergeOpenState(Inode* inode) {
  auto it = open_.find(inode->ino());
  if (it == open_.end()) return;
  it->second->mode = inode->mode();
  if (it->second->size_unreported) inode->set_size(std::max(inode->size(), it->second->size));
}

// Linux clears setgid on write only where group-execute is set (mandatory locking marked the
// other case); root (CAP_FSETID) keeps both.
Task<Status> FileIo::KillPrivileges(File& file) {
  InodeState& state = *file.state;
  bool setgid_exec = (state.mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
  if (file.cred_.uid == 0 || ((state.mode & S_ISUID) == 0 && !setgid_exec)) {
    co_return Status::Ok();
  }
  MetaClient::SizeReport report{.size = 0, .data_written = true, .blocks = std::nullopt};
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await meta_.ReportSize(file.cred_, state.ino, report));
  state.mode = inode.mode();
  co_return Status::Ok();
}

// The size to the MDS, which keeps the larger of it and its own (another client's truncate
// after our writes is not undone by an older, larger report only if it came later: docs/client.md).
Task<Status> FileIo::ReportSize(const Credentials& cred, InodeState& state, bool durable) {
  co_await state.size_lock->Acquire();
  std::optional<uint64_t> blocks;
  if (state.writes != state.writes_reported)
    blocks = co_await SpaceOnOsts(state.layout, state.size);
  uint64_t size = state.size;  // read after the count: a write meanwhile is in the report
  uint64_t writes = state.writes;
  MetaClient::SizeReport report{
      .size = size, .data_written = writes != state.writes_reported, .blocks = blocks};
  Result<Inode> sent = co_await meta_.ReportSize(cred, state.ino, report, durable);
  if (sent.ok()) {
    if (state.size == size) state.size_unreported = false;
    state.writes_reported = std::max(state.writes_reported, writes);
  }
  state.size_lock->Release();
  co_return sent.status();
}

Task<void> FileIo::PunchObject(uint32_t ost_index, oss::ObjectId id, uint64_t size,
                               WaitGroup* group) {
  Result<OstLink> ost = co_await cluster_.Ost(ost_index);
  if (!ost.ok()) {
    group->Done(ost.status());
    co_return;
  }
  oss::GetAttrRequest attr;
  attr.set_ost_index(ost_index);
  *attr.mutable_object() = id;
  co_await ost->slots->Acquire();
  Result<oss::GetAttrReply> now = co_await ost->stub.GetAttr(attr, cluster_.CallOptions());
  Status st = now.status();
  if (st.code() == StatusCode::kNotFound) st = Status::Ok();  // never written: nothing to cut
  if (now.ok() && now->size() > size) {
    oss::PunchRequest punch;
    punch.set_ost_index(ost_index);
    *punch.mutable_object() = id;
    punch.set_size(size);
    st = (co_await ost->stub.Punch(punch, cluster_.CallOptions())).status();
  }
  ost->slots->Release();
  group->Done(st.WithContext("truncating " + ObjectName(ost_index, id)));
}

// Cuts every object longer than the file of `size` bytes needs. Objects are only shortened:
// growing a file leaves a hole, which reads as zeros without any object.
Task<Status> FileIo::PunchObjects(const mds::Layout& layout, uint64_t size) {
  if (layout.objects_size() == 0 || layout.stripe_size() == 0) co_return Status::Ok();
  StripeGeometry g = GeometryOf(layout);
  WaitGroup group(cluster_.loop());
  for (uint32_t stripe = 0; stripe < g.stripe_count; ++stripe) {
    group.Add();
    cluster_.loop().Spawn(PunchObject(OstOf(layout, stripe), ObjectOf(layout, stripe),
                                      ObjectSizeForFileSize(g, stripe, size), &group));
  }
  co_return co_await group.Wait();
}

Task<void> FileIo::PunchObjectHole(uint32_t ost_index, oss::ObjectId id, uint64_t offset,
                                   uint64_t length, WaitGroup* group) {
  oss::PunchRequest punch;
  *punch.mutable_object() = id;
  punch.set_hole_offset(offset);
  punch.set_hole_length(length);
  Result<oss::PunchReply> punched =
      co_await CallOst(ost_index, std::move(punch), &oss::OssService::Stub::Punch);
  group->Done(punched.status().WithContext("punching a hole in " + ObjectName(ost_index, id)));
}

// Object `stripe` holds the bytes of file range [a, b) at object offsets [f(a), f(b)), where
// f(x) = ObjectSizeForFileSize(x): its bytes before file offset x.
Task<Status> FileIo::PunchHole(File& file, uint64_t offset, uint64_t length) {
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  WEFT_CO_RETURN_IF_ERROR(CheckWritable(file));
  std::shared_ptr<InodeState> state = file.state;  // Flush may see the last close
  WEFT_CO_RETURN_IF_ERROR(co_await Flush(*state));
  const mds::Layout& layout = state->layout;
  if (length == 0 || layout.objects_size() == 0 || layout.stripe_size() == 0) {
    co_return Status::Ok();
  }
  uint64_t end = offset + std::min(length, UINT64_MAX - offset);
  StripeGeometry g = GeometryOf(layout);
  WaitGroup group(cluster_.loop());
  DropAhead(file.ino());
  for (uint32_t stripe = 0; stripe < g.stripe_count; ++stripe) {
    uint64_t from = ObjectSizeForFileSize(g, stripe, offset);
    uint64_t to = std::min(ObjectSizeForFileSize(g, stripe, end), oss::kMaxObjectOffset);
    if (to <= from) continue;
    state->unsynced.insert(stripe);  // an fsync makes the hole durable too
    ++state->writes;                 // and moves mtime
    group.Add();
    cluster_.loop().Spawn(PunchObjectHole(OstOf(layout, stripe), ObjectOf(layout, stripe), from,
                                          to - from, &group));
  }
  Status punched = co_await group.Wait();
  DropAhead(file.ino());  // and whatever was fetched while the objects were punched
  co_return punched;
}

Task<void> FileIo::SeekObject(uint32_t ost_index, oss::ObjectId id, uint64_t offset, bool hole,
                              std::optional<uint64_t>* answer, WaitGroup* group) {
  oss::SeekRequest seek;
  *seek.mutable_object() = id;
  seek.set_offset(offset);
  seek.set_whence(hole ? oss::SeekRequest::HOLE : oss::SeekRequest::DATA);
  Result<oss::SeekReply> reply =
      co_await CallOst(ost_index, std::move(seek), &oss::OssService::Stub::Seek);
  if (reply.ok() && reply->found()) *answer = reply->offset();
  group->Done(reply.status().WithContext("seeking in " + ObjectName(ost_index, id)));
}

// A file byte is data if its object's byte is: so the next data (hole) of the file is the
// nearest, in file offsets, of the next data (hole) of each object from where `offset` falls
// in it. Past the size everything is a hole.
Task<Result<std::optional<uint64_t>>> FileIo::Seek(File& file, uint64_t offset, bool hole) {
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  std::shared_ptr<InodeState> state = file.state;  // Flush may see the last close
  WEFT_CO_RETURN_IF_ERROR(co_await Flush(*state));
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await meta_.Getattr(file.cred_, file.ino()));
  MergeOpenState(&inode);
  uint64_t size = inode.size();
  if (offset >= size) co_return std::optional<uint64_t>();
  const mds::Layout& layout = state->layout;
  if (layout.objects_size() == 0 || layout.stripe_size() == 0) {
    co_return hole ? std::optional<uint64_t>(offset) : std::optional<uint64_t>();
  }
  StripeGeometry g = GeometryOf(layout);
  std::vector<std::optional<uint64_t>> answers(g.stripe_count);
  WaitGroup group(cluster_.loop());
  for (uint32_t stripe = 0; stripe < g.stripe_count; ++stripe) {
    group.Add();
    cluster_.loop().Spawn(SeekObject(OstOf(layout, stripe), ObjectOf(layout, stripe),
                                     ObjectSizeForFileSize(g, stripe, offset), hole,
                                     &answers[stripe], &group));
  }
  WEFT_CO_RETURN_IF_ERROR(co_await group.Wait());
  uint64_t best = UINT64_MAX;
  for (uint32_t stripe = 0; stripe < g.stripe_count; ++stripe) {
    if (answers[stripe]) best = std::min(best, FileOffsetOf(g, stripe, *answers[stripe]));
  }
  if (hole) co_return std::optional<uint64_t>(std::min(best, size));
  if (best >= size) co_return std::optional<uint64_t>();
  co_return std::optional<uint64_t>(best);
}

Task<Status> FileIo::Ftruncate(File& file, uint64_t size) {
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  WEFT_CO_RETURN_IF_ERROR(CheckWritable(file));
  co_return co_await Truncate(file.cred_, file.ino(), size, /*through_open_file=*/true);
}

Task<Status> FileIo::Truncate(const Credentials& cred, uint64_t ino, uint64_t size,
                              bool through_open_file) {
  std::shared_ptr<InodeState> state;  // held across the awaits: Flush may see the last close
  if (auto open = open_.find(ino); open != open_.end()) state = open->second;
  if (state) {
    WEFT_CO_RETURN_IF_ERROR(co_await Flush(*state));
    co_await state->size_lock->Acquire();
  }
  Result<Inode> set = co_await meta_.SetSize(cred, ino, size, through_open_file);
  if (state) {
    if (set.ok()) {
      state->size = size;
      state->size_unreported = false;
    }
    state->size_lock->Release();
  }
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, std::move(set));
  DropAhead(ino);
  Status punched = co_await PunchObjects(inode.layout(), size);
  DropAhead(ino);  // and whatever was fetched while the objects were cut
  co_return punched;
}

void FileIo::DropAhead(uint64_t ino) {
  auto it = open_.find(ino);
  if (it == open_.end()) return;
  it->second->DropReadahead();
}

}  // namespace weft::client
