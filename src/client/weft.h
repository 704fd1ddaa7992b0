/* libweft's C API: mount a Weft file system and use it by path, as with the libc calls.
 *
 *   weft_fs_t *fs;
 *   int rc = weft_mount("10.0.1.4@tcp:/weft", NULL, &fs);
 *   weft_file_t *f;
 *   rc = weft_open(fs, "/data/x", O_CREAT | O_RDWR, 0644, &f);
 *   ssize_t n = weft_pwrite(f, buf, len, 0);
 *   rc = weft_close(f);
 *   rc = weft_umount(fs);
 *
 * Every call returns 0 (or a count) on success and -errno on failure. Calls run with the
 * credentials set by weft_set_creds, by default the process's effective uid, gid and groups
 * at mount. Modes are used as given (no umask is applied). Thread-safe: calls may come from
 * any thread; a weft_dir_t is for one thread at a time. weft_umount requires every file and
 * directory handle closed first. */
#ifndef WEFT_CLIENT_WEFT_H_
#define WEFT_CLIENT_WEFT_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_fs weft_fs_t;
typedef struct weft_file weft_file_t;
typedef struct weft_dir weft_dir_t;

/* Mount options; a field left 0 takes its default (docs/client.md). */
struct weft_mount_options {
  size_t max_rpc_size;        /* bytes per OSS RPC (1 MiB) */
  size_t max_rpcs_in_flight;  /* per OST (8) */
  uint32_t call_timeout_ms;   /* how long a call waits for a server that is down (30000) */
  uint32_t attempt_timeout_ms; /* resend an unanswered request after (2000) */
};

struct weft_dirent {
  uint64_t d_ino;
  unsigned char d_type; /* DT_REG, DT_DIR, ... */
  char d_name[256];
};

/* source: MGSNID[,MGSNID...]:/FSNAME. options may be NULL. */
int weft_mount(const char* source, const struct weft_mount_options* options, weft_fs_t** fs);
int weft_umount(weft_fs_t* fs);
int weft_set_creds(weft_fs_t* fs, uid_t uid, gid_t gid, size_t ngroups, const gid_t* groups);

int weft_open(weft_fs_t* fs, const char* path, int flags, mode_t mode, weft_file_t** file);
/* open(path, O_CREAT | O_WRONLY | O_TRUNC, mode) */
int weft_create(weft_fs_t* fs, const char* path, mode_t mode, weft_file_t** file);
ssize_t weft_pread(weft_file_t* file, void* buf, size_t count, off_t offset);
ssize_t weft_pwrite(weft_file_t* file, const void* buf, size_t count, off_t offset);
int weft_fsync(weft_file_t* file);
int weft_ftruncate(weft_file_t* file, off_t length);
int weft_fstat(weft_file_t* file, struct stat* st);
/* Ends the file handle (freed even when the result is an error). */
int weft_close(weft_file_t* file);

int weft_stat(weft_fs_t* fs, const char* path, struct stat* st);
int weft_lstat(weft_fs_t* fs, const char* path, struct stat* st);
int weft_truncate(weft_fs_t* fs, const char* path, off_t length);
int weft_mkdir(weft_fs_t* fs, const char* path, mode_t mode);
int weft_rmdir(weft_fs_t* fs, const char* path);
int weft_unlink(weft_fs_t* fs, const char* path);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE */
int weft_rename(weft_fs_t* fs, const char* from, const char* to, unsigned int flags);
int weft_link(weft_fs_t* fs, const char* existing, const char* new_path);
int weft_symlink(weft_fs_t* fs, const char* target, const char* path);
/* Like readlink(2): no terminating NUL; returns the bytes placed (truncated to size). */
ssize_t weft_readlink(weft_fs_t* fs, const char* path, char* buf, size_t size);
int weft_statfs(weft_fs_t* fs, struct statvfs* st);

/* Directory listing: "." and ".." first. weft_readdir returns 1 with an entry, 0 at the end,
 * -errno on error. */
int weft_opendir(weft_fs_t* fs, const char* path, weft_dir_t** dir);
int weft_readdir(weft_dir_t* dir, struct weft_dirent* entry);
int weft_closedir(weft_dir_t* dir);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_CLIENT_WEFT_H_ */
