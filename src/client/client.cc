#include "client/client.h"

#include <spdlog/spdlog.h>

#include "client/client_impl.h"
#include "client/mount_source.h"

namespace weft::client {

int ErrnoOf(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument &&
      status.message().find(kSymlinkLoopMessage) != std::string::npos) {
    return ELOOP;
  }
  return status.ToErrno();
}

namespace {

Task<Status> Connect(Client::Impl* impl, MountSource source, ClientOptions options);
Task<void> Disconnect(Client::Impl* impl);

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { Unmount(); }

Result<std::unique_ptr<Client>> Client::Mount(std::string_view source,
                                              const ClientOptions& options) {
  WEFT_RETURN_IF_ERROR(CheckOptions(options));
  WEFT_ASSIGN_OR_RETURN(MountSource parsed, ParseMountSource(source));
  auto impl = std::make_unique<Impl>(options.loop_spin);
  impl->fsname = parsed.fsname;
  WEFT_RETURN_IF_ERROR(impl->Run(Connect(impl.get(), std::move(parsed), options)));
  impl->mounted = true;
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

void Client::Unmount() {
  if (!impl_->mounted.exchange(false)) return;
  impl_->Run(Disconnect(impl_.get()));
}

const std::string& Client::fsname() const { return impl_->fsname; }

std::chrono::steady_clock::duration Client::NameLeaseRemaining(uint64_t dir) const {
  return impl_->leases.Remaining(dir);
}

void Client::SetNamesRemovedHandler(
    std::function<void(uint64_t parent, const std::string& name)> fn) {
  impl_->leases.SetRemovedHandler(std::move(fn));
}

namespace {

// The MDS's NamesRemoved go to the lease cache. (Outside the coroutine: GCC 12 miscompiles a
// capturing lambda inside one.)
void TakeNotifications(Cluster& cluster, NameLeaseCache* leases) {
  cluster.SetNotifyHandler([leases](uint16_t service, uint16_t method, std::string_view body) {
    if (service != mds::MdsService::kId || method != mds::kNotifyNamesRemoved) return;
    mds::NamesRemoved names;
    if (!names.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
    leases->Removed(names);
  });
}

Task<Status> Connect(Client::Impl* impl, MountSource source, ClientOptions options) {
  WEFT_CO_ASSIGN_OR_RETURN(impl->cluster,
                           co_await Cluster::Connect(impl->loop(), std::move(source), options));
  TakeNotifications(*impl->cluster, &impl->leases);
  impl->meta = std::make_unique<MetaClient>(*impl->cluster, impl->leases);
  impl->io = std::make_unique<FileIo>(*impl->cluster, *impl->meta);
  impl->walker = std::make_unique<PathWalker>(*impl->meta);
  co_return Status::Ok();
}

Task<void> Disconnect(Client::Impl* impl) {
  co_await impl->io->Stop();
  co_await impl->cluster->Stop();
  impl->walker.reset();
  impl->io.reset();
  impl->meta.reset();
  impl->cluster.reset();
}

Task<uint64_t> Generation(Client::Impl* impl) { co_return impl->cluster->generation(); }

Task<std::vector<std::pair<uint32_t, bool>>> States(Client::Impl* impl) {
  std::map<uint32_t, bool> states = impl->cluster->OstStates();
  co_return std::vector<std::pair<uint32_t, bool>>(states.begin(), states.end());
}

// Every inode the MDS returns meets what this client knows of it if it is open here (the
// size written and not yet reported): getattr, lookup, link, readdirplus alike, or another
// process's `ls` shrinks the file under its writer (docs/client.md, "Size").
Task<Result<Inode>> Merged(Client::Impl* impl, Task<Result<Inode>> call) {
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, co_await std::move(call));
  impl->io->MergeOpenState(&inode);
  co_return inode;
}

Task<Result<Inode>> GetattrMerged(Client::Impl* impl, const Credentials& cred, uint64_t ino) {
  co_return co_await Merged(impl, impl->meta->Getattr(cred, ino));
}

Task<Result<DirPage>> ReaddirMerged(Client::Impl* impl, const Credentials& cred, uint64_t ino,
                                    uint64_t cookie, uint32_t max_entries, bool plus) {
  WEFT_CO_ASSIGN_OR_RETURN(DirPage page,
                           co_await impl->meta->Readdir(cred, ino, cookie, max_entries, plus));
  for (DirEntry& entry : page.entries) {
    if (entry.inode) impl->io->MergeOpenState(&*entry.inode);
  }
  co_return page;
}

Task<Result<Inode>> SetattrTask(Client::Impl* impl, const Credentials& cred, uint64_t ino,
                                SetAttrs attrs) {
  if (attrs.size) {
    WEFT_CO_RETURN_IF_ERROR(co_await impl->io->Truncate(cred, ino, *attrs.size));
    attrs.size.reset();
  }
  bool times = attrs.atime.how() != mds::TimeSet::OMIT || attrs.mtime.how() != mds::TimeSet::OMIT;
  bool more = attrs.mode || attrs.uid || attrs.gid || times;
  if (!more) co_return co_await GetattrMerged(impl, cred, ino);
  // The reply carries the inode as the MDS left it: no second call for the attributes. Writes
  // this client has not sent or reported would set mtime when they are: with times, they are
  // sent first and reported in the same call, so that the times set here stay.
  Result<Inode> set(Status(StatusCode::kInternal, "not run"));
  if (times) {
    set = co_await impl->io->SetTimes(cred, ino, attrs);
  } else {
    set = co_await impl->meta->Setattr(cred, ino, attrs);
  }
  WEFT_CO_ASSIGN_OR_RETURN(Inode inode, std::move(set));
  impl->io->MergeOpenState(&inode);
  co_return inode;
}

Task<Status> SyncAttributes(Client::Impl* impl, const Credentials& cred, uint64_t ino) {
  if (!impl->meta->HasUnsynced()) co_return Status::Ok();
  co_return co_await impl->meta->Sync(cred, ino);
}

}  // namespace

uint64_t Client::config_generation() {
  if (!impl_->mounted) return 0;
  return impl_->Run(Generation(impl_.get()));
}

std::vector<std::pair<uint32_t, bool>> Client::OstStates() {
  if (!impl_->mounted) return {};
  return impl_->Run(States(impl_.get()));
}

Result<Inode> Client::Lookup(const Credentials& cred, uint64_t parent, const std::string& name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(Merged(impl_.get(), impl_->meta->Lookup(cred, parent, name)));
}

Result<Inode> Client::Getattr(const Credentials& cred, uint64_t ino) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(GetattrMerged(impl_.get(), cred, ino));
}

Result<Inode> Client::Setattr(const Credentials& cred, uint64_t ino, const SetAttrs& attrs) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(SetattrTask(impl_.get(), cred, ino, attrs));
}

