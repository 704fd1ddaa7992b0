#include "client/meta_client.h"

#include <algorithm>

namespace weft::client {

void FillCredentials(const Credentials& cred, mds::Credentials* out) {
  out->set_uid(cred.uid);
  out->set_gid(cred.gid);
  for (uint32_t g : cred.groups) out->add_groups(g);
}

Task<Result<Inode>> MetaClient::Lookup(const Credentials& cred, uint64_t parent,
                                       const std::string& name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::LookupRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  r.set_lease(asks_leases());
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::AttrReply reply, co_await stub.Lookup(r, cluster_.CallOptions()));
  KeepLease(parent, reply.lease(), sent);
  co_return std::move(*reply.mutable_inode());
}

MetaClient::Change::Change(MetaClient& meta, uint64_t ino)
    : meta_(meta), ino_(ino), number_(meta.BeginChange(ino)) {}

MetaClient::Change::~Change() {
  if (number_ != 0) meta_.EndChange(ino_, number_, nullptr);
}

void MetaClient::Change::Offer(const mds::EntryReply& reply) {
  if (number_ == 0 || !reply.created() || !reply.has_parent()) return;
  meta_.EndChange(ino_, std::exchange(number_, 0), &reply.parent());
}

void MetaClient::Change::Offer(const mds::UnlinkReply& reply) {
  if (number_ == 0 || !reply.has_parent()) return;
  meta_.EndChange(ino_, std::exchange(number_, 0), &reply.parent());
}

uint64_t MetaClient::BeginChange(uint64_t ino) {
  uint64_t number = ++changes_;
  if (ino == 0) {  // may alter any directory: drop what is kept, spoil what is in flight
    for (auto it = changed_.begin(); it != changed_.end();) {
      if (it->second.in_flight == 0) {
        it = changed_.erase(it);
        continue;
      }
      it->second.fresh.reset();
      it->second.overlapped_through = number;
      ++it;
    }
    ++unknown_in_flight_;
    return number;
  }
  ChangedInode& c = changed_[ino];
  c.fresh.reset();
  if (c.in_flight > 0 || unknown_in_flight_ > 0) c.overlapped_through = number;
  ++c.in_flight;
  return number;
}

void MetaClient::EndChange(uint64_t ino, uint64_t number, const Inode* dir) {
  if (ino == 0) {
    --unknown_in_flight_;
    return;
  }
  auto it = changed_.find(ino);
  if (it == changed_.end()) return;
  ChangedInode& c = it->second;
  --c.in_flight;
  if (dir != nullptr && dir->ino() == ino && number > c.overlapped_through &&
      cluster_.options().fresh_dir_attrs.count() > 0) {
    c.fresh = *dir;
    c.fresh_at = std::chrono::steady_clock::now();
  }
  if (c.in_flight == 0 && !c.fresh) changed_.erase(it);
}

std::optional<Inode> MetaClient::TakeFreshDir(uint64_t ino) {
  auto it = changed_.find(ino);
  if (it == changed_.end() || !it->second.fresh) return std::nullopt;
  ChangedInode& c = it->second;
  std::optional<Inode> attrs = std::move(c.fresh);
  c.fresh.reset();
  bool expired = std::chrono::steady_clock::now() - c.fresh_at > cluster_.options().fresh_dir_attrs;
  if (c.in_flight == 0) changed_.erase(it);
  if (expired) return std::nullopt;
  return attrs;
}

Task<Result<Inode>> MetaClient::Getattr(const Credentials& cred, uint64_t ino) {
  if (std::optional<Inode> fresh = TakeFreshDir(ino)) co_return std::move(*fresh);
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::GetattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  WEFT_CO_ASSIGN_OR_RETURN(mds::AttrReply reply, co_await stub.Getattr(r, cluster_.CallOptions()));
  co_return std::move(*reply.mutable_inode());
}

