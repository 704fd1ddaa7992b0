#include "oss/oss_config.h"

#include <string_view>

#include "common/event_loop.h"
#include "oss/oss_service.h"

namespace weft::oss {
namespace {

Status CheckListen(const std::string& text) {
  Result<Nid> nid = ParseNid(text);
  return nid.ok() ? Status::Ok() : Status(StatusCode::kConfigInvalid, nid.status().message());
}

}  // namespace

void AddOssKeys(ConfigRegistry& r, OssOptions* o) {
  r.Add<std::string>("oss.listen", &o->listen, "127.0.0.1:9900@tcp",
                     "NID to serve on, HOST[:PORT]@NET (port 9900 when not given)", CheckListen);
  r.Add<int64_t>("oss.heartbeat_interval_ms", &o->heartbeat_interval_ms, 2000,
                 "How often each OST reports its space to the MGS",
                 CheckRange<int64_t>(10, 3'600'000));
  r.Add<int64_t>("oss.max_open_objects", &o->max_open_objects, 1024,
                 "Open object files kept per OST (LRU)", CheckRange<int64_t>(1, 1'000'000));
  r.Add<bool>("oss.direct_io", &o->direct_io, true,
              "Use O_DIRECT for 4 KiB-aligned reads and writes where the file system allows it");
  r.Add<bool>("oss.stream_writes", &o->stream_writes, true,
              "Write bulk payloads of 512 KiB and more to disk piece by piece as they arrive");
  AddLoopKeys(r, &o->loop_spin_us);
  AddLoggingKeys(r, &o->log);
  AddMetricsKeys(r, &o->metrics);
}

Result<std::vector<std::string>> TakeTargets(int argc, const char* const* argv,
                                             std::vector<std::string>* targets) {
  std::vector<std::string> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i > 0 && a == "--target") {
      if (i + 1 >= argc || std::string_view(argv[i + 1]).starts_with("--")) {
        return Status(StatusCode::kConfigInvalid, "--target needs a PATH (a formatted OST)");
      }
      targets->push_back(argv[++i]);
    } else if (i > 0 && a.starts_with("--target=")) {
      std::string_view path = a.substr(9);
      if (path.empty()) {
        return Status(StatusCode::kConfigInvalid, "--target needs a PATH (a formatted OST)");
      }
      targets->emplace_back(path);
    } else {
      rest.emplace_back(a);
    }
  }
  return rest;
}

Nid ListenNid(const OssOptions& options) {
  return ParseNid(options.listen)->WithDefaultPort(kDefaultOssPort);
}

}  // namespace weft::oss
