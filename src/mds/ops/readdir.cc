// readdir / readdirplus: a page of a directory's entries in name-hash order.
//
// An entry's cookie is its name hash + 1: the seek key of the entries after it. A page never
// ends between two names of equal hash, so a cookie never skips an entry; the page may then
// hold a few more than max_entries. "." and ".." are the client's to add (cookies 1 and 2).
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {

Result<ReaddirReply> Mdt::Readdir(const ReaddirRequest& req) {
  WEFT_ASSIGN_OR_RETURN(Inode dir, GetDir(req.ino()));
  WEFT_RETURN_IF_ERROR(CheckAccess(dir, req.cred(), req.plus() ? kMayRead | kMayExec : kMayRead));
  uint32_t max = req.max_entries() == 0 ? options_.readdir_page
                                         : std::min(req.max_entries(), options_.readdir_page_max);
  uint64_t seek = req.cookie() <= kMinNameHash ? 0 : req.cookie();
  ReaddirReply reply;
  reply.set_eof(true);
  bool bad_entry = false;
  WEFT_RETURN_IF_ERROR(store_->Scan(
      Family::kDentries, DentrySeekKey(dir.ino(), seek), DentryPrefix(dir.ino()),
      [&](std::string_view key, std::string_view value) {
        std::optional<DentryKeyParts> parts = DecodeDentryKey(key);
        Dentry dentry;
        if (!parts || !dentry.ParseFromArray(value.data(), value.size())) {
          bad_entry = true;
          return false;
        }
        int n = reply.entries_size();
        if (n >= static_cast<int>(max) && reply.entries(n - 1).cookie() != parts->hash + 1) {
          reply.set_eof(false);
          return false;
        }
        DirEntry* entry = reply.add_entries();
        entry->set_name(std::string(parts->name));
        entry->set_ino(dentry.ino());
        entry->set_type(dentry.type());
        entry->set_cookie(parts->hash + 1);
        return true;
      }));
  if (bad_entry) return Status(StatusCode::kInternal, "unreadable directory entry");
  if (!req.plus()) return reply;
  for (DirEntry& entry : *reply.mutable_entries()) {
    Result<Inode> inode = GetInode(entry.ino());
    if (inode.ok()) *entry.mutable_inode() = std::move(inode).value();
  }
  return reply;
}

}  // namespace weft::mds
