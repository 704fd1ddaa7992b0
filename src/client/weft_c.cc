// The C API (weft.h) over Client: handles own a Client, a FileHandle, a listing.
#include "client/weft.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "client/client.h"

struct weft_fs {
  std::unique_ptr<weft::client::Client> client;
  std::mutex mu;  // guards cred
  weft::client::Credentials cred;

  weft::client::Credentials Cred() {
    std::lock_guard lock(mu);
    return cred;
  }
};

struct weft_file {
  weft_fs* fs;
  weft::client::FileHandle handle;
};

struct weft_dir {
  std::vector<weft::client::DirEntry> entries;
  size_t next = 0;
};

namespace {

using weft::Status;
using weft::client::ErrnoOf;

int Rc(const Status& st) { return st.ok() ? 0 : -ErrnoOf(st); }

unsigned char DirentType(weft::mds::FileType type) {
  switch (type) {
    case weft::mds::REGULAR: return DT_REG;
    case weft::mds::DIRECTORY: return DT_DIR;
    case weft::mds::SYMLINK: return DT_LNK;
    case weft::mds::FIFO: return DT_FIFO;
    case weft::mds::SOCKET: return DT_SOCK;
    case weft::mds::CHAR_DEVICE: return DT_CHR;
    case weft::mds::BLOCK_DEVICE: return DT_BLK;
    default: return DT_UNKNOWN;
  }
}

weft::client::ClientOptions OptionsFrom(const weft_mount_options* o) {
  weft::client::ClientOptions options;
  if (o == nullptr) return options;
  if (o->max_rpc_size != 0) options.max_rpc_size = o->max_rpc_size;
  if (o->max_rpcs_in_flight != 0) options.max_rpcs_in_flight = o->max_rpcs_in_flight;
  if (o->call_timeout_ms != 0) options.call_timeout = std::chrono::milliseconds(o->call_timeout_ms);
  if (o->attempt_timeout_ms != 0) {
    options.attempt_timeout = std::chrono::milliseconds(o->attempt_timeout_ms);
  }
  return options;
}

}  // namespace