Result<std::pair<Inode, FileHandle>> Client::Create(const Credentials& cred, uint64_t parent,
                                                    const std::string& name, uint32_t mode,
                                                    uint32_t flags, uint32_t umask) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Create(cred, parent, name, mode, umask, flags));
}

Result<Inode> Client::Mknod(const Credentials& cred, uint64_t parent, const std::string& name,
                            uint32_t mode, uint64_t rdev, uint32_t umask) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Mknod(cred, parent, name, mode, umask, rdev));
}

Result<Inode> Client::Mkdir(const Credentials& cred, uint64_t parent, const std::string& name,
                            uint32_t mode, uint32_t umask) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Mkdir(cred, parent, name, mode, umask));
}

Status Client::Unlink(const Credentials& cred, uint64_t parent, const std::string& name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Unlink(cred, parent, name));
}

Status Client::Rmdir(const Credentials& cred, uint64_t parent, const std::string& name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Rmdir(cred, parent, name));
}

Status Client::Rename(const Credentials& cred, uint64_t src_parent, const std::string& src_name,
                      uint64_t dst_parent, const std::string& dst_name, uint32_t flags) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Rename(cred, src_parent, src_name, dst_parent, dst_name, flags));
}

Result<Inode> Client::Link(const Credentials& cred, uint64_t ino, uint64_t new_parent,
                           const std::string& new_name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(Merged(impl_.get(), impl_->meta->Link(cred, ino, new_parent, new_name)));
}

Result<Inode> Client::Symlink(const Credentials& cred, uint64_t parent, const std::string& name,
                              const std::string& target) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Symlink(cred, parent, name, target));
}

Result<std::string> Client::Readlink(const Credentials& cred, uint64_t ino) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Readlink(cred, ino));
}

Result<DirPage> Client::Readdir(const Credentials& cred, uint64_t ino, uint64_t cookie,
                                uint32_t max_entries, bool plus) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(ReaddirMerged(impl_.get(), cred, ino, cookie, max_entries, plus));
}

Result<FileHandle> Client::Open(const Credentials& cred, uint64_t ino, uint32_t flags) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Open(cred, ino, flags));
}

