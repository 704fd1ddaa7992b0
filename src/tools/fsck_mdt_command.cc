#include "tools/fsck_mdt_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "common/target_label.h"
#include "mds/fsck.h"
#include "mds/store/rocks_mdt_store.h"

namespace weft::tools {
namespace {

struct FsckArgs {
  std::string path;
  bool repair = false;
};

int Fail(int code, const std::string& message) {
  std::cerr << "weftctl fsck: " << message << "\n";
  return code;
}

// RocksDB's message when another process holds the database's LOCK file.
bool InUse(const Status& st) {
  return st.message().find("LOCK") != std::string::npos ||
         st.message().find("lock") != std::string::npos;
}

std::string Counts(const mds::FsckResult& r) {
  return std::to_string(r.inodes) + " inodes, " + std::to_string(r.entries) + " entries, " +
         std::to_string(r.orphans) + " orphans, " + std::to_string(r.xattrs) + " xattrs";
}

// Checks (and repairs) the open store; prints the problems and the summary.
int Check(mds::MdtStore& store, const std::string& name, bool repair) {
  Result<mds::FsckResult> r = mds::CheckMdt(store, mds::FsckOptions{repair});
  if (!r.ok()) return Fail(kExitFsckCannot, name + ": " + r.status().ToString());
  for (const std::string& p : r->problems) std::cout << name << ": " << p << "\n";
  if (r->clean()) {
    std::cout << name << ": clean (" << Counts(*r) << ")\n";
    return kExitOk;
  }
  size_t found = r->problems.size();
  if (!r->repaired) {
    std::cout << name << ": " << found << " problems found (" << Counts(*r)
              << "); run with --repair to fix them\n";
    return kExitFsckProblems;
  }
  Result<mds::FsckResult> again = mds::CheckMdt(store, mds::FsckOptions{false});
  if (!again.ok()) return Fail(kExitFsckCannot, name + ": " + again.status().ToString());
  for (const std::string& p : again->problems) std::cout << name << ": left: " << p << "\n";
  if (!again->clean()) {
    std::cout << name << ": " << found << " problems found, " << again->problems.size()
              << " remain after repair\n";
    return kExitFsckProblems;
  }
  std::cout << name << ": " << found << " problems repaired; now clean (" << Counts(*again)
            << ")\n";
  return kExitFsckRepaired;
}

int RunFsck(const FsckArgs& args) {
  Result<TargetLabel> label = ReadTargetLabel(args.path);
  if (!label.ok()) return Fail(kExitFsckCannot, label.status().message());
  if (label->type != "MDT") {
    return Fail(kExitFsckCannot, args.path + " holds " + label->Name() + ", an " + label->type +
                                     "; fsck --mdt checks metadata targets only");
  }
  std::string db = args.path + "/db";
  Result<std::unique_ptr<mds::RocksMdtStore>> store =
      mds::RocksMdtStore::Open(db, mds::RocksMdtStore::OpenMode::kExisting);
  if (!store.ok() && InUse(store.status())) {
    return Fail(kExitFsckCannot, label->Name() + " at " + args.path +
                                     " is in use (is weft-mds running on it?); fsck runs "
                                     "offline: stop the MDS first (" +
                                     store.status().message() + ")");
  }
  if (!store.ok()) return Fail(kExitFsckCannot, "opening " + db + ": " + store.status().message());
  return Check(**store, label->Name(), args.repair);
}

}  // namespace

Subcommand AddFsckCommand(CLI::App& app) {
  auto args = std::make_shared<FsckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "fsck",
      "Check a stopped target's metadata for consistency, and repair it with --repair.\n"
      "Exit status: 0 clean, 1 problems found (or left after --repair), 2 usage error, 3 not "
      "checked (not an MDT, in use by a running weft-mds, I/O error), 4 problems found and "
      "all repaired.");
  cmd->add_option("--mdt", args->path, "The MDT directory (weft-mds must not be running on it)")
      ->required();
  cmd->add_flag("--repair", args->repair,
                "Fix what is found (dangling entries, link counts, lost inodes to /lost+found, "
                "stray xattrs, counters)");
  return Subcommand{cmd, [args] { return RunFsck(*args); }};
}

}  // namespace weft::tools
