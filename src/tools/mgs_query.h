// One-shot questions to an MGS from a command-line tool.
#pragma once

#include <string>

#include "common/event_loop.h"
#include "common/nid.h"
#include "common/status.h"
#include "mgs.pb.h"

namespace weft::tools {

// The MGS's current configuration, fetched with its own short-lived event loop and RPC client.
// `fsname` empty: whichever file system the MGS serves. Retries until `timeout`; then
// kRpcDeadlineExceeded. Threading: blocks the calling thread; not on an event loop thread.
Result<mgs::GetConfigReply> FetchConfig(const Nid& mgs, const std::string& fsname,
                                        Clock::duration timeout);

}  // namespace weft::tools