namespace {

mds::SetattrRequest SetattrOf(const Credentials& cred, uint64_t ino, const SetAttrs& attrs) {
  mds::SetattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  if (attrs.mode) r.set_mode(*attrs.mode);
  if (attrs.uid) r.set_uid(*attrs.uid);
  if (attrs.gid) r.set_gid(*attrs.gid);
  if (attrs.size) r.set_size(*attrs.size);
  *r.mutable_atime() = attrs.atime;
  *r.mutable_mtime() = attrs.mtime;
  return r;
}

}  // namespace

Task<Result<Inode>> MetaClient::SendSetattr(const mds::SetattrRequest& r) {
  Change change(*this, r.ino());
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(r.ino()));
  uint64_t before = unsynced_;
  WEFT_CO_ASSIGN_OR_RETURN(mds::AttrReply reply, co_await stub.Setattr(r, cluster_.CallOptions()));
  if (r.durable()) {
    synced_ = std::max(synced_, before);
  } else if (!mds::DurableBeforeReply(r)) {
    NoteUnsynced();
  }
  co_return std::move(*reply.mutable_inode());
}

Task<Status> MetaClient::Sync(const Credentials& cred, uint64_t ino) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::SyncRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  uint64_t before = unsynced_;
  WEFT_CO_RETURN_IF_ERROR((co_await stub.Sync(r, cluster_.CallOptions())).status());
  synced_ = std::max(synced_, before);
  co_return Status::Ok();
}

Task<Result<Inode>> MetaClient::Setattr(const Credentials& cred, uint64_t ino,
                                        const SetAttrs& attrs, const SizeReport* report) {
  mds::SetattrRequest r = SetattrOf(cred, ino, attrs);
  if (report != nullptr) {
    r.set_size(report->size);
    r.set_size_grow_only(true);
    r.set_data_written(report->data_written);
    if (report->data_written && report->blocks) r.set_blocks(*report->blocks);
  }
  co_return co_await SendSetattr(r);
}

Task<Result<Inode>> MetaClient::SetSize(const Credentials& cred, uint64_t ino, uint64_t size,
                                        bool through_open_file) {
  SetAttrs attrs;
  attrs.size = size;
  mds::SetattrRequest r = SetattrOf(cred, ino, attrs);
  r.set_through_open_file(through_open_file);
  co_return co_await SendSetattr(r);
}

Task<Result<Inode>> MetaClient::ReportSize(const Credentials& cred, uint64_t ino,
                                           const SizeReport& report, bool durable) {
  SetAttrs attrs;
  attrs.size = report.size;
  mds::SetattrRequest r = SetattrOf(cred, ino, attrs);
  r.set_size_grow_only(true);
  r.set_data_written(report.data_written);
  if (report.data_written && report.blocks) r.set_blocks(*report.blocks);
  r.set_durable(durable);
  co_return co_await SendSetattr(r);
}

Task<Result<Inode>> MetaClient::Mknod(const Credentials& cred, uint64_t parent,
                                      const std::string& name, uint32_t mode, uint32_t umask,
                                      uint64_t rdev) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::MknodRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  r.set_mode(mode);
  r.set_umask(umask);
  r.set_rdev(rdev);
  r.set_lease(asks_leases());
  Change change(*this, parent);
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub.Mknod(r, cluster_.CallOptions()));
  KeepLease(parent, reply.lease(), sent);
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return std::move(*reply.mutable_inode());
}

Task<Result<Inode>> MetaClient::Mkdir(const Credentials& cred, uint64_t parent,
                                      const std::string& name, uint32_t mode, uint32_t umask) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::MkdirRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  r.set_mode(mode);
  r.set_umask(umask);
  r.set_lease(asks_leases());
  Change change(*this, parent);
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub.Mkdir(r, cluster_.CallOptions()));
  KeepLease(parent, reply.lease(), sent);
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return std::move(*reply.mutable_inode());
}

Task<Status> MetaClient::Unlink(const Credentials& cred, uint64_t parent,
                                const std::string& name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::UnlinkRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  Change change(*this, parent);
  WEFT_CO_ASSIGN_OR_RETURN(mds::UnlinkReply reply, co_await stub.Unlink(r, cluster_.CallOptions()));
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return Status::Ok();
}

