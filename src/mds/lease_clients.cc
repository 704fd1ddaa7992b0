// The clients granted name leases, kept in the meta family (Mdt::RecordLeaseClient).
#include "mds/keys.h"
#include "mds/mdt.h"

namespace weft::mds {

Status Mdt::RecordLeaseClient(uint64_t client_id, std::string_view address) {
  LeaseClient record;
  record.set_address(std::string(address));
  WriteBatch batch;
  batch.Put(Family::kMeta, LeaseClientKey(client_id), record.SerializeAsString());
  return store_->Commit(batch);
}

Result<std::vector<std::pair<uint64_t, std::string>>> Mdt::LeaseClients() {
  std::vector<std::pair<uint64_t, std::string>> clients;
  Status bad;
  WEFT_RETURN_IF_ERROR(store_->Scan(
      Family::kMeta, kLeaseClientPrefix, kLeaseClientPrefix,
      [&](std::string_view key, std::string_view value) {
        LeaseClient record;
        if (key.size() != kLeaseClientPrefix.size() + 8 ||
            !record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          bad = Status(StatusCode::kInternal,
                       "a lease client record (meta key lclient/) does not parse");
          return false;
        }
        clients.emplace_back(ReadU64(key.substr(kLeaseClientPrefix.size())), record.address());
        return true;
      }));
  if (!bad.ok()) return bad;
  return clients;
}

Status Mdt::ForgetLeaseClients(const std::vector<uint64_t>& client_ids) {
  if (client_ids.empty()) return Status::Ok();
  WriteBatch batch;
  for (uint64_t id : client_ids) batch.Delete(Family::kMeta, LeaseClientKey(id));
  return store_->Commit(batch);
}

}  // namespace weft::mds
