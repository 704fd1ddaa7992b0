#include "common/nid.h"

#include <charconv>

namespace weft {
namespace {

Status BadNid(std::string_view text, std::string_view why) {
  return Status(StatusCode::kBadNid, "'" + std::string(text) + "': " + std::string(why) +
                                         " (expected HOST[:PORT]@NET, e.g. 10.0.1.4@tcp)");
}

Result<uint16_t> ParsePort(std::string_view text, std::string_view port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return BadNid(text, "port '" + std::string(port) + "' is not a number from 1 to 65535");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<std::string> ProviderForNet(std::string_view net) {
  if (net == "tcp") return std::string("tcp;ofi_rxm");
  if (net == "verbs") return std::string("verbs;ofi_rxm");
  if (net == "shm") return std::string("shm");
  return Status(StatusCode::kBadNid,
                "unknown net '" + std::string(net) + "' (known: tcp, verbs, shm)");
}

Result<Nid> ParseNid(std::string_view text) {
  Nid nid;
  std::string_view addr = text;
  if (auto at = text.rfind('@'); at != std::string_view::npos) {
    nid.net = std::string(text.substr(at + 1));
    addr = text.substr(0, at);
    if (!ProviderForNet(nid.net).ok()) return BadNid(text, "unknown net '" + nid.net + "'");
  }
  std::string_view port;
  if (!addr.empty() && addr.front() == '[') {  // [v6]:port
    auto close = addr.find(']');
    if (close == std::string_view::npos) return BadNid(text, "unclosed '['");
    std::string_view rest = addr.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return BadNid(text, "junk after ']'");
    if (!rest.empty()) port = rest.substr(1);  // may be empty: "[::1]:" is refused below
    addr = addr.substr(1, close - 1);
  } else if (auto colon = addr.rfind(':'); colon != std::string_view::npos) {
    port = addr.substr(colon + 1);
    addr = addr.substr(0, colon);
  }
  if (addr.empty()) return BadNid(text, "empty host");
  if (addr.find_first_of(" \t/@,") != std::string_view::npos) {
    return BadNid(text, "host has a character that is not allowed");
  }
  nid.host = std::string(addr);
  if (port.data() != nullptr) {  // a ':' was given, so a port must follow
    WEFT_ASSIGN_OR_RETURN(nid.port, ParsePort(text, port));
  }
  return nid;
}

std::string Nid::ToString() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != 0) h += ":" + std::to_string(port);
  return h + "@" + net;
}

std::string Nid::Provider() const {
  auto p = ProviderForNet(net);
  return p.ok() ? *p : std::string();
}

Nid Nid::WithDefaultPort(uint16_t default_port) const {
  Nid n = *this;
  if (n.port == 0) n.port = default_port;
  return n;
}

}  // namespace weft
