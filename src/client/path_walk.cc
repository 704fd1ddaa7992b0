#include "client/path_walk.h"

#include <deque>

namespace weft::client {
namespace {

constexpr uint64_t kRootIno = 1;  // the root of MDT 0 (mds.md: index << 48 | 1)

// Appends the components of `path` to the front of `queue`, in order.
void PushFront(std::string_view path, std::deque<std::string>* queue) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > i) parts.emplace_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  queue->insert(queue->begin(), parts.begin(), parts.end());
}

Status NotADirectory(const std::string& name) {
  return Status(StatusCode::kNotDirectory, "'" + name + "' is not a directory");
}

}  // namespace

Task<Result<Inode>> PathWalker::Resolve(const Credentials& cred, std::string_view path,
                                        bool follow_last) {
  if (path.empty()) co_return Status(StatusCode::kNotFound, "empty path");
  WEFT_CO_ASSIGN_OR_RETURN(Inode cur, co_await meta_.Getattr(cred, kRootIno));
  std::deque<std::string> queue;
  PushFront(path, &queue);
  int links = 0;
  bool trailing_slash = path.back() == '/';
  while (!queue.empty()) {
    std::string name = std::move(queue.front());
    queue.pop_front();
    if (name == ".") continue;
    if (cur.type() != mds::DIRECTORY) co_return NotADirectory(name);
    if (name == "..") {
      WEFT_CO_ASSIGN_OR_RETURN(cur, co_await meta_.Getattr(cred, cur.parent()));
      continue;
    }
    WEFT_CO_ASSIGN_OR_RETURN(Inode child, co_await meta_.Lookup(cred, cur.ino(), name));
    bool last = queue.empty();
    if (child.type() != mds::SYMLINK || (last && !follow_last && !trailing_slash)) {
      cur = std::move(child);
      continue;
    }
    if (++links > kMaxSymlinks) {
      co_return Status(StatusCode::kInvalidArgument,
                       std::string(kSymlinkLoopMessage) + " resolving '" + std::string(path) +
                           "' (more than " + std::to_string(kMaxSymlinks) + ")");
    }
    std::string target = child.symlink_target();
    if (target.empty()) {
      WEFT_CO_ASSIGN_OR_RETURN(target, co_await meta_.Readlink(cred, child.ino()));
    }
    if (!target.empty() && target.front() == '/') {
      WEFT_CO_ASSIGN_OR_RETURN(cur, co_await meta_.Getattr(cred, kRootIno));
    }
    PushFront(target, &queue);
  }
  if (trailing_slash && cur.type() != mds::DIRECTORY) co_return NotADirectory(std::string(path));
  co_return cur;
}

Task<Result<std::pair<Inode, std::string>>> PathWalker::ResolveParent(const Credentials& cred,
                                                                      std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (name.empty() || name == "." || name == "..") {
    co_return Status(StatusCode::kInvalidArgument,
                     "path '" + std::string(path) + "' names no entry (its last part is '" +
                         name + "')");
  }
  std::string_view dir = slash == std::string_view::npos ? std::string_view("/")
                                                         : path.substr(0, slash + 1);
  WEFT_CO_ASSIGN_OR_RETURN(Inode parent, co_await Resolve(cred, dir, true));
  if (parent.type() != mds::DIRECTORY) co_return NotADirectory(std::string(dir));
  co_return std::make_pair(std::move(parent), std::move(name));
}

}  // namespace weft::client
