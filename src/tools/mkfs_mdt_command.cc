#include "tools/mkfs_mdt_command.h"

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "common/nid.h"
#include "common/target_label.h"
#include "mds/mdt.h"
#include "mds/store/rocks_mdt_store.h"
#include "mgs/mgs_service.h"
#include "tools/mkfs_ost_command.h"

namespace weft::tools {
namespace {

struct MkfsArgs {
  bool mdt = false;
  bool ost = false;  // docs/oss.md
  std::string fsname;
  uint32_t index = 0;
  std::string mgs;
  std::string path;
  bool reformat = false;
};

int Fail(int code, const std::string& message) {
  std::cerr << "weftctl mkfs: " << message << "\n";
  return code;
}

// The label to write, or a usage error.
Result<TargetLabel> MakeLabel(const MkfsArgs& args) {
  Result<Nid> mgs = ParseNid(args.mgs);
  if (!mgs.ok()) return Status(StatusCode::kInvalidArgument, "--mgs " + mgs.status().message());
  TargetLabel label{args.fsname, "MDT", args.index, NewUuid(),
                    mgs->WithDefaultPort(mgs::kDefaultMgsPort).ToString()};
  WEFT_RETURN_IF_ERROR(ValidateLabel(label));
  return label;
}

// kAlreadyExists if PATH holds a label or a database and --reformat was not given; with it,
// removes both (the label first, so that an interrupted reformat leaves no valid target).
Status ClearTarget(const MkfsArgs& args, const std::string& db) {
  namespace fs = std::filesystem;
  std::string label = args.path + "/" + kLabelFile;
  std::error_code ec;
  bool exists = fs::exists(label, ec) || fs::exists(db, ec);
  if (!exists) return Status::Ok();
  if (!args.reformat) {
    return Status(StatusCode::kAlreadyExists,
                  args.path + " already holds a Weft target; give --reformat to erase it");
  }
  fs::remove(label, ec);
  if (!ec) fs::remove_all(db, ec);
  if (ec) return Status(StatusCode::kIoError, "erasing " + args.path + ": " + ec.message());
  return Status::Ok();
}

// Formats the database under PATH/db, then writes the label.
Status Format(const MkfsArgs& args, const TargetLabel& label) {
  std::string db = args.path + "/db";
  WEFT_RETURN_IF_ERROR(ClearTarget(args, db));
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<mds::RocksMdtStore> store,
                        mds::RocksMdtStore::Open(db, mds::RocksMdtStore::OpenMode::kCreate));
  mds::FormatOptions options;
  options.fsname = label.fsname;
  options.index = label.index;
  options.uuid = label.uuid;
  WEFT_RETURN_IF_ERROR(mds::Mdt::Format(*store, options));
  store.reset();
  return WriteTargetLabel(args.path, label, /*overwrite=*/false);
}

int RunMkfs(const MkfsArgs& args) {
  if (args.mdt == args.ost) return Fail(kExitUsage, "say what to format: --mdt or --ost");
  if (args.ost) return RunMkfsOst(args.fsname, args.index, args.mgs, args.path, args.reformat);
  Result<TargetLabel> label = MakeLabel(args);
  if (!label.ok()) return Fail(kExitUsage, label.status().message());
  Status st = Format(args, *label);
  if (!st.ok()) return Fail(kExitMkfsFailed, st.message());
  std::cout << "formatted " << label->Name() << " (uuid " << label->uuid << ") in " << args.path
            << ", MGS " << label->mgs << "\n";
  return kExitOk;
}

}  // namespace

Subcommand AddMkfsCommand(CLI::App& app) {
  auto args = std::make_shared<MkfsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "mkfs",
      "Format a target directory: its label and its empty store.\n"
      "Exit status: 0 formatted, 1 formatting failed (e.g. an existing target without "
      "--reformat), 2 usage error.");
  cmd->add_flag("--mdt", args->mdt, "Format a metadata target (MDT)");
  cmd->add_flag("--ost", args->ost, "Format an object storage target (OST)");
  cmd->add_option("--fsname", args->fsname, "File system name: 1 to 8 of a-z, 0-9, _")
      ->required();
  cmd->add_option("--index", args->index, "Target index, 0 to 65535")->required();
  cmd->add_option("--mgs", args->mgs, "NID of the MGS, HOST[:PORT]@NET (port 9880 if not given)")
      ->required();
  cmd->add_option("path", args->path, "The target's directory (created if missing)")->required();
  cmd->add_flag("--reformat", args->reformat, "Erase an existing target at PATH first");
  return Subcommand{cmd, [args] { return RunMkfs(*args); }};
}

}  // namespace weft::tools