Task<Status> MetaClient::Rmdir(const Credentials& cred, uint64_t parent, const std::string& name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::UnlinkRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  Change change(*this, parent);
  WEFT_CO_ASSIGN_OR_RETURN(mds::UnlinkReply reply, co_await stub.Rmdir(r, cluster_.CallOptions()));
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return Status::Ok();
}

Task<Status> MetaClient::Rename(const Credentials& cred, uint64_t src_parent,
                                const std::string& src_name, uint64_t dst_parent,
                                const std::string& dst_name, uint32_t flags) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(src_parent));
  mds::RenameRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_src_parent(src_parent);
  r.set_src_name(src_name);
  r.set_dst_parent(dst_parent);
  r.set_dst_name(dst_name);
  r.set_flags(flags);
  Change change(*this, 0);  // both directories, and a moved directory's ".."
  WEFT_CO_RETURN_IF_ERROR((co_await stub.Rename(r, cluster_.CallOptions())).status());
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return Status::Ok();
}

Task<Result<Inode>> MetaClient::Link(const Credentials& cred, uint64_t ino, uint64_t new_parent,
                                     const std::string& new_name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(new_parent));
  mds::LinkRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_new_parent(new_parent);
  r.set_new_name(new_name);
  r.set_lease(asks_leases());
  Change change(*this, new_parent);
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub.Link(r, cluster_.CallOptions()));
  KeepLease(new_parent, reply.lease(), sent);
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return std::move(*reply.mutable_inode());
}

Task<Result<Inode>> MetaClient::Symlink(const Credentials& cred, uint64_t parent,
                                        const std::string& name, const std::string& target) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(parent));
  mds::SymlinkRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_parent(parent);
  r.set_name(name);
  r.set_target(target);
  r.set_lease(asks_leases());
  Change change(*this, parent);
  auto sent = NameLeaseCache::Clock::now();
  WEFT_CO_ASSIGN_OR_RETURN(mds::EntryReply reply, co_await stub.Symlink(r, cluster_.CallOptions()));
  KeepLease(parent, reply.lease(), sent);
  change.Offer(reply);
  NoteUnsynced();  // maybe answered before its sync (mds.sync_namespace)
  co_return std::move(*reply.mutable_inode());
}

Task<Result<std::string>> MetaClient::Readlink(const Credentials& cred, uint64_t ino) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::ReadlinkRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  WEFT_CO_ASSIGN_OR_RETURN(mds::ReadlinkReply reply,
                           co_await stub.Readlink(r, cluster_.CallOptions()));
  co_return std::move(*reply.mutable_target());
}

Task<Result<DirPage>> MetaClient::Readdir(const Credentials& cred, uint64_t ino, uint64_t cookie,
                                          uint32_t max_entries, bool plus) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::ReaddirRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_cookie(cookie);
  r.set_max_entries(max_entries);
  r.set_plus(plus);
  WEFT_CO_ASSIGN_OR_RETURN(mds::ReaddirReply reply,
                           co_await stub.Readdir(r, cluster_.CallOptions()));
  DirPage page;
  page.eof = reply.eof();
  for (mds::DirEntry& e : *reply.mutable_entries()) {
    DirEntry& d = page.entries.emplace_back();
    d.name = std::move(*e.mutable_name());
    d.ino = e.ino();
    d.type = e.type();
    d.cookie = e.cookie();
    if (plus && e.has_inode()) d.inode = std::move(*e.mutable_inode());
  }
  co_return page;
}

Task<Result<oss::StatfsReply>> OstStatfs(Cluster& cluster, uint32_t index) {
  WEFT_CO_ASSIGN_OR_RETURN(OstLink ost, co_await cluster.Ost(index));
  oss::StatfsRequest r;
  r.set_ost_index(index);
  co_await ost.slots->Acquire();
  Result<oss::StatfsReply> reply = co_await ost.stub.Statfs(r, cluster.CallOptions());
  ost.slots->Release();
  co_return reply;
}

