// NIDs: the network address of a Weft process, `HOST[:PORT]@NET`.
//
// NET picks the libfabric provider: `tcp` (tcp;ofi_rxm, works everywhere), `verbs`
// (verbs;ofi_rxm, RDMA NICs), `shm` (same host). HOST is an IPv4 address or a name; IPv6
// literals go in brackets ([::1]:988@tcp). A NID without a port means the service's default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace weft {

struct Nid {
  std::string host;
  uint16_t port = 0;  // 0: not given
  std::string net = "tcp";

  // "10.0.1.4:988@tcp"; the port is left out when it is 0.
  std::string ToString() const;
  // The libfabric provider string for net, e.g. "tcp;ofi_rxm".
  std::string Provider() const;
  // This NID with `port` filled in if it had none.
  Nid WithDefaultPort(uint16_t default_port) const;

  friend bool operator==(const Nid&, const Nid&) = default;
};

// Parses `HOST[:PORT]@NET` (`@NET` may be left out and defaults to tcp). Errors name the part
// that is wrong: empty host, a port that is not 1..65535, an unknown net.
Result<Nid> ParseNid(std::string_view text);

// The libfabric provider for a net name, or an error for an unknown net.
Result<std::string> ProviderForNet(std::string_view net);

}  // namespace weft
