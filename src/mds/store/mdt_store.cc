#include "mds/store/mdt_store.h"

namespace weft::mds {
namespace {

thread_local bool t_cache_only = false;

}  // namespace

CacheOnlyReads::CacheOnlyReads() : was_(t_cache_only) { t_cache_only = true; }
CacheOnlyReads::~CacheOnlyReads() { t_cache_only = was_; }
bool CacheOnlyReads::Active() { return t_cache_only; }

}  // namespace weft::mds
