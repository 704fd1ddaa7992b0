#include "mds/keys.h"

namespace weft::mds {

void AppendU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t ReadU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string InodeKey(uint64_t ino) {
  std::string key;
  AppendU64(&key, ino);
  return key;
}

uint64_t InodeFromKey(std::string_view key) { return ReadU64(key); }

// FNV-1a over the bytes, then the MurmurHash3 finaliser to spread the bits; fixed forever,
// since the hash is part of every dentry key on disk.
uint64_t NameHash(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : name) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  h >>= 1;
  if (h < kMinNameHash) return kMinNameHash;
  if (h > kMaxNameHash) return kMaxNameHash;
  return h;
}

std::string DentryPrefix(uint64_t parent) { return InodeKey(parent); }

std::string DentryKey(uint64_t parent, std::string_view name) {
  std::string key = DentrySeekKey(parent, NameHash(name));
  key.append(name);
  return key;
}

std::string DentrySeekKey(uint64_t parent, uint64_t hash) {
  std::string key;
  key.reserve(24);
  AppendU64(&key, parent);
  AppendU64(&key, hash);
  return key;
}

std::optional<DentryKeyParts> DecodeDentryKey(std::string_view key) {
  if (key.size() < 16) return std::nullopt;
  return DentryKeyParts{ReadU64(key), ReadU64(key.substr(8)), key.substr(16)};
}

std::string XattrKey(uint64_t ino, std::string_view name) {
  std::string key = InodeKey(ino);
  key.append(name);
  return key;
}

std::string InodeCountKey(uint32_t stripe) {
  std::string key(kInodeCountPrefix);
  AppendU64(&key, stripe);
  return key;
}

std::string LeaseClientKey(uint64_t client_id) {
  std::string key(kLeaseClientPrefix);
  AppendU64(&key, client_id);
  return key;
}

std::string ReplyKey(uint64_t client_id, uint64_t request_id) {
  std::string key = "reply/";
  AppendU64(&key, client_id);
  key.push_back('/');
  AppendU64(&key, request_id);
  return key;
}

std::string ReplySeqKey(uint64_t seq) {
  std::string key(kReplySeqPrefix);
  AppendU64(&key, seq);
  return key;
}

}  // namespace weft::mds
