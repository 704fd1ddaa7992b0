#include "mds/daemon/mds_config.h"

#include <sstream>

#include "common/event_loop.h"
#include "mds/mds_service.h"

namespace weft::mds {
namespace {

Status Invalid(std::string message) {
  return Status(StatusCode::kConfigInvalid, std::move(message));
}

Status CheckTarget(const std::string& dir) {
  if (dir.empty()) return Invalid("is required: the MDT directory `weftctl mkfs --mdt` formatted");
  return Status::Ok();
}

Status CheckListen(const std::string& text) {
  Result<Nid> nid = ParseNid(text);
  return nid.ok() ? Status::Ok() : Invalid(nid.status().message());
}

Status CheckThreads(const int64_t& n) {
  return n >= 1 && n <= 1024 ? Status::Ok() : Invalid("must be from 1 to 1024");
}

Status CheckHeartbeat(const int64_t& ms) {
  return ms >= 100 && ms <= 60000 ? Status::Ok() : Invalid("must be from 100 to 60000 ms");
}

Status CheckSquashMode(const std::string& mode) {
  return ParseSquashMode(mode).ok() ? Status::Ok() : Invalid("must be none, root_only or all");
}

Status CheckId(const int64_t& id) {
  return id >= 0 && id <= 0xFFFFFFFE ? Status::Ok() : Invalid("must be from 0 to 4294967294");
}

Status CheckRetryMs(const int64_t& ms) {
  return ms >= 10 && ms <= 600000 ? Status::Ok() : Invalid("must be from 10 to 600000 ms");
}

Status CheckInFlight(const int64_t& n) {
  return n >= 1 && n <= 4096 ? Status::Ok() : Invalid("must be from 1 to 4096");
}

Status CheckKeep(const int64_t& n) {
  return n >= 1 && n <= (int64_t{1} << 40) ? Status::Ok() : Invalid("must be from 1 to 2^40");
}

Status CheckTrimMs(const int64_t& ms) {
  return ms >= 10 && ms <= 86400000 ? Status::Ok() : Invalid("must be from 10 to 86400000 ms");
}

std::vector<std::string> SplitNids(const std::string& text) {
  std::vector<std::string> nids;
  std::stringstream in(text);
  for (std::string nid; std::getline(in, nid, ',');) {
    if (!nid.empty()) nids.push_back(nid);
  }
  return nids;
}

Status CheckNids(const std::string& text) {
  for (const std::string& nid : SplitNids(text)) {
    Result<Nid> parsed = ParseNid(nid);
    if (!parsed.ok()) return Invalid("'" + nid + "': " + parsed.status().message());
  }
  return Status::Ok();
}

}  // namespace

void AddMdsKeys(ConfigRegistry& r, MdsOptions* o) {
  r.Add<std::string>("mds.target", &o->target, "",
                     "The MDT directory to serve (required; formatted by weftctl mkfs --mdt)",
                     CheckTarget);
  r.Add<std::string>("mds.listen", &o->listen, "127.0.0.1:9890@tcp",
                     "NID to serve on, HOST[:PORT]@NET (port 9890 when not given)", CheckListen);
  r.Add<int64_t>("mds.threads", &o->threads, 32,
                 "Threads running metadata operations (RocksDB reads and writes; replies wait "
                 "for the log sync on the mds-sync thread, not here); more threads let more "
                 "operations wait for the disk at once",
                 CheckThreads);
  r.Add<int64_t>("mds.heartbeat_ms", &o->heartbeat_ms, 3000,
                 "Interval of heartbeats (with statfs space) to the MGS", CheckHeartbeat);
  r.Add<std::string>("mds.root_squash", &o->root_squash, "none",
                     "Whose credentials are squashed: none, root_only or all", CheckSquashMode);
  r.Add<int64_t>("mds.squash_uid", &o->squash_uid, 65534, "uid squashed callers get", CheckId);
  r.Add<int64_t>("mds.squash_gid", &o->squash_gid, 65534, "gid squashed callers get", CheckId);
  r.Add<std::string>("mds.nosquash_nids", &o->nosquash_nids, "",
                     "Comma-separated client NIDs (HOST:PORT@NET) never squashed", CheckNids);
  r.Add<int64_t>("mds.destroy_retry_ms", &o->destroy_retry_ms, 1000,
                 "Pause before retrying object destroys that failed; doubles on each failed "
                 "pass up to 32 times this",
                 CheckRetryMs);
  r.Add<int64_t>("mds.destroy_in_flight", &o->destroy_in_flight, 32,
                 "Destroy calls in flight at once (each: one OST's objects of a batch of files)",
                 CheckInFlight);
  r.Add<int64_t>("mds.destroy_batch", &o->destroy_batch, 256,
                 "Files destroyed together: one Destroy call per OST and one dequeue",
                 CheckInFlight);
  r.Add<int64_t>("mds.reply_records_keep", &o->reply_records_keep, 100000,
                 "Reply records (exactly-once replies to resent requests) kept; older ones "
                 "are trimmed",
                 CheckKeep);
  r.Add<int64_t>("mds.reply_trim_ms", &o->reply_trim_ms, 60000,
                 "Interval of trimming reply records down to mds.reply_records_keep",
                 CheckTrimMs);
  r.Add<bool>("mds.sync_namespace", &o->sync_namespace, true,
              "Namespace changes (create, unlink, rename, ...) wait for the log sync before "
              "their reply; false: answered once in the log and synced within 5 ms, as "
              "attribute changes are (a killed daemon loses none; a crashed machine may lose "
              "the last milliseconds, as a local file system does)");
  r.Add<int64_t>("mds.lease_ms", &o->lease_ms, 30000,
                 "How long a name lease lasts: a mount that asks may cache the names it looks "
                 "up in a directory this long, told by the MDS when another client removes or "
                 "replaces one; after an MDS restart a removed name may be seen this long. "
                 "0: no leases (mounts cache names for their entry_timeout)",
                 CheckRange<int64_t>(0, 600000));
  AddLoopKeys(r, &o->loop_spin_us);
  AddLoggingKeys(r, &o->log);
  AddMetricsKeys(r, &o->metrics);
}

Nid ListenNid(const MdsOptions& options) {
  return ParseNid(options.listen)->WithDefaultPort(kDefaultMdsPort);
}

RootSquash RootSquashOf(const MdsOptions& options) {
  RootSquash squash;
  squash.mode = *ParseSquashMode(options.root_squash);
  squash.squash_uid = static_cast<uint32_t>(options.squash_uid);
  squash.squash_gid = static_cast<uint32_t>(options.squash_gid);
  squash.exempt_nids = SplitNids(options.nosquash_nids);
  return squash;
}

}  // namespace weft::mds
