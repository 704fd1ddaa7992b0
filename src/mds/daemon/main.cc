// weft-mds: the metadata server daemon (docs/mds.md).
#include "mds/daemon/mds_daemon.h"

int main(int argc, char** argv) { return weft::mds::RunMdsDaemon(argc, argv); }
