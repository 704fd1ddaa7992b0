// Checks and small helpers shared by the metadata operations. Pure functions of their
// arguments; private to src/mds.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "mds.pb.h"

namespace weft::mds {

inline constexpr size_t kNameMax = 255;
inline constexpr size_t kPathMax = 4096;
inline constexpr uint32_t kPermBits = 07777;
inline constexpr uint32_t kMayRead = 4;
inline constexpr uint32_t kMayWrite = 2;
inline constexpr uint32_t kMayExec = 1;

// The current time in nanoseconds since the epoch.
int64_t NowNs();

// EINVAL for "", ".", "..", or a name with '/' or NUL; ENAMETOOLONG past 255 bytes.
Status CheckName(std::string_view name);

bool IsRoot(const Credentials& cred);
bool InGroup(const Credentials& cred, uint32_t gid);
bool IsOwner(const Credentials& cred, const Inode& inode);  // the owner or root

// EACCES unless `cred` may do all of `mask` (kMay*) to `inode` by its mode bits. Root may do
// anything except execute a non-directory with no execute bit at all.
Status CheckAccess(const Inode& inode, const Credentials& cred, uint32_t mask);

// EPERM if `dir` is sticky and `cred` owns neither `dir` nor `victim` (and is not root).
Status CheckSticky(const Inode& dir, const Inode& victim, const Credentials& cred);

// The st_mode of an inode: type bits | permission bits.
uint32_t StMode(const Inode& inode);
// The file type of an st_mode's S_IFMT bits, FILE_TYPE_UNSPECIFIED if unknown.
FileType TypeOfMode(uint32_t mode);

// Sets the given times of `inode` to `now`.
void TouchTimes(Inode* inode, int64_t now, bool mtime, bool ctime);

// The mode with S_ISUID cleared, and S_ISGID when group-execute is set: what Linux does to a
// file on chown and on a write or truncate by a non-root caller.
uint32_t KillSuid(uint32_t mode);

}  // namespace weft::mds
