// weft-mgs: the management server daemon (docs/mgs.md).
#include "mgs/mgs_daemon.h"

int main(int argc, char** argv) { return weft::mgs::RunMgsDaemon(argc, argv); }
