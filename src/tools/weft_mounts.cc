#include "tools/weft_mounts.h"

#include <limits.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace weft::tools {
namespace {

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = 0;
      if (std::sscanf(s.c_str() + i + 1, "%3o", &v) == 1) {
        out.push_back(static_cast<char>(v));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool IsUnder(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace

Result<WeftMount> FindWeftMount(const std::string& path, bool parent_of_new) {
  std::string probe = path;
  if (parent_of_new) {
    size_t slash = path.find_last_of('/');
    probe = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  }
  char resolved[PATH_MAX];
  if (realpath(probe.c_str(), resolved) == nullptr) {
    return Status(StatusCode::kNotFound, path + ": " + std::string(strerror(errno)));
  }
  std::string real = resolved;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  WeftMount best;
  size_t best_len = 0;
  bool deeper_other = false;
  std::string other_type;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devs, root, point, opts, field;
    f >> id >> parent >> devs >> root >> point >> opts;
    while (f >> field && field != "-") {
    }
    std::string type, source;
    f >> type >> source;
    point = Unescape(point);
    if (!IsUnder(real, point)) continue;
    if (point.size() + 1 > best_len) {
      // The deepest mount holding the path decides; it must be Weft's.
      best_len = point.size() + 1;
      if (type == "fuse.weft") {
        best = WeftMount{point, Unescape(source), ""};
        deeper_other = false;
      } else {
        deeper_other = true;
        other_type = type;
      }
    }
  }
  if (best_len == 0 || deeper_other || best.mountpoint.empty()) {
    return Status(StatusCode::kNotFound,
                  path + " is not on a Weft file system" +
                      (other_type.empty() ? "" : " (it is on " + other_type + ")") +
                      "; mount one with mount -t weft MGSNID:/FSNAME DIR");
  }
  size_t colon = best.source.rfind(":/");
  if (colon != std::string::npos) best.fsname = best.source.substr(colon + 2);
  return best;
}

Result<uint64_t> ParseSize(const std::string& text, const std::string& what) {
  if (text.empty()) return Status(StatusCode::kInvalidArgument, what + " is empty");
  size_t pos = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &pos);
  } catch (...) {
    return Status(StatusCode::kInvalidArgument, what + " '" + text + "' is not a size");
  }
  uint64_t mult = 1;
  std::string suffix = text.substr(pos);
  if (suffix == "k" || suffix == "K") {
    mult = 1ULL << 10;
  } else if (suffix == "m" || suffix == "M") {
    mult = 1ULL << 20;
  } else if (suffix == "g" || suffix == "G") {
    mult = 1ULL << 30;
  } else if (suffix == "t" || suffix == "T") {
    mult = 1ULL << 40;
  } else if (!suffix.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  what + " '" + text + "': unknown unit '" + suffix + "' (k, M, G or T)");
  }
  return static_cast<uint64_t>(v) * mult;
}

std::string HumanSize(uint64_t bytes) {
  const char* units = "BKMGTPE";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 6) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
  }
  return buf;
}

}  // namespace weft::tools
