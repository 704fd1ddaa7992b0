#include "client/file_io.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "client/file_helpers.h"
#include "client/striping.h"

namespace weft::client {

Task<void> FileIo::ReadPiece(OstLink ost, uint32_t ost_index, oss::ObjectId id, uint64_t offset,
                             std::span<char> out, WaitGroup* group) {
  oss::ReadRequest r;
  r.set_ost_index(ost_index);
  *r.mutable_object() = id;
  r.set_offset(offset);
  r.set_length(out.size());
  size_t received = 0;
  rpc::CallOptions co = cluster_.CallOptions();
  co.recv_payload = out;
  co.received = &received;
  co_await ost.slots->Acquire();
  Result<oss::ReadReply> reply = co_await ost.stub.Read(r, co);
  ost.slots->Release();
  // Bytes past the object's end (a hole at the file's tail, or an object never written) are
  // zeros: the file size, not the object, says where the file ends.
  if (reply.ok()) std::memset(out.data() + received, 0, out.size() - received);
  group->Done(reply.status().WithContext("reading " + ObjectName(ost_index, id)));
}

// The OST link of each piece, in order (an OST not in the configuration fails the lot).
Task<Result<std::vector<OstLink>>> FileIo::LinksFor(const InodeState& state,
                                                    const std::vector<StripePiece>& pieces) {
  std::vector<OstLink> links;
  links.reserve(pieces.size());
  for (const StripePiece& p : pieces) {
    WEFT_CO_ASSIGN_OR_RETURN(OstLink link, co_await cluster_.Ost(OstOf(state.layout, p.stripe)));
    links.push_back(link);
  }
  co_return links;
}

Task<Status> FileIo::ReadStriped(InodeState& state, char* buf, size_t len, uint64_t offset) {
  std::vector<StripePiece> pieces =
      SplitRange(GeometryOf(state.layout), offset, len, cluster_.options().max_rpc_size);
  WEFT_CO_ASSIGN_OR_RETURN(std::vector<OstLink> links, co_await LinksFor(state, pieces));
  WaitGroup group(cluster_.loop());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const StripePiece& p = pieces[i];
    group.Add();
    cluster_.loop().Spawn(ReadPiece(links[i], OstOf(state.layout, p.stripe),
                                    ObjectOf(state.layout, p.stripe), p.object_offset,
                                    std::span<char>(buf + p.buffer_offset, p.length), &group));
  }
  co_return co_await group.Wait();
}

Task<Result<size_t>> FileIo::Pread(File& file, char* buf, size_t len, uint64_t offset) {
  InodeState& state = *file.state;
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  WEFT_CO_RETURN_IF_ERROR(CheckLayout(state));
  if ((file.flags_ & O_ACCMODE) == O_WRONLY) {
    co_return Status(StatusCode::kInvalidArgument,
                     "file " + std::to_string(state.ino) + " is open write-only (EBADF in POSIX)");
  }
  WEFT_CO_RETURN_IF_ERROR(co_await Flush(state));
  if (offset >= state.size || len == 0) co_return size_t{0};
  len = static_cast<size_t>(std::min<uint64_t>(len, state.size - offset));
  bool sequential = offset == state.last_read_end;
  state.last_read_end = offset + len;
  // In the window being fetched ahead: wait for it, and the first read to wake makes it the
  // kept one. A fetch that failed fails that read (the RPC layer has retried for call_timeout
  // already); one that overlapped a change of the file is dropped, and the read goes on below
  // as if there had been none.
  while (state.ahead && !Holds(state.ra_offset, state.ra_data.size(), offset, len) &&
         Holds(state.ahead->offset, state.ahead->data.size(), offset, len)) {
    std::shared_ptr<AheadFetch> ahead = state.ahead;
    co_await ahead->done.Wait();
    if (state.ahead != ahead) continue;  // another read took it, or a change dropped it
    state.ahead.reset();
    if (!ahead->status.ok()) co_return ahead->status;
    if (ahead->changes == state.changes) {
      state.ra_offset = ahead->offset;
      state.ra_data = std::move(ahead->data);
    }
  }
  if (Holds(state.ra_offset, state.ra_data.size(), offset, len)) {
    std::memcpy(buf, state.ra_data.data() + (offset - state.ra_offset), len);
    StartAhead(file.state);
    co_return len;
  }
  size_t window = cluster_.options().readahead;
  if (!sequential || window <= len) {
    WEFT_CO_RETURN_IF_ERROR(co_await ReadStriped(state, buf, len, offset));
    co_return len;
  }
  // Sequential: fetch the window into a buffer of its own, keep it, copy the read out, and
  // start on the next window.
  std::string ahead(static_cast<size_t>(std::min<uint64_t>(window, state.size - offset)), '\0');
  uint64_t changes = state.changes;
  WEFT_CO_RETURN_IF_ERROR(co_await ReadStriped(state, ahead.data(), ahead.size(), offset));
  std::memcpy(buf, ahead.data(), len);
  if (state.changes == changes) {
    state.ra_offset = offset;
    state.ra_data = std::move(ahead);
    StartAhead(file.state);
  }
  co_return len;
}