Task<void> MetaClient::AddOstSpace(uint32_t index, FsStats* stats, WaitGroup* group) {
  Result<oss::StatfsReply> reply = co_await OstStatfs(cluster_, index);
  if (reply.ok()) {
    stats->bytes_total += reply->bytes_total();
    stats->bytes_free += reply->bytes_free();
    stats->bytes_avail += reply->bytes_avail();
    ++stats->osts_counted;
  }
  group->Done(reply.status().WithContext("statfs of OST " + std::to_string(index)));
}

Task<Result<FsStats>> MetaClient::Statfs(const Credentials& cred) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(0));
  mds::StatfsRequest r;
  FillCredentials(cred, r.mutable_cred());
  WEFT_CO_ASSIGN_OR_RETURN(mds::StatfsReply mdt, co_await stub.Statfs(r, cluster_.CallOptions()));
  FsStats stats;
  stats.inodes_total = mdt.inodes_total();
  stats.inodes_free = mdt.inodes_free();
  if (mdt.name_max() != 0) stats.name_max = mdt.name_max();
  WaitGroup group(cluster_.loop());
  for (const auto& [index, up] : cluster_.OstStates()) {
    if (!up) continue;
    group.Add();
    cluster_.loop().Spawn(AddOstSpace(index, &stats, &group));
  }
  WEFT_CO_RETURN_IF_ERROR(co_await group.Wait());
  co_return stats;
}

Task<Result<std::string>> MetaClient::Getxattr(const Credentials& cred, uint64_t ino,
                                               const std::string& name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::GetxattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_name(name);
  r.set_size(64 * 1024);
  WEFT_CO_ASSIGN_OR_RETURN(mds::GetxattrReply reply,
                           co_await stub.Getxattr(r, cluster_.CallOptions()));
  co_return std::move(*reply.mutable_value());
}

Task<Status> MetaClient::Setxattr(const Credentials& cred, uint64_t ino, const std::string& name,
                                  const std::string& value, uint32_t flags) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::SetxattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_name(name);
  r.set_value(value);
  r.set_flags(flags);
  Change change(*this, ino);
  co_return (co_await stub.Setxattr(r, cluster_.CallOptions())).status();
}

Task<Result<std::vector<std::string>>> MetaClient::Listxattr(const Credentials& cred,
                                                            uint64_t ino) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::ListxattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_size(1u << 20);
  WEFT_CO_ASSIGN_OR_RETURN(mds::ListxattrReply reply,
                           co_await stub.Listxattr(r, cluster_.CallOptions()));
  co_return std::vector<std::string>(reply.names().begin(), reply.names().end());
}

Task<Status> MetaClient::Removexattr(const Credentials& cred, uint64_t ino,
                                     const std::string& name) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::RemovexattrRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_name(name);
  Change change(*this, ino);
  co_return (co_await stub.Removexattr(r, cluster_.CallOptions())).status();
}

Task<Status> MetaClient::Access(const Credentials& cred, uint64_t ino, uint32_t mask) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::AccessRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_mask(mask);
  co_return (co_await stub.Access(r, cluster_.CallOptions())).status();
}

Task<Result<mds::LayoutReply>> MetaClient::GetLayout(const Credentials& cred, uint64_t ino) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::GetLayoutRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  co_return co_await stub.GetLayout(r, cluster_.CallOptions());
}

Task<Result<mds::LayoutReply>> MetaClient::SetLayout(const Credentials& cred, uint64_t ino,
                                                     uint64_t stripe_size,
                                                     int32_t stripe_count,
                                                     std::optional<int32_t> start_ost) {
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster_.Mdt(ino));
  mds::SetLayoutRequest r;
  FillCredentials(cred, r.mutable_cred());
  r.set_ino(ino);
  r.set_stripe_size(stripe_size);
  r.set_stripe_count(stripe_count);
  if (start_ost) r.set_start_ost(*start_ost);
  Change change(*this, ino);
  co_return co_await stub.SetLayout(r, cluster_.CallOptions());
}

}  // namespace weft::client
