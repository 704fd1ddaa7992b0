#include "mds/store/memory_mdt_store.h"

namespace weft::mds {

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kInodes:
      return "inodes";
    case Family::kDentries:
      return "dentries";
    case Family::kXattrs:
      return "xattrs";
    case Family::kOrphans:
      return "orphans";
    case Family::kMeta:
      return "meta";
  }
  return "unknown";
}

Result<std::string> MemoryMdtStore::Get(Family family, std::string_view key) {
  std::lock_guard lock(mu_);
  const Map& map = families_[static_cast<int>(family)];
  auto it = map.find(key);
  if (it == map.end()) return Status(StatusCode::kNotFound, "no such key");
  return it->second;
}

Status MemoryMdtStore::Scan(Family family, std::string_view from, std::string_view prefix,
                            const ScanVisitor& visit) {
  std::lock_guard lock(mu_);
  const Map& map = families_[static_cast<int>(family)];
  std::string_view start = from < prefix ? prefix : from;
  for (auto it = map.lower_bound(start); it != map.end(); ++it) {
    if (!it->first.starts_with(prefix)) break;
    if (!visit(it->first, it->second)) break;
  }
  return Status::Ok();
}

Status MemoryMdtStore::Commit(const WriteBatch& batch) {
  std::lock_guard lock(mu_);
  for (const WriteBatch::Op& op : batch.ops()) {
    Map& map = families_[static_cast<int>(op.family)];
    if (op.is_delete) {
      auto it = map.find(op.key);
      if (it != map.end()) map.erase(it);
    } else {
      map.insert_or_assign(op.key, op.value);
    }
  }
  return Status::Ok();
}

}  // namespace weft::mds
