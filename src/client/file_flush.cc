// FileIo::FlushFile and Client::Flush: close(2) of one descriptor, for weft-fuse's flush.
#include <utility>

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

Task<Status> FileIo::FlushInode(const Credentials& cred, uint64_t ino) {
  auto it = open_.find(ino);
  if (it == open_.end()) co_return Status::Ok();
  std::shared_ptr<InodeState> state = it->second;  // held across the awaits
  WEFT_CO_RETURN_IF_ERROR(co_await Flush(*state));
  if (Unreported(*state)) WEFT_CO_RETURN_IF_ERROR(co_await ReportSize(cred, *state));
  co_return Status::Ok();
}

Status Client::Flush(const FileHandle& file) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->FlushFile(*file));
}

}  // namespace weft::client