// The window after the kept one comes while the reader reads the kept one, so a sequential
// reader waits for the OSTs only at its first read (and when it outruns them). At most one
// window is fetched ahead per inode: a reader that moved elsewhere has it replaced.
void FileIo::StartAhead(const std::shared_ptr<InodeState>& state) {
  size_t window = cluster_.options().readahead;
  uint64_t next = state->ra_offset + state->ra_data.size();
  if (window == 0 || state->ra_data.empty() || next >= state->size) return;
  if (state->ahead && state->ahead->offset == next) return;
  auto ahead = std::make_shared<AheadFetch>(cluster_.loop());
  ahead->offset = next;
  ahead->data.resize(static_cast<size_t>(std::min<uint64_t>(window, state->size - next)));
  ahead->changes = state->changes;
  state->ahead = ahead;
  background_.Add();
  cluster_.loop().Spawn(FetchAhead(state, std::move(ahead)));
}

Task<void> FileIo::FetchAhead(std::shared_ptr<InodeState> state,
                              std::shared_ptr<AheadFetch> ahead) {
  ahead->status =
      co_await ReadStriped(*state, ahead->data.data(), ahead->data.size(), ahead->offset);
  ahead->done.Set();
  background_.Done(Status::Ok());
}

Task<void> FileIo::Stop() { (co_await background_.Wait()).IgnoreError(); }

Task<void> FileIo::WritePiece(OstLink ost, uint32_t ost_index, oss::ObjectId id, uint64_t offset,
                              std::span<const char> data, WaitGroup* group) {
  oss::WriteRequest r;
  r.set_ost_index(ost_index);
  *r.mutable_object() = id;
  r.set_offset(offset);
  r.set_length(data.size());
  rpc::CallOptions co = cluster_.CallOptions();
  co.send_payload = data;
  co_await ost.slots->Acquire();
  Result<oss::WriteReply> reply = co_await ost.stub.Write(r, co);
  ost.slots->Release();
  group->Done(reply.status().WithContext("writing " + ObjectName(ost_index, id)));
}

Task<Status> FileIo::WriteStriped(InodeState& state, const char* buf, size_t len, uint64_t offset) {
  std::vector<StripePiece> pieces =
      SplitRange(GeometryOf(state.layout), offset, len, cluster_.options().max_rpc_size);
  WEFT_CO_ASSIGN_OR_RETURN(std::vector<OstLink> links, co_await LinksFor(state, pieces));
  WaitGroup group(cluster_.loop());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const StripePiece& p = pieces[i];
    group.Add();
    state.unsynced.insert(p.stripe);
    cluster_.loop().Spawn(WritePiece(
        links[i], OstOf(state.layout, p.stripe), ObjectOf(state.layout, p.stripe), p.object_offset,
        std::span<const char>(buf + p.buffer_offset, p.length), &group));
  }
  Status written = co_await group.Wait();
  state.DropReadahead();  // a fetch that ran while the pieces were in flight may hold old bytes
  co_return written;
}