extern "C" {

int weft_mount(const char* source, const weft_mount_options* options, weft_fs_t** fs) {
  if (source == nullptr || fs == nullptr) return -EINVAL;
  auto client = weft::client::Client::Mount(source, OptionsFrom(options));
  if (!client.ok()) return Rc(client.status());
  auto* out = new weft_fs;
  out->client = std::move(client).value();
  out->cred = weft::client::Credentials::OfProcess();
  *fs = out;
  return 0;
}

int weft_umount(weft_fs_t* fs) {
  if (fs == nullptr) return -EINVAL;
  fs->client->Unmount();
  delete fs;
  return 0;
}

int weft_set_creds(weft_fs_t* fs, uid_t uid, gid_t gid, size_t ngroups, const gid_t* groups) {
  if (fs == nullptr || (ngroups > 0 && groups == nullptr)) return -EINVAL;
  std::lock_guard lock(fs->mu);
  fs->cred.uid = uid;
  fs->cred.gid = gid;
  fs->cred.groups.assign(groups, groups + ngroups);
  return 0;
}

int weft_open(weft_fs_t* fs, const char* path, int flags, mode_t mode, weft_file_t** file) {
  if (fs == nullptr || path == nullptr || file == nullptr) return -EINVAL;
  auto handle = fs->client->OpenPath(fs->Cred(), path, static_cast<uint32_t>(flags), mode);
  if (!handle.ok()) return Rc(handle.status());
  *file = new weft_file{fs, std::move(handle).value()};
  return 0;
}

int weft_create(weft_fs_t* fs, const char* path, mode_t mode, weft_file_t** file) {
  return weft_open(fs, path, O_CREAT | O_WRONLY | O_TRUNC, mode, file);
}

ssize_t weft_pread(weft_file_t* file, void* buf, size_t count, off_t offset) {
  if (file == nullptr || (buf == nullptr && count > 0) || offset < 0) return -EINVAL;
  auto n = file->fs->client->Pread(file->handle, buf, count, static_cast<uint64_t>(offset));
  return n.ok() ? static_cast<ssize_t>(*n) : Rc(n.status());
}

ssize_t weft_pwrite(weft_file_t* file, const void* buf, size_t count, off_t offset) {
  if (file == nullptr || (buf == nullptr && count > 0) || offset < 0) return -EINVAL;
  auto n = file->fs->client->Pwrite(file->handle, buf, count, static_cast<uint64_t>(offset));
  return n.ok() ? static_cast<ssize_t>(*n) : Rc(n.status());
}

int weft_fsync(weft_file_t* file) {
  if (file == nullptr) return -EINVAL;
  return Rc(file->fs->client->Fsync(file->handle));
}

int weft_ftruncate(weft_file_t* file, off_t length) {
  if (file == nullptr || length < 0) return -EINVAL;
  return Rc(file->fs->client->Ftruncate(file->handle, static_cast<uint64_t>(length)));
}

int weft_fstat(weft_file_t* file, struct stat* st) {
  if (file == nullptr || st == nullptr) return -EINVAL;
  auto inode = file->fs->client->Getattr(file->fs->Cred(), file->fs->client->FileIno(file->handle));
  if (!inode.ok()) return Rc(inode.status());
  weft::client::InodeToStat(*inode, st);
  return 0;
}

int weft_close(weft_file_t* file) {
  if (file == nullptr) return -EINVAL;
  int rc = Rc(file->fs->client->Close(file->handle));
  delete file;
  return rc;
}

int weft_stat(weft_fs_t* fs, const char* path, struct stat* st) {
  if (fs == nullptr || path == nullptr || st == nullptr) return -EINVAL;
  auto inode = fs->client->Stat(fs->Cred(), path, true);
  if (!inode.ok()) return Rc(inode.status());
  weft::client::InodeToStat(*inode, st);
  return 0;
}

int weft_lstat(weft_fs_t* fs, const char* path, struct stat* st) {
  if (fs == nullptr || path == nullptr || st == nullptr) return -EINVAL;
  auto inode = fs->client->Stat(fs->Cred(), path, false);
  if (!inode.ok()) return Rc(inode.status());
  weft::client::InodeToStat(*inode, st);
  return 0;
}

int weft_truncate(weft_fs_t* fs, const char* path, off_t length) {
  if (fs == nullptr || path == nullptr || length < 0) return -EINVAL;
  return Rc(fs->client->TruncatePath(fs->Cred(), path, static_cast<uint64_t>(length)));
}

int weft_mkdir(weft_fs_t* fs, const char* path, mode_t mode) {
  if (fs == nullptr || path == nullptr) return -EINVAL;
  return Rc(fs->client->MkdirPath(fs->Cred(), path, mode).status());
}

int weft_rmdir(weft_fs_t* fs, const char* path) {
  if (fs == nullptr || path == nullptr) return -EINVAL;
  return Rc(fs->client->RmdirPath(fs->Cred(), path));
}

int weft_unlink(weft_fs_t* fs, const char* path) {
  if (fs == nullptr || path == nullptr) return -EINVAL;
  return Rc(fs->client->UnlinkPath(fs->Cred(), path));
}

int weft_rename(weft_fs_t* fs, const char* from, const char* to, unsigned int flags) {
  if (fs == nullptr || from == nullptr || to == nullptr) return -EINVAL;
  return Rc(fs->client->RenamePath(fs->Cred(), from, to, flags));
}

int weft_link(weft_fs_t* fs, const char* existing, const char* new_path) {
  if (fs == nullptr || existing == nullptr || new_path == nullptr) return -EINVAL;
  return Rc(fs->client->LinkPath(fs->Cred(), existing, new_path));
}

int weft_symlink(weft_fs_t* fs, const char* target, const char* path) {
  if (fs == nullptr || target == nullptr || path == nullptr) return -EINVAL;
  return Rc(fs->client->SymlinkPath(fs->Cred(), target, path));
}

ssize_t weft_readlink(weft_fs_t* fs, const char* path, char* buf, size_t size) {
  if (fs == nullptr || path == nullptr || (buf == nullptr && size > 0)) return -EINVAL;
  auto target = fs->client->ReadlinkPath(fs->Cred(), path);
  if (!target.ok()) return Rc(target.status());
  size_t n = std::min(size, target->size());
  std::memcpy(buf, target->data(), n);
  return static_cast<ssize_t>(n);
}

int weft_statfs(weft_fs_t* fs, struct statvfs* st) {
  if (fs == nullptr || st == nullptr) return -EINVAL;
  auto stats = fs->client->Statfs(fs->Cred());
  if (!stats.ok()) return Rc(stats.status());
  std::memset(st, 0, sizeof(*st));
  constexpr unsigned long kBlock = 4096;
  st->f_bsize = kBlock;
  st->f_frsize = kBlock;
  st->f_blocks = stats->bytes_total / kBlock;
  st->f_bfree = stats->bytes_free / kBlock;
  st->f_bavail = stats->bytes_avail / kBlock;
  st->f_files = stats->inodes_total;
  st->f_ffree = stats->inodes_free;
  st->f_favail = stats->inodes_free;
  st->f_namemax = stats->name_max;
  return 0;
}

int weft_opendir(weft_fs_t* fs, const char* path, weft_dir_t** dir) {
  if (fs == nullptr || path == nullptr || dir == nullptr) return -EINVAL;
  auto entries = fs->client->ListDir(fs->Cred(), path);
  if (!entries.ok()) return Rc(entries.status());
  *dir = new weft_dir{std::move(entries).value(), 0};
  return 0;
}

int weft_readdir(weft_dir_t* dir, struct weft_dirent* entry) {
  if (dir == nullptr || entry == nullptr) return -EINVAL;
  if (dir->next == dir->entries.size()) return 0;
  const weft::client::DirEntry& e = dir->entries[dir->next++];
  entry->d_ino = e.ino;
  entry->d_type = DirentType(e.type);
  size_t n = std::min(e.name.size(), sizeof(entry->d_name) - 1);
  std::memcpy(entry->d_name, e.name.data(), n);
  entry->d_name[n] = '\0';
  return 1;
}

int weft_closedir(weft_dir_t* dir) {
  if (dir == nullptr) return -EINVAL;
  delete dir;
  return 0;
}

}  // extern "C"
