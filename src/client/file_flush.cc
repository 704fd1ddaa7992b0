// FileIo::FlushFile and Client::Flush: close(2) of one descriptor, for weft-fuse's flush;
// FileIo::SetTimes: utimes with the size report of the writes before it.
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/file_helpers.h"
#include "client/file_io.h"

namespace weft::client {

Task<Status> FileIo::FlushFile(File& file) {
  WEFT_CO_RETURN_IF_ERROR(CheckOpen(file, file.closed_));
  InodeState& state = *file.state;
  Status st = co_await Flush(state);
  if (!state.write_error.ok()) co_return std::exchange(state.write_error, Status());
  WEFT_CO_RETURN_IF_ERROR(st);
  if (Unreported(state)) WEFT_CO_RETURN_IF_ERROR(co_await ReportSize(file.cred_, state));
  co_return Status::Ok();
}

Task<Result<Inode>> FileIo::SetTimes(const Credentials& cred, uint64_t ino,
                                     const SetAttrs& attrs) {
  auto it = open_.find(ino);
  if (it == open_.end()) co_return co_await meta_.Setattr(cred, ino, attrs);
  std::shared_ptr<InodeState> state = it->second;  // held across the awaits
  Status flushed = co_await Flush(*state);
  if (!flushed.ok()) spdlog::warn("setattr of {}: flushing its writes: {}", ino, flushed.ToString());
  if (!Unreported(*state)) co_return co_await meta_.Setattr(cred, ino, attrs);
  co_await state->size_lock->Acquire();
  std::optional<uint64_t> blocks;
  if (state->writes != state->writes_reported)
    blocks = co_await SpaceOnOsts(state->layout, state->size);
  uint64_t size = state->size;
  uint64_t writes = state->writes;
  MetaClient::SizeReport report{
      .size = size, .data_written = writes != state->writes_reported, .blocks = blocks};
  Result<Inode> inode = co_await meta_.Setattr(cred, ino, attrs, &report);
  if (inode.ok()) {
    if (state->size == size) state->size_unreported = false;
    state->writes_reported = std::max(state->writes_reported, writes);
  }
  state->size_lock->Release();
  co_return inode;
}

Status Client::Flush(const FileHandle& file) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->FlushFile(*file));
}

}  // namespace weft::client
