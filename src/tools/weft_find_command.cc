#include "tools/weft_find_command.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/weft_mounts.h"
#include "tools/weft_stripe_command.h"

namespace weft::tools {
namespace {

struct FindArgs {
  std::string root;
  std::string name;
  std::string type;
  std::string size;
  int64_t stripe_count = -2;  // -2: any
  int64_t ost = -1;           // -1: any
  int64_t maxdepth = -1;
};

// "+N" more than N, "-N" less than N, "N" exactly N (bytes, with k/M/G units).
struct SizeTest {
  int sign = 0;
  uint64_t bytes = 0;
  bool Matches(uint64_t size) const {
    if (sign > 0) return size > bytes;
    if (sign < 0) return size < bytes;
    return size == bytes;
  }
};

struct Filter {
  std::string name;
  char type = 0;  // f d l p s c b, or 0
  std::optional<SizeTest> size;
  int64_t stripe_count = -2;
  int64_t ost = -1;
  bool NeedsLayout() const { return stripe_count != -2 || ost != -1; }
};

char TypeLetter(mode_t mode) {
  if (S_ISREG(mode)) return 'f';
  if (S_ISDIR(mode)) return 'd';
  if (S_ISLNK(mode)) return 'l';
  if (S_ISFIFO(mode)) return 'p';
  if (S_ISSOCK(mode)) return 's';
  if (S_ISCHR(mode)) return 'c';
  if (S_ISBLK(mode)) return 'b';
  return '?';
}

bool Matches(const std::string& path, const std::string& base, const struct stat& st,
             const Filter& f) {
  if (!f.name.empty() && fnmatch(f.name.c_str(), base.c_str(), 0) != 0) return false;
  if (f.type != 0 && TypeLetter(st.st_mode) != f.type) return false;
  if (f.size && !f.size->Matches(static_cast<uint64_t>(st.st_size))) return false;
  if (f.NeedsLayout()) {
    // Only regular files have objects.
    if (!S_ISREG(st.st_mode)) return false;
    Result<mds::LayoutReply> layout = ReadLayout(path);
    if (!layout.ok()) return false;
    const mds::Layout& l = layout->layout();
    if (f.stripe_count != -2 && l.objects_size() != f.stripe_count) return false;
    if (f.ost != -1) {
      bool on = false;
      for (const mds::StripeObject& o : l.objects()) on = on || o.ost_index() == f.ost;
      if (!on) return false;
    }
  }
  return true;
}

// Depth first, names in directory order; errors are reported and the walk goes on.
void Walk(const std::string& path, const std::string& base, int depth, int64_t maxdepth,
          const Filter& f, int* rc) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    std::cerr << "weft find: " << path << ": " << std::strerror(errno) << "\n";
    *rc = kExitFailed;
    return;
  }
  if (Matches(path, base, st, f)) std::cout << path << "\n";
  if (!S_ISDIR(st.st_mode) || (maxdepth >= 0 && depth >= maxdepth)) return;
  DIR* d = opendir(path.c_str());
  if (d == nullptr) {
    std::cerr << "weft find: " << path << ": " << std::strerror(errno) << "\n";
    *rc = kExitFailed;
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);
  for (const std::string& n : names) {
    Walk(path == "/" ? "/" + n : path + "/" + n, n, depth + 1, maxdepth, f, rc);
  }
}

int RunFind(const FindArgs& a) {
  Filter f;
  f.name = a.name;
  if (!a.type.empty()) {
    if (a.type.size() != 1 || std::string("fdlpscb").find(a.type[0]) == std::string::npos) {
      std::cerr << "weft find: --type '" << a.type << "': use one of f d l p s c b\n";
      return kExitUsage;
    }
    f.type = a.type[0];
  }
  if (!a.size.empty()) {
    SizeTest t;
    std::string digits = a.size;
    if (digits[0] == '+' || digits[0] == '-') {
      t.sign = digits[0] == '+' ? 1 : -1;
      digits = digits.substr(1);
    }
    Result<uint64_t> bytes = ParseSize(digits, "--size");
    if (!bytes.ok()) {
      std::cerr << "weft find: " << bytes.status().message() << "\n";
      return kExitUsage;
    }
    t.bytes = *bytes;
    f.size = t;
  }
  f.stripe_count = a.stripe_count;
  f.ost = a.ost;
  Result<WeftMount> mount = FindWeftMount(a.root);
  if (!mount.ok()) {
    std::cerr << "weft find: " << mount.status().message() << "\n";
    return kExitFailed;
  }
  std::string root = a.root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  size_t slash = root.find_last_of('/');
  std::string base = slash == std::string::npos ? root : root.substr(slash + 1);
  int rc = kExitOk;
  Walk(root, base, 0, a.maxdepth, f, &rc);
  return rc;
}

}  // namespace

Subcommand AddFindCommand(CLI::App& app) {
  auto args = std::make_shared<FindArgs>();
  CLI::App* sub = app.add_subcommand(
      "find", "Lists files under a directory of a Weft mount by name, type, size and layout");
  sub->add_option("path", args->root, "Where to start (on a Weft mount)")->required();
  sub->add_option("-n,--name", args->name, "Base name matches this shell pattern");
  sub->add_option("-t,--type", args->type, "Type: f d l p s c b");
  sub->add_option("-s,--size", args->size, "Size: N exactly, +N more, -N less (k, M, G units)");
  sub->add_option("-c,--stripe-count", args->stripe_count,
                  "Regular files with exactly this many stripes")
      ->check(CLI::Range(int64_t{0}, int64_t{65535}));
  sub->add_option("-O,--ost", args->ost, "Regular files with a stripe on this OST index")
      ->check(CLI::Range(int64_t{0}, int64_t{65535}));
  sub->add_option("--maxdepth", args->maxdepth, "Descend at most this many levels")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  return Subcommand{sub, [args] { return RunFind(*args); }};
}

}  // namespace weft::tools
