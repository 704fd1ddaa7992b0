#include "tools/mkfs_ost_command.h"

#include <filesystem>
#include <iostream>

#include "common/nid.h"
#include "common/target_label.h"
#include "mgs/mgs_service.h"

namespace weft::tools {
namespace {

int Fail(int code, const std::string& message) {
  std::cerr << "weftctl mkfs: " << message << "\n";
  return code;
}

}  // namespace

int RunMkfsOst(const std::string& fsname, uint32_t index, const std::string& mgs,
               const std::string& path, bool reformat) {
  namespace fs = std::filesystem;
  Result<Nid> nid = ParseNid(mgs);
  if (!nid.ok()) return Fail(2, "--mgs " + nid.status().message());
  TargetLabel label{fsname, "OST", index, NewUuid(),
                    nid->WithDefaultPort(mgs::kDefaultMgsPort).ToString()};
  Status st = ValidateLabel(label);
  if (!st.ok()) return Fail(2, st.message());
  std::error_code ec;
  std::string label_path = path + "/" + kLabelFile;
  std::string objects = path + "/objects";
  if (fs::exists(label_path, ec) || fs::exists(objects, ec)) {
    if (!reformat) {
      return Fail(1, path + " already holds a Weft target; give --reformat to erase it");
    }
    fs::remove(label_path, ec);  // the label first: an interrupted reformat leaves no target
    if (!ec) fs::remove_all(objects, ec);
    if (ec) return Fail(1, "erasing " + path + ": " + ec.message());
  }
  fs::create_directories(objects, ec);
  if (ec) return Fail(1, "creating " + objects + ": " + ec.message());
  st = WriteTargetLabel(path, label, /*overwrite=*/false);
  if (!st.ok()) return Fail(1, st.message());
  std::cout << "formatted " << label.Name() << " (uuid " << label.uuid << ") in " << path
            << ", MGS " << label.mgs << "\n";
  return 0;
}

}  // namespace weft::tools
