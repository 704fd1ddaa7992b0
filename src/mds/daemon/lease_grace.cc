#include "mds/daemon/lease_grace.h"

#include <spdlog/spdlog.h>

namespace weft::mds {
namespace {

// Pool jobs: plain structs, not lambdas (GCC 12 and lambdas in coroutines, see mds_service).
struct ReadClientsJob {
  Mdt* mdt;
  Result<std::vector<std::pair<uint64_t, std::string>>> operator()() const {
    return mdt->LeaseClients();
  }
};

struct ForgetClientsJob {
  Mdt* mdt;
  const std::vector<uint64_t>* clients;
  Status operator()() const { return mdt->ForgetLeaseClients(*clients); }
};

}  // namespace

Task<Status> LeaseGrace::Begin() {
  Result<std::vector<std::pair<uint64_t, std::string>>> clients =
      co_await pool_.Run(ReadClientsJob{&mdt_});
  if (!clients.ok()) co_return clients.status();
  if (clients->empty()) co_return Status::Ok();
  size_t n = clients->size();
  leases_.StartGrace(std::move(clients).value(), Clock::now() + term_);
  spdlog::info(
      "mds: clients that held name leases before this start: {}; they are told of "
      "every removal for the next {} ms",
      n, std::chrono::duration_cast<std::chrono::milliseconds>(term_).count());
  co_return Status::Ok();
}

Task<void> LeaseGrace::Run() {
  if (leases_.grace_clients() == 0) co_return;
  co_await task_.Sleep(term_);
  if (task_.stopping()) co_return;
  std::vector<uint64_t> gone = leases_.EndGrace();
  Status st = co_await pool_.Run(ForgetClientsJob{&mdt_, &gone});
  if (!st.ok()) spdlog::warn("mds: forgetting {} lease clients: {}", gone.size(), st.ToString());
}

}  // namespace weft::mds
