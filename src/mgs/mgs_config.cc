#include "mgs/mgs_config.h"

#include "common/event_loop.h"
#include "mgs/mgs_service.h"

namespace weft::mgs {
namespace {

constexpr uint64_t kStripeUnit = 64 * 1024;
constexpr uint64_t kMaxStripeSize = uint64_t{4} << 30;  // Lustre's limit, 4 GiB

Status Invalid(std::string message) {
  return Status(StatusCode::kConfigInvalid, std::move(message));
}

Status CheckFsnameKey(const std::string& fsname) {
  if (fsname.empty()) return Invalid("is required: the name of the file system this MGS serves");
  if (!CheckFsname(fsname).ok()) return Invalid("must be 1 to 8 characters of a-z, 0-9 and _");
  return Status::Ok();
}

Status CheckDataDir(const std::string& dir) {
  if (dir.empty()) return Invalid("is required: the directory where the MGS keeps its registry");
  return Status::Ok();
}

Status CheckListen(const std::string& text) {
  Result<Nid> nid = ParseNid(text);
  return nid.ok() ? Status::Ok() : Invalid(nid.status().message());
}

Status CheckStripeSize(const uint64_t& size) {
  if (size >= kStripeUnit && size <= kMaxStripeSize && size % kStripeUnit == 0) {
    return Status::Ok();
  }
  return Invalid("must be a multiple of 64 KiB (65536) from 64 KiB to 4 GiB");
}

Status CheckStripeCount(const int64_t& count) {
  if (count == -1 || (count >= 1 && count <= int64_t{kMaxTargetIndex} + 1)) return Status::Ok();
  return Invalid("must be -1 (all OSTs) or from 1 to 65536");
}

}  // namespace

void AddMgsKeys(ConfigRegistry& r, MgsOptions* o) {
  r.Add<std::string>("mgs.fsname", &o->fsname, "",
                     "Name of the file system (required): 1 to 8 characters of a-z, 0-9, _",
                     CheckFsnameKey);
  r.Add<std::string>("mgs.data_dir", &o->data_dir, "",
                     "Directory of the registry database (required; created if missing)",
                     CheckDataDir);
  r.Add<std::string>("mgs.listen", &o->listen, "127.0.0.1:9880@tcp",
                     "NID to serve on, HOST[:PORT]@NET (port 9880 when not given)", CheckListen);
  r.Add<int64_t>("mgs.target_down_after_ms", &o->target_down_after_ms, 15000,
                 "A target silent for longer than this is marked DOWN",
                 CheckRange<int64_t>(50, 86'400'000));
  r.Add<uint64_t>("mgs.default_stripe_size", &o->default_stripe_size, 1 << 20,
                  "Default stripe size of new files in bytes, a multiple of 64 KiB",
                  CheckStripeSize);
  r.Add<int64_t>("mgs.default_stripe_count", &o->default_stripe_count, 1,
                 "Default number of OSTs a new file is striped over; -1: all", CheckStripeCount);
  AddLoopKeys(r, &o->loop_spin_us);
  AddLoggingKeys(r, &o->log);
  AddMetricsKeys(r, &o->metrics);
}

Nid ListenNid(const MgsOptions& options) {
  return ParseNid(options.listen)->WithDefaultPort(kDefaultMgsPort);
}

Registry::Options RegistryOptions(const MgsOptions& options) {
  Registry::Options r;
  r.fsname = options.fsname;
  r.down_after = std::chrono::milliseconds(options.target_down_after_ms);
  r.default_layout.set_stripe_size(options.default_stripe_size);
  r.default_layout.set_stripe_count(static_cast<int32_t>(options.default_stripe_count));
  return r;
}

std::string RegistryPath(const MgsOptions& options) { return options.data_dir + "/registry"; }

}  // namespace weft::mgs
