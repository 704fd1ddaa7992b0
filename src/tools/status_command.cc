#include "tools/status_command.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/nid.h"
#include "mgs/mgs_service.h"
#include "tools/mgs_query.h"
#include "tools/status_table.h"

namespace weft::tools {
namespace {

struct StatusArgs {
  std::string mgs;
  std::string fsname;
  double timeout_s = 10;
};

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int Fail(int code, const std::string& message) {
  std::cerr << "weftctl status: " << message << "\n";
  return code;
}

// Exit code and message for a configuration the MGS did not give.
int ReportFailure(const Status& st, const Nid& mgs, double timeout_s) {
  if (st.code() == StatusCode::kRpcDeadlineExceeded) {
    return Fail(kExitUnreachable, "no answer from the MGS at " + mgs.ToString() + " within " +
                                      std::to_string(static_cast<int>(timeout_s)) +
                                      " s; check that weft-mgs runs there and serves that NID "
                                      "(its mgs.listen)");
  }
  if (st.code() == StatusCode::kMgsFsnameMismatch || st.code() == StatusCode::kInvalidArgument) {
    return Fail(kExitUsage, st.message());
  }
  return Fail(kExitUnreachable, "the MGS at " + mgs.ToString() + " did not answer with its " +
                                    "configuration: " + st.ToString());
}

int RunStatus(const StatusArgs& args) {
  Result<Nid> nid = ParseNid(args.mgs);
  if (!nid.ok()) return Fail(kExitUsage, "--mgs " + nid.status().message());
  if (!args.fsname.empty()) {
    Status st = mgs::CheckFsname(args.fsname, "--fsname");
    if (!st.ok()) return Fail(kExitUsage, st.message());
  }
  InitLogging("weftctl", "error").IgnoreError();  // only errors on stderr; stdout is the table
  Nid mgs = nid->WithDefaultPort(mgs::kDefaultMgsPort);
  auto timeout =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.timeout_s));
  Result<mgs::GetConfigReply> config = FetchConfig(mgs, args.fsname, timeout);
  if (!config.ok()) return ReportFailure(config.status(), mgs, args.timeout_s);
  std::cout << FormatStatus(*config, mgs.ToString(), NowUnixMs()) << std::flush;
  bool all_up = std::all_of(config->targets().begin(), config->targets().end(),
                            [](const mgs::TargetInfo& t) { return t.state() == mgs::UP; });
  return all_up ? kExitOk : kExitTargetsDown;
}

}  // namespace

Subcommand AddStatusCommand(CLI::App& app) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* cmd =
      app.add_subcommand("status",
                         "Show the file system's targets and their health, as the MGS sees them.\n"
                         "Exit status: 0 all targets up, 1 a target is down, 2 usage error, "
                         "3 the MGS cannot be reached.");
  cmd->add_option("--mgs", args->mgs, "NID of the MGS, HOST[:PORT]@NET (port 9880 if not given)")
      ->required();
  cmd->add_option("--fsname", args->fsname, "File system name (default: the one the MGS serves)");
  cmd->add_option("--timeout", args->timeout_s, "Seconds to wait for the MGS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return Subcommand{cmd, [args] { return RunStatus(*args); }};
}

}  // namespace weft::tools