namespace {

bool Overlaps(const BehindWrite& w, uint64_t offset, uint64_t len) {
  return offset < w.offset + w.length && w.offset < offset + len;
}

bool OverlapsBehind(const InodeState& state, uint64_t offset, uint64_t len) {
  return std::any_of(state.behind.begin(), state.behind.end(),
                     [&](const BehindWrite& w) { return Overlaps(w, offset, len); });
}

// True if a write of `len` at `offset` continues the gathered writes and fits with them.
bool FollowsGather(const InodeState& state, uint64_t offset, size_t len, size_t max) {
  return offset == state.gather_offset + state.gather.size() && state.gather.size() + len <= max;
}

Status EarlierWriteFailed(const Status& st, size_t len, uint64_t offset, const char* kind) {
  return st.WithContext("an earlier write of " + std::to_string(len) + " bytes at offset " +
                        std::to_string(offset) + " (" + kind + ") failed");
}

}  // namespace

// Waits on each write's own event, not on the slots: taking the slots one by one, two waiters
// could each end up holding some while waiting for the rest.
Task<void> FileIo::AwaitBehind(const InodeState& state, uint64_t offset, uint64_t len) {
  std::vector<std::shared_ptr<AsyncEvent>> events;
  for (const BehindWrite& w : state.behind) {
    if (len == UINT64_MAX || Overlaps(w, offset, len)) events.push_back(w.done);
  }
  for (const std::shared_ptr<AsyncEvent>& e : events) co_await e->Wait();
}

// A write in flight is never overtaken by one to the same range: the later waits until no
// write it overlaps is in flight. (Writes that callers issue concurrently are in no order,
// here as in POSIX.)
Task<Status> FileIo::Send(std::shared_ptr<InodeState> state, std::string data, uint64_t offset,
                          const char* kind) {
  if (cluster_.options().write_behind == 0) {
    co_return co_await WriteStriped(*state, data.data(), data.size(), offset);
  }
  for (;;) {
    if (OverlapsBehind(*state, offset, data.size())) {
      co_await AwaitBehind(*state, offset, data.size());
      continue;
    }
    co_await state->behind_slots->Acquire();
    if (!OverlapsBehind(*state, offset, data.size())) break;
    state->behind_slots->Release();  // one came while this waited for its slot
  }
  auto done = std::make_shared<AsyncEvent>(cluster_.loop());
  state->behind.push_back(BehindWrite{offset, data.size(), done});
  background_.Add();
  cluster_.loop().Spawn(
      WriteBehind(std::move(state), std::move(data), offset, std::move(done), kind));
  co_return Status::Ok();
}

// The data is the caller's copy: Pwrite has returned, and the FUSE buffer with it.
Task<void> FileIo::WriteBehind(std::shared_ptr<InodeState> state, std::string data, uint64_t offset,
                               std::shared_ptr<AsyncEvent> done, const char* kind) {
  Status st = co_await WriteStriped(*state, data.data(), data.size(), offset);
  if (!st.ok()) {
    st = EarlierWriteFailed(st, data.size(), offset, kind);
    if (state->behind_error.ok()) state->behind_error = st;
    if (state->write_error.ok()) state->write_error = st;
  }
  for (auto it = state->behind.begin(); it != state->behind.end(); ++it) {
    if (it->done == done) {
      state->behind.erase(it);
      break;
    }
  }
  state->behind_slots->Release();
  done->Set();
  background_.Done(Status::Ok());
}

// flush_lock: a Flush that comes while another sends the gathered writes waits until they are
// sent (or in flight, and so waited for by its drain).
Task<Status> FileIo::Flush(InodeState& state, bool wait) {
  co_await state.flush_lock->Acquire();
  if (!state.gather.empty()) {
    uint64_t offset = state.gather_offset;
    std::string data = std::exchange(state.gather, std::string());
    size_t len = data.size();
    Status st = co_await Send(state.shared_from_this(), std::move(data), offset, "gathered");
    if (!st.ok()) {  // sent now (no write-behind), and failed
      st = EarlierWriteFailed(st, len, offset, "gathered");
      if (state.write_error.ok()) state.write_error = st;
      if (state.behind_error.ok()) state.behind_error = st;
    }
  }
  state.flush_lock->Release();
  if (wait) co_await AwaitBehind(state);
  co_return std::exchange(state.behind_error, Status());
}

