// Key encodings of the MDT's RocksDB column families (docs/mds.md is the reference).
//
// Integers are big endian so that byte order is numeric order. A dentry key is
//   parent inode (8 B) | name hash (8 B) | name bytes
// so a directory lists as a prefix scan in hash order, and a listing resumes from a hash.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::mds {

// Encodes `v` as 8 big-endian bytes, appended to `out`.
void AppendU64(std::string* out, uint64_t v);
// Decodes 8 big-endian bytes. REQUIRES: in.size() >= 8.
uint64_t ReadU64(std::string_view in);

// Key of the inodes, orphans families; also the prefix of an inode's xattr keys.
std::string InodeKey(uint64_t ino);
// REQUIRES: key.size() == 8.
uint64_t InodeFromKey(std::string_view key);

// Hash of a name, in [kMinNameHash, kMaxNameHash]: stable across versions and machines.
// Readdir cookies are hash + 1, so cookies 1 and 2 stay free for a client's "." and "..".
inline constexpr uint64_t kMinNameHash = 2;
inline constexpr uint64_t kMaxNameHash = (uint64_t{1} << 63) - 2;
uint64_t NameHash(std::string_view name);

// The dentries family.
std::string DentryPrefix(uint64_t parent);
std::string DentryKey(uint64_t parent, std::string_view name);
// First key of `parent`'s entries whose hash is >= `hash`.
std::string DentrySeekKey(uint64_t parent, uint64_t hash);
struct DentryKeyParts {
  uint64_t parent;
  uint64_t hash;
  std::string_view name;  // points into the decoded key
};
// nullopt if `key` is shorter than 16 bytes.
std::optional<DentryKeyParts> DecodeDentryKey(std::string_view key);

// The xattrs family: inode (8 B) | name.
std::string XattrKey(uint64_t ino, std::string_view name);

// The meta family.
inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kNextInoKey = "next_ino";
// Per lock stripe: the net count of inodes created under that stripe (signed, 8 B BE).
std::string InodeCountKey(uint32_t stripe);
inline constexpr std::string_view kInodeCountPrefix = "icount/";
// Clients granted name leases (value: LeaseClient), kept across restarts (docs/mds.md).
inline constexpr std::string_view kLeaseClientPrefix = "lclient/";
std::string LeaseClientKey(uint64_t client_id);

// Reply records and their index by sequence number.
std::string ReplyKey(uint64_t client_id, uint64_t request_id);
inline constexpr std::string_view kReplySeqPrefix = "rseq/";
std::string ReplySeqKey(uint64_t seq);

}  // namespace weft::mds