Result<FsStats> Client::Statfs(const Credentials& cred) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Statfs(cred));
}

Result<std::string> Client::Getxattr(const Credentials& cred, uint64_t ino,
                                     const std::string& name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Getxattr(cred, ino, name));
}

Status Client::Setxattr(const Credentials& cred, uint64_t ino, const std::string& name,
                        const std::string& value, uint32_t flags) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Setxattr(cred, ino, name, value, flags));
}

Result<std::vector<std::string>> Client::Listxattr(const Credentials& cred, uint64_t ino) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Listxattr(cred, ino));
}

Status Client::Removexattr(const Credentials& cred, uint64_t ino, const std::string& name) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Removexattr(cred, ino, name));
}

Status Client::Access(const Credentials& cred, uint64_t ino, uint32_t mask) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->Access(cred, ino, mask));
}

Result<mds::LayoutReply> Client::GetLayout(const Credentials& cred, uint64_t ino) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->GetLayout(cred, ino));
}

Result<mds::LayoutReply> Client::SetLayout(const Credentials& cred, uint64_t ino,
                                           uint64_t stripe_size, int32_t stripe_count,
                                           std::optional<int32_t> start_ost) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->meta->SetLayout(cred, ino, stripe_size, stripe_count, start_ost));
}

namespace {

// The coroutines of the asynchronous calls own their arguments: the caller's are gone by the
// time they run. (The result is named before `done` gets it: GCC 12 miscompiles some
// co_await expressions used as arguments.)
Task<void> LookupThen(Client::Impl* impl, Credentials cred, uint64_t parent, std::string name,
                      Client::Done<Inode> done) {
  Result<Inode> inode = co_await Merged(impl, impl->meta->Lookup(cred, parent, name));
  done(std::move(inode));
}

Task<void> GetattrThen(Client::Impl* impl, Credentials cred, uint64_t ino,
                       Client::Done<Inode> done) {
  Result<Inode> inode = co_await GetattrMerged(impl, cred, ino);
  done(std::move(inode));
}

Task<void> PreadThen(Client::Impl* impl, FileHandle file, char* buf, size_t len, uint64_t offset,
                     Client::Done<size_t> done) {
  Result<size_t> n = co_await impl->io->Pread(*file, buf, len, offset);
  done(std::move(n));
}

}  // namespace

void Client::LookupAsync(Credentials cred, uint64_t parent, std::string name, Done<Inode> done) {
  if (Status st = impl_->CheckMounted(); !st.ok()) return done(st);
  impl_->loop().Spawn(
      LookupThen(impl_.get(), std::move(cred), parent, std::move(name), std::move(done)));
}

void Client::GetattrAsync(Credentials cred, uint64_t ino, Done<Inode> done) {
  if (Status st = impl_->CheckMounted(); !st.ok()) return done(st);
  impl_->loop().Spawn(GetattrThen(impl_.get(), std::move(cred), ino, std::move(done)));
}

void Client::PreadAsync(FileHandle file, void* buf, size_t len, uint64_t offset,
                        Done<size_t> done) {
  if (Status st = impl_->CheckMounted(); !st.ok()) return done(st);
  impl_->loop().Spawn(PreadThen(impl_.get(), std::move(file), static_cast<char*>(buf), len,
                                offset, std::move(done)));
}

Result<size_t> Client::Pread(const FileHandle& file, void* buf, size_t len, uint64_t offset) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Pread(*file, static_cast<char*>(buf), len, offset));
}

Result<size_t> Client::Pwrite(const FileHandle& file, const void* buf, size_t len,
                              uint64_t offset) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Pwrite(*file, static_cast<const char*>(buf), len, offset));
}

Status Client::Fsync(const FileHandle& file) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Fsync(*file));
}

Status Client::FsyncDir(const Credentials& cred, uint64_t ino) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(SyncAttributes(impl_.get(), cred, ino));
}

Status Client::Ftruncate(const FileHandle& file, uint64_t size) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Ftruncate(*file, size));
}

Status Client::PunchHole(const FileHandle& file, uint64_t offset, uint64_t length) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->PunchHole(*file, offset, length));
}

Result<std::optional<uint64_t>> Client::Seek(const FileHandle& file, uint64_t offset,
                                             bool hole) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Seek(*file, offset, hole));
}

Status Client::Close(const FileHandle& file) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(impl_->io->Close(file));
}

uint64_t Client::FileIno(const FileHandle& file) const { return file->ino(); }

}  // namespace weft::client
