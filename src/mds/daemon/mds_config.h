// The configuration of weft-mds: every key it reads, declared once with default and check
// (docs/mds.md lists them).
#pragma once

#include <cstdint>
#include <string>

#include "common/config.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/nid.h"
#include "mds/root_squash.h"

namespace weft::mds {

struct MdsOptions {
  std::string target;              // mds.target (--target), required: a formatted MDT dir
  std::string listen;              // mds.listen
  int64_t threads = 0;             // mds.threads: blocking pool threads running the Mdt
  int64_t heartbeat_ms = 0;        // mds.heartbeat_ms
  std::string root_squash;         // mds.root_squash: none | root_only | all
  int64_t squash_uid = 0;          // mds.squash_uid
  int64_t squash_gid = 0;          // mds.squash_gid
  std::string nosquash_nids;       // mds.nosquash_nids: comma-separated NIDs never squashed
  int64_t destroy_retry_ms = 0;    // mds.destroy_retry_ms: first pause after a failed destroy
  int64_t destroy_in_flight = 0;   // mds.destroy_in_flight: Destroy calls at once
  int64_t destroy_batch = 0;       // mds.destroy_batch: files destroyed together
  int64_t reply_records_keep = 0;  // mds.reply_records_keep: newest reply records kept
  int64_t reply_trim_ms = 0;       // mds.reply_trim_ms: interval of reply-record trimming
  bool sync_namespace = true;      // mds.sync_namespace
  int64_t lease_ms = 0;            // mds.lease_ms: how long a name lease lasts (0: none)
  int64_t loop_spin_us = 0;        // loop.spin_us
  LogOptions log;
  MetricsOptions metrics;
};

// Declares the mds.* keys and the log.* and metrics.* keys weft-mds uses, bound to `options`.
void AddMdsKeys(ConfigRegistry& registry, MdsOptions* options);

// The NID the MDS serves on: mds.listen with the default port filled in.
// REQUIRES: the options passed ConfigRegistry::Validate.
Nid ListenNid(const MdsOptions& options);

// The root squash policy of the options. REQUIRES: as ListenNid.
RootSquash RootSquashOf(const MdsOptions& options);

}  // namespace weft::mds
