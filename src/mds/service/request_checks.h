// Checks of a request's shape made by the service before the Mdt sees it: sizes that would
// otherwise cost a lock or a RocksDB read to refuse. The Mdt checks the POSIX rules itself.
#pragma once

#include "common/status.h"
#include "mds.pb.h"

namespace weft::mds {

// kInvalidArgument for an inode number 0 or more than 65536 supplementary groups;
// kNameTooLong for a name past 255 bytes; kNameTooLong for a symlink target past 4095 bytes;
// kTooBig for an xattr value past 64 KiB.
Status CheckRequest(const LookupRequest& r);
Status CheckRequest(const GetattrRequest& r);
Status CheckRequest(const SetattrRequest& r);
Status CheckRequest(const CreateRequest& r);
Status CheckRequest(const MknodRequest& r);
Status CheckRequest(const MkdirRequest& r);
Status CheckRequest(const UnlinkRequest& r);
Status CheckRequest(const RenameRequest& r);
Status CheckRequest(const LinkRequest& r);
Status CheckRequest(const SymlinkRequest& r);
Status CheckRequest(const ReadlinkRequest& r);
Status CheckRequest(const ReaddirRequest& r);
Status CheckRequest(const OpenRequest& r);
Status CheckRequest(const CloseRequest& r);
Status CheckRequest(const StatfsRequest& r);
Status CheckRequest(const GetxattrRequest& r);
Status CheckRequest(const SetxattrRequest& r);
Status CheckRequest(const ListxattrRequest& r);
Status CheckRequest(const RemovexattrRequest& r);
Status CheckRequest(const AccessRequest& r);
Status CheckRequest(const GetLayoutRequest& r);
Status CheckRequest(const SetLayoutRequest& r);
Status CheckRequest(const SyncRequest& r);

}  // namespace weft::mds
