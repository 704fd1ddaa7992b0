// The path-based calls of Client: resolve with PathWalker, then the call by inode.
#include <fcntl.h>

#include "client/client.h"
#include "client/client_impl.h"

namespace weft::client {
namespace {

Task<Result<Inode>> StatTask(Client::Impl* impl, const Credentials& cred, std::string_view path,
                             bool follow) {
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await impl->walker->Resolve(cred, path, follow));
  impl->io->MergeOpenState(&inode);
  co_return inode;
}

Task<Result<FileHandle>> OpenTask(Client::Impl* impl, const Credentials& cred,
                                  std::string_view path, uint32_t flags, uint32_t mode) {
  if ((flags & O_CREAT) == 0) {
    WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await impl->walker->Resolve(cred, path, true));
    co_return co_await impl->io->Open(cred, inode.ino(), flags);
  }
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Parent parent, co_await impl->walker->ResolveParent(cred, path));
  WEFT_CO_ASSIGN_OR_RETURN(auto created, co_await impl->io->Create(cred, parent.first.ino(),
                                                                   parent.second, mode, 0, flags));
  co_return std::move(created.second);
}

Task<Result<Inode>> MkdirTask(Client::Impl* impl, const Credentials& cred, std::string_view path,
                              uint32_t mode) {
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Parent parent, co_await impl->walker->ResolveParent(cred, path));
  co_return co_await impl->meta->Mkdir(cred, parent.first.ino(), parent.second, mode, 0);
}

Task<Status> RemoveTask(Client::Impl* impl, const Credentials& cred, std::string_view path,
                        bool dir) {
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Parent parent, co_await impl->walker->ResolveParent(cred, path));
  if (dir) co_return co_await impl->meta->Rmdir(cred, parent.first.ino(), parent.second);
  co_return co_await impl->meta->Unlink(cred, parent.first.ino(), parent.second);
}

Task<Status> RenameTask(Client::Impl* impl, const Credentials& cred, std::string_view from,
                        std::string_view to, uint32_t flags) {
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Parent src, co_await impl->walker->ResolveParent(cred, from));
  WEFT_CO_ASSIGN_OR_RETURN(Parent dst, co_await impl->walker->ResolveParent(cred, to));
  co_return co_await impl->meta->Rename(cred, src.first.ino(), src.second, dst.first.ino(),
                                        dst.second, flags);
}

Task<Status> LinkTask(Client::Impl* impl, const Credentials& cred, std::string_view existing,
                      std::string_view new_path) {
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await impl->walker->Resolve(cred, existing, false));
  WEFT_CO_ASSIGN_OR_RETURN(Parent dst, co_await impl->walker->ResolveParent(cred, new_path));
  co_return (co_await impl->meta->Link(cred, inode.ino(), dst.first.ino(), dst.second)).status();
}

Task<Status> SymlinkTask(Client::Impl* impl, const Credentials& cred, std::string_view target,
                         std::string_view path) {
  using Parent = std::pair<Inode, std::string>;
  WEFT_CO_ASSIGN_OR_RETURN(Parent parent, co_await impl->walker->ResolveParent(cred, path));
  co_return (co_await impl->meta->Symlink(cred, parent.first.ino(), parent.second,
                                          std::string(target)))
      .status();
}

Task<Result<std::string>> ReadlinkTask(Client::Impl* impl, const Credentials& cred,
                                       std::string_view path) {
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await impl->walker->Resolve(cred, path, false));
  if (inode.type() != mds::SYMLINK) {
    co_return Status(StatusCode::kInvalidArgument,
                     "'" + std::string(path) + "' is not a symbolic link");
  }
  co_return co_await impl->meta->Readlink(cred, inode.ino());
}

Task<Status> TruncateTask(Client::Impl* impl, const Credentials& cred, std::string_view path,
                          uint64_t size) {
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await impl->walker->Resolve(cred, path, true));
  co_return co_await impl->io->Truncate(cred, inode.ino(), size);
}

Task<Result<std::vector<DirEntry>>> ListTask(Client::Impl* impl, const Credentials& cred,
                                             std::string_view path) {
  WEFT_CO_ASSIGN_OR_RETURN(Inode dir, co_await impl->walker->Resolve(cred, path, true));
  if (dir.type() != mds::DIRECTORY) {
    co_return Status(StatusCode::kNotDirectory, "'" + std::string(path) + "' is not a directory");
  }
  std::vector<DirEntry> entries;
  entries.push_back(DirEntry{".", dir.ino(), mds::DIRECTORY, 1, std::nullopt});
  entries.push_back(DirEntry{"..", dir.parent(), mds::DIRECTORY, 2, std::nullopt});
  uint64_t cookie = 0;
  while (true) {
    WEFT_CO_ASSIGN_OR_RETURN(DirPage page,
                             co_await impl->meta->Readdir(cred, dir.ino(), cookie, 0, false));
    for (DirEntry& e : page.entries) {
      cookie = e.cookie;
      entries.push_back(std::move(e));
    }
    if (page.eof || page.entries.empty()) break;
  }
  co_return entries;
}

}  // namespace

Result<Inode> Client::Stat(const Credentials& cred, std::string_view path, bool follow) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(StatTask(impl_.get(), cred, path, follow));
}

Result<FileHandle> Client::OpenPath(const Credentials& cred, std::string_view path,
                                    uint32_t flags, uint32_t mode) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(OpenTask(impl_.get(), cred, path, flags, mode));
}

Result<Inode> Client::MkdirPath(const Credentials& cred, std::string_view path, uint32_t mode) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(MkdirTask(impl_.get(), cred, path, mode));
}

Status Client::RmdirPath(const Credentials& cred, std::string_view path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(RemoveTask(impl_.get(), cred, path, true));
}

Status Client::UnlinkPath(const Credentials& cred, std::string_view path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(RemoveTask(impl_.get(), cred, path, false));
}

Status Client::RenamePath(const Credentials& cred, std::string_view from, std::string_view to,
                          uint32_t flags) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(RenameTask(impl_.get(), cred, from, to, flags));
}

Status Client::LinkPath(const Credentials& cred, std::string_view existing,
                        std::string_view new_path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(LinkTask(impl_.get(), cred, existing, new_path));
}

Status Client::SymlinkPath(const Credentials& cred, std::string_view target,
                           std::string_view path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(SymlinkTask(impl_.get(), cred, target, path));
}

Result<std::string> Client::ReadlinkPath(const Credentials& cred, std::string_view path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(ReadlinkTask(impl_.get(), cred, path));
}

Status Client::TruncatePath(const Credentials& cred, std::string_view path, uint64_t size) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(TruncateTask(impl_.get(), cred, path, size));
}

Result<std::vector<DirEntry>> Client::ListDir(const Credentials& cred, std::string_view path) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(ListTask(impl_.get(), cred, path));
}

}  // namespace weft::client
