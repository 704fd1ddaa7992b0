#include "common/target_label.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <toml++/toml.h>

#include "common/nid.h"

namespace weft {
namespace {

bool ValidFsname(const std::string& s) {
  if (s.empty() || s.size() > 8) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status WriteFileDurably(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("open(" + tmp + ")", errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  if (n != static_cast<ssize_t>(text.size()) || ::fsync(fd) != 0) {
    ::close(fd);
    return ErrnoStatus("writing " + tmp, n < 0 ? err : EIO);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoStatus("rename(" + path + ")", errno);
  return Status::Ok();
}

}  // namespace

std::string TargetLabel::Name() const {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s%04X", type.c_str(), index);
  return fsname + "-" + buf;
}

std::string NewUuid() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t{rd()} << 32) ^ rd());
  uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 1
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", uint32_t(hi >> 32),
                uint32_t(hi >> 16) & 0xFFFF, uint32_t(hi) & 0xFFFF, uint32_t(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

Status ValidateLabel(const TargetLabel& l) {
  auto bad = [](std::string what) { return Status(StatusCode::kInvalidArgument, what); };
  if (!ValidFsname(l.fsname)) {
    return bad("fsname '" + l.fsname + "' must be 1 to 8 characters of a-z, 0-9 and _");
  }
  if (l.type != "MDT" && l.type != "OST") return bad("type '" + l.type + "' is not MDT or OST");
  if (l.index > 0xFFFF) return bad("index " + std::to_string(l.index) + " exceeds 65535");
  if (l.uuid.size() < 8) return bad("uuid '" + l.uuid + "' is too short");
  auto nid = ParseNid(l.mgs);
  if (!nid.ok()) return nid.status().WithContext("mgs");
  return Status::Ok();
}

Status WriteTargetLabel(const std::string& dir, const TargetLabel& label, bool overwrite) {
  WEFT_RETURN_IF_ERROR(ValidateLabel(label));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(StatusCode::kIoError, "cannot create " + dir + ": " + ec.message());
  std::string path = dir + "/" + kLabelFile;
  if (!overwrite && std::filesystem::exists(path)) {
    return Status(StatusCode::kAlreadyExists,
                  dir + " is already a formatted target (" + path +
                      "); use --reformat to erase it");
  }
  toml::table t{{"fsname", label.fsname},
                {"type", label.type},
                {"index", int64_t{label.index}},
                {"uuid", label.uuid},
                {"mgs", label.mgs}};
  std::ostringstream out;
  out << "# Written by weftctl mkfs. Do not edit: the uuid names this target to the MGS.\n"
      << t << "\n";
  return WriteFileDurably(path, out.str());
}

Result<TargetLabel> ReadTargetLabel(const std::string& dir) {
  std::string path = dir + "/" + kLabelFile;
  auto not_target = [&](const std::string& why) {
    return Status(StatusCode::kNotFound, dir + " is not a formatted Weft target (" + why +
                                             "); format it with `weftctl mkfs`");
  };
  if (!std::filesystem::exists(path)) return not_target("no " + path);
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return not_target(path + " does not parse: " + std::string(e.description()));
  }
  TargetLabel l;
  l.fsname = t["fsname"].value_or(std::string());
  l.type = t["type"].value_or(std::string());
  l.index = static_cast<uint32_t>(t["index"].value_or(int64_t{-1}));
  l.uuid = t["uuid"].value_or(std::string());
  l.mgs = t["mgs"].value_or(std::string());
  Status st = ValidateLabel(l);
  if (!st.ok()) return not_target(path + ": " + st.message());
  return l;
}

}  // namespace weft
