// Client::TargetStatfs: statfs of every target, one by one, for `weft df`.
#include <cstdio>

#include "common/async_util.h"
#include "client/client_impl.h"
#include "client/meta_client.h"

namespace weft::client {
namespace {

std::string TargetName(const std::string& fsname, const char* type, uint32_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%s%04X", fsname.c_str(), type, index);
  return buf;
}

// One OST's statfs; a failure leaves it marked not up (df shows it inactive), never fails df.
Task<void> FillOst(Cluster* cluster, TargetStats* out, WaitGroup* group) {
  Result<oss::StatfsReply> reply = co_await OstStatfs(*cluster, out->index);
  if (reply.ok()) {
    out->bytes_total = reply->bytes_total();
    out->bytes_free = reply->bytes_free();
    out->bytes_avail = reply->bytes_avail();
    out->inodes_total = reply->inodes_total();
    out->inodes_free = reply->inodes_free();
  } else {
    out->up = false;
  }
  group->Done(Status::Ok());
}

Task<Result<std::vector<TargetStats>>> Gather(Client::Impl* impl, Credentials cred) {
  Cluster& cluster = *impl->cluster;
  std::vector<TargetStats> targets;
  TargetStats& mdt = targets.emplace_back();
  mdt.name = TargetName(cluster.fsname(), "MDT", 0);
  mdt.is_mdt = true;
  WEFT_CO_ASSIGN_OR_RETURN(mds::MdsService::Stub stub, cluster.Mdt(Client::kRootIno));
  mds::StatfsRequest r;
  FillCredentials(cred, r.mutable_cred());
  Result<mds::StatfsReply> m = co_await stub.Statfs(r, cluster.CallOptions());
  if (m.ok()) {
    mdt.up = true;
    mdt.inodes_total = m->inodes_total();
    mdt.inodes_free = m->inodes_free();
    mdt.bytes_total = m->bytes_total();
    mdt.bytes_free = m->bytes_free();
    mdt.bytes_avail = m->bytes_avail();
  }
  auto states = cluster.OstStates();
  targets.reserve(1 + states.size());  // the tasks below hold pointers into it
  WaitGroup group(cluster.loop());
  for (const auto& [index, up] : states) {
    TargetStats& t = targets.emplace_back();
    t.name = TargetName(cluster.fsname(), "OST", index);
    t.index = index;
    t.up = up;
  }
  for (size_t i = 1; i < targets.size(); ++i) {
    if (!targets[i].up) continue;
    group.Add();
    cluster.loop().Spawn(FillOst(&cluster, &targets[i], &group));
  }
  (void)co_await group.Wait();
  co_return targets;
}

}  // namespace

Result<std::vector<TargetStats>> Client::TargetStatfs(const Credentials& cred) {
  WEFT_RETURN_IF_ERROR(impl_->CheckMounted());
  return impl_->Run(Gather(impl_.get(), cred));
}

}  // namespace weft::client
