// Ports for daemons that tests and benchmarks start on loopback. Test support, outside src/:
// the sockets here only probe whether a port is free; no Weft traffic goes over them.
#pragma once

#include <cstdint>

namespace weft {

// A TCP port on 127.0.0.1 for a daemon this process is about to start, which cannot be taken
// before the daemon binds it:
//  - it lies below the kernel's ephemeral range (net.ipv4.ip_local_port_range), so no outgoing
//    connection (another test's client, this test's own daemons) gets it as its local port;
//  - it is held by an flock on /tmp/weft-ports/PORT for the life of this process, so test
//    processes running side by side (ctest -j) never choose the same one.
// Asking the kernel for port 0 and closing the socket gave a port from the ephemeral range,
// and under ctest -j2 an outgoing connection took one before the daemon could bind it.
uint16_t ReserveLoopbackPort();

}  // namespace weft
