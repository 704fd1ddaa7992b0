// weft-fuse, and mount.weft (the same program under the name mount(8) runs).
#include <string_view>

#include "client/fuse/weft_fuse.h"

int main(int argc, char** argv) {
  std::string_view name = argv[0];
  if (size_t slash = name.rfind('/'); slash != std::string_view::npos) name = name.substr(slash + 1);
  return weft::fuse::RunWeftFuse(argc, argv, name.starts_with("mount."));
}
