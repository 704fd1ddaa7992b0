#include "tools/weft_stripe_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client/layout_xattr.h"
#include "tools/weft_mounts.h"

namespace weft::tools {
namespace {

int Fail(const std::string& command, const std::string& message) {
  std::cerr << "weft " << command << ": " << message << "\n";
  return kExitFailed;
}

}  // namespace

Result<mds::LayoutReply> ReadLayout(const std::string& path) {
  std::vector<char> buf(4096);
  for (;;) {
    ssize_t n = getxattr(path.c_str(), client::kLayoutXattr, buf.data(), buf.size());
    if (n >= 0) {
      return client::ParseLayoutXattrValue(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    if (errno == ERANGE) {
      ssize_t want = getxattr(path.c_str(), client::kLayoutXattr, nullptr, 0);
      if (want < 0) break;
      buf.resize(static_cast<size_t>(want) + 1);
      continue;
    }
    break;
  }
  return Status(StatusCode::kIoError, path + ": reading its layout: " + std::strerror(errno));
}

namespace {

struct GetstripeArgs {
  std::vector<std::string> paths;
  bool yaml = false;
  bool count_only = false;
  bool size_only = false;
  bool offset_only = false;
};

// A file's first OST; a directory's default names one only if it was set (-1: the MDS chooses).
int32_t StartOst(const mds::Layout& l) {
  if (l.objects_size() > 0) return static_cast<int32_t>(l.objects(0).ost_index());
  return l.has_start_ost() ? l.start_ost() : -1;
}

void PrintHuman(const std::string& path, const mds::LayoutReply& reply, const GetstripeArgs& a) {
  const mds::Layout& l = reply.layout();
  if (a.count_only || a.size_only || a.offset_only) {
    if (a.count_only) std::cout << l.stripe_count() << "\n";
    if (a.size_only) std::cout << l.stripe_size() << "\n";
    if (a.offset_only) std::cout << StartOst(l) << "\n";
    return;
  }
  std::cout << path << "\n";
  if (reply.inherited()) std::cout << "(no layout of its own: the file system default)\n";
  std::cout << "stripe_count:  " << l.stripe_count() << "\n"
            << "stripe_size:   " << l.stripe_size() << "\n"
            << "stripe_offset: " << StartOst(l) << "\n";
  if (l.objects_size() > 0) {
    std::cout << "\tobdidx\t\t objid\n";
    for (const mds::StripeObject& o : l.objects()) {
      char row[64];
      std::snprintf(row, sizeof row, "\t%6u\t%14llu\n", o.ost_index(),
                    static_cast<unsigned long long>(o.object_id()));
      std::cout << row;
    }
  }
}

void PrintYaml(const std::string& path, const mds::LayoutReply& reply) {
  const mds::Layout& l = reply.layout();
  std::cout << "- path: \"" << path << "\"\n"
            << "  stripe_count: " << l.stripe_count() << "\n"
            << "  stripe_size: " << l.stripe_size() << "\n"
            << "  stripe_offset: " << StartOst(l) << "\n"
            << "  inherited: " << (reply.inherited() ? "true" : "false") << "\n";
  if (l.objects_size() == 0) {
    std::cout << "  objects: []\n";
    return;
  }
  std::cout << "  objects:\n";
  for (const mds::StripeObject& o : l.objects()) {
    std::cout << "    - ost_idx: " << o.ost_index() << "\n      object: " << o.object_id() << "\n";
  }
}

int RunGetstripe(const GetstripeArgs& a) {
  int rc = kExitOk;
  for (const std::string& path : a.paths) {
    Result<WeftMount> mount = FindWeftMount(path);
    if (!mount.ok()) {
      rc = Fail("getstripe", mount.status().message());
      continue;
    }
    Result<mds::LayoutReply> layout = ReadLayout(path);
    if (!layout.ok()) {
      rc = Fail("getstripe", layout.status().message());
      continue;
    }
    if (a.yaml) {
      PrintYaml(path, *layout);
    } else {
      PrintHuman(path, *layout, a);
    }
  }
  return rc;
}

struct SetstripeArgs {
  std::string path;
  std::string size;
  int64_t count = 0;
  int64_t start = kStartNotGiven;
  static constexpr int64_t kStartNotGiven = -2;
};

int RunSetstripe(const SetstripeArgs& a) {
  std::string text;
  if (!a.size.empty()) {
    Result<uint64_t> size = ParseSize(a.size, "-S/--stripe-size");
    if (!size.ok()) {
      std::cerr << "weft setstripe: " << size.status().message() << "\n";
      return kExitUsage;
    }
    text += "stripe_size=" + std::to_string(*size) + " ";
  }
  if (a.count != 0) text += "stripe_count=" + std::to_string(a.count) + " ";
  if (a.start != SetstripeArgs::kStartNotGiven) text += "start_ost=" + std::to_string(a.start) + " ";
  if (text.empty()) {
    std::cerr << "weft setstripe: give at least one of -c, -S or -i\n";
    return kExitUsage;
  }
  if (Result<client::LayoutRequest> check = client::ParseLayoutXattr(text); !check.ok()) {
    std::cerr << "weft setstripe: " << check.status().message() << "\n";
    return kExitUsage;
  }
  struct stat st;
  bool exists = stat(a.path.c_str(), &st) == 0;
  Result<WeftMount> mount = FindWeftMount(a.path, !exists);
  if (!mount.ok()) return Fail("setstripe", mount.status().message());
  bool created = false;
  if (!exists) {
    // A new, empty file with this layout (as lfs setstripe does).
    int fd = open(a.path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0666);
    if (fd < 0) return Fail("setstripe", "creating " + a.path + ": " + std::strerror(errno));
    close(fd);
    created = true;
  } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
    return Fail("setstripe", a.path + " already has data (" + std::to_string(st.st_size) +
                                 " bytes); a layout is set on a directory or a new, empty file");
  } else if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return Fail("setstripe", a.path + " is neither a regular file nor a directory");
  }
  if (setxattr(a.path.c_str(), client::kLayoutXattr, text.data(), text.size(), 0) != 0) {
    int err = errno;
    if (created) unlink(a.path.c_str());
    std::string why = std::strerror(err);
    if (err == EINVAL && a.start >= 0) {
      why += " (is OST " + std::to_string(a.start) + " part of the file system? weft df lists them)";
    } else if (err == EINVAL) {
      why += " (the MDS refused this layout)";
    }
    if (err == ENOSPC) why += " (not as many OSTs are active)";
    return Fail("setstripe", "setting the layout of " + a.path + ": " + why);
  }
  return kExitOk;
}

}  // namespace

Subcommand AddGetstripeCommand(CLI::App& app) {
  auto args = std::make_shared<GetstripeArgs>();
  CLI::App* sub = app.add_subcommand(
      "getstripe", "Shows the layout of files and directories: stripe count, size, OSTs");
  sub->add_option("paths", args->paths, "Files or directories on a Weft mount")->required();
  sub->add_flag("-y,--yaml", args->yaml, "Print YAML");
  sub->add_flag("-c,--stripe-count", args->count_only, "Print only the stripe count");
  sub->add_flag("-S,--stripe-size", args->size_only, "Print only the stripe size");
  sub->add_flag("-i,--stripe-index", args->offset_only, "Print only the first OST's index");
  return Subcommand{sub, [args] { return RunGetstripe(*args); }};
}

Subcommand AddSetstripeCommand(CLI::App& app) {
  auto args = std::make_shared<SetstripeArgs>();
  CLI::App* sub = app.add_subcommand(
      "setstripe",
      "Sets the layout of a directory (the default of new files in it) or creates a new, "
      "empty file with a layout");
  sub->add_option("path", args->path, "A directory, or a file that does not exist yet")
      ->required();
  sub->add_option("-c,--stripe-count", args->count,
                  "OSTs to stripe over: N, or -1 for all (0 keeps the inherited count)")
      ->check(CLI::Range(int64_t{-1}, int64_t{65535}));
  sub->add_option("-S,--stripe-size", args->size,
                  "Bytes per stripe, a multiple of 64K: 65536, 64k, 1M, 4M");
  sub->add_option("-i,--stripe-index", args->start,
                  "The OST of the first stripe (-1: the MDS chooses)")
      ->check(CLI::Range(int64_t{-1}, int64_t{65535}));
  return Subcommand{sub, [args] { return RunSetstripe(*args); }};
}

}  // namespace weft::tools
