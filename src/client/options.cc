#include "client/options.h"

#include <unistd.h>

#include <string>

#include "oss/oss_service.h"

namespace weft::client {

Credentials Credentials::OfProcess() {
  Credentials cred;
  cred.uid = geteuid();
  cred.gid = getegid();
  int n = getgroups(0, nullptr);
  if (n > 0) {
    std::vector<gid_t> groups(static_cast<size_t>(n));
    n = getgroups(n, groups.data());
    for (int i = 0; i < n; ++i) cred.groups.push_back(groups[static_cast<size_t>(i)]);
  }
  return cred;
}

Status CheckOptions(const ClientOptions& o) {
  if (o.max_rpc_size == 0 || o.max_rpc_size > oss::kMaxIoLength) {
    return Status(StatusCode::kInvalidArgument,
                  "max_rpc_size " + std::to_string(o.max_rpc_size) + " must be 1 byte to " +
                      std::to_string(oss::kMaxIoLength) + " bytes");
  }
  if (o.max_rpcs_in_flight == 0) {
    return Status(StatusCode::kInvalidArgument, "max_rpcs_in_flight must be at least 1");
  }
  if (o.call_timeout.count() <= 0 || o.attempt_timeout.count() <= 0) {
    return Status(StatusCode::kInvalidArgument, "call_timeout and attempt_timeout must be > 0");
  }
  if (o.loop_spin.count() < 0) {
    return Status(StatusCode::kInvalidArgument, "loop_spin must not be negative");
  }
  if (o.config_poll.count() <= 0) {
    return Status(StatusCode::kInvalidArgument, "config_poll must be > 0");
  }
  return Status::Ok();
}

}  // namespace weft::client