Task<Result<size_t>> FileIo::Pwrite(File& file, const char* buf, size_t len, uint64_t offset) {
  InodeState& state = *file.state;
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  WEFT_CO_RETURN_IF_ERROR(CheckLayout(state));
  WEFT_CO_RETURN_IF_ERROR(CheckWritable(file));
  if ((file.flags_ & O_APPEND) != 0) offset = state.size;
  if (len == 0) co_return size_t{0};
  if (!state.behind_error.ok()) co_return std::exchange(state.behind_error, Status());
  WEFT_CO_RETURN_IF_ERROR(co_await KillPrivileges(file));
  const size_t max = cluster_.options().max_rpc_size;
  bool small = cluster_.options().gather_writes && len < max;
  // The gathered writes go first (behind, or now), then this one: gathered, or sent. Neither
  // waits for the writes in flight unless it overlaps one of them (Send). (A loop: another
  // caller may have gathered while Flush waited.)
  while (!state.gather.empty() && !(small && FollowsGather(state, offset, len, max))) {
    WEFT_CO_RETURN_IF_ERROR(co_await Flush(state, /*wait=*/false));
  }
  if (small) {
    if (state.gather.empty()) state.gather_offset = offset;
    state.gather.append(buf, len);
    state.DropReadahead();
  } else if (cluster_.options().write_behind == 0) {
    WEFT_CO_RETURN_IF_ERROR(co_await WriteStriped(state, buf, len, offset));
  } else {
    WEFT_CO_RETURN_IF_ERROR(
        co_await Send(file.state, std::string(buf, len), offset, "write-behind"));
  }
  ++state.writes;
  if (offset + len > state.size) {
    state.size = offset + len;
    state.size_unreported = true;
  }
  if (state.gather.size() >= max) WEFT_CO_RETURN_IF_ERROR(co_await Flush(state, false));
  co_return len;
}

Task<void> FileIo::SyncObjects(uint32_t ost_index, std::vector<oss::ObjectId> ids,
                               WaitGroup* group) {
  oss::SyncRequest r;
  for (oss::ObjectId& id : ids) *r.add_objects() = std::move(id);
  Result<oss::SyncReply> reply =
      co_await CallOst(ost_index, std::move(r), &oss::OssService::Stub::Sync);
  group->Done(reply.status().WithContext("sync on OST " + std::to_string(ost_index)));
}

Task<Status> FileIo::Fsync(File& file) {
  InodeState& state = *file.state;
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  Status flushed = co_await Flush(state);
  if (!state.write_error.ok()) co_return std::exchange(state.write_error, Status());
  WEFT_CO_RETURN_IF_ERROR(flushed);
  std::map<uint32_t, std::vector<oss::ObjectId>> by_ost;
  for (uint32_t stripe : state.unsynced) {
    by_ost[OstOf(state.layout, stripe)].push_back(ObjectOf(state.layout, stripe));
  }
  std::set<uint32_t> syncing = std::move(state.unsynced);
  state.unsynced.clear();
  WaitGroup group(cluster_.loop());
  for (auto& [ost_index, ids] : by_ost) {
    group.Add();
    cluster_.loop().Spawn(SyncObjects(ost_index, std::move(ids), &group));
  }
  Status st = co_await group.Wait();
  if (!st.ok()) {
    state.unsynced.insert(syncing.begin(), syncing.end());
    co_return st;
  }
  // The size, mode, owner and times too (POSIX fsync): the MDS acknowledges attribute changes
  // before their log sync, so fsync asks for one unless none is outstanding.
  if (Unreported(state)) {
    WEFT_CO_RETURN_IF_ERROR(co_await ReportSize(file.cred_, state, /*durable=*/true));
  } else if (meta_.HasUnsynced()) {
    WEFT_CO_RETURN_IF_ERROR(co_await meta_.Sync(file.cred_, state.ino));
  }
  co_return Status::Ok();
}

}  // namespace weft::client
