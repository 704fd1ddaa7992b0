// readdir / readdirplus: a page of a directory's entries in name-hash order.
//
// An entry's cookie is its name hash + 1: the seek key of the entries after it. A page never
// ends between two names of equal hash, so a cookie never skips an entry; the page may then
// hold a few more than max_entries. "." and ".." are the client's to add (cookies 1 and 2).
// A page also ends before its reply would outgrow an RPC body (rpc::kMaxBodyLen): 1024 long
// names, or a few hundred entries with their inodes and layouts, would not fit in one.
#include "common/rpc_wire.h"
#include "mds/keys.h"
#include "mds/mdt.h"
#include "mds/ops/op_util.h"

namespace weft::mds {
namespace {

// Reply bytes a page may fill, leaving room for the reply's own fields.
constexpr size_t kPageBytes = rpc::kMaxBodyLen - 1024;

// Drops the entries from the first one that would take the page past kPageBytes, at a cookie
// boundary (never between names of equal hash); keeps at least the first group of them.
void CutToBudget(ReaddirReply* reply) {
  size_t used = 0;
  int n = reply->entries_size();
  for (int i = 0; i < n; ++i) {
    used += reply->entries(i).ByteSizeLong() + 4;  // + tag and length
    if (used <= kPageBytes) continue;
    int cut = i;
    while (cut > 0 && reply->entries(cut - 1).cookie() == reply->entries(cut).cookie()) --cut;
    if (cut == 0) {  // one group of equal hashes fills the page: send it whole
      cut = i + 1;
      while (cut < n && reply->entries(cut).cookie() == reply->entries(i).cookie()) ++cut;
    }
    if (cut >= n) return;
    reply->mutable_entries()->DeleteSubrange(cut, n - cut);
    reply->set_eof(false);
    return;
  }
}

}  // namespace

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
  if (req.plus()) {
    for (DirEntry& entry : *reply.mutable_entries()) {
      Result<Inode> inode = GetInode(entry.ino());
      if (inode.ok()) *entry.mutable_inode() = std::move(inode).value();
    }
  }
  CutToBudget(&reply);
  return reply;
}

}  // namespace weft::mds
