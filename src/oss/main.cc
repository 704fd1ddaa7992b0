// weft-oss: the object storage server daemon (docs/oss.md).
#include "oss/oss_daemon.h"

int main(int argc, char** argv) { return weft::oss::RunOssDaemon(argc, argv); }
