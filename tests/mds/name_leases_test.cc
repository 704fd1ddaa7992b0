// The MDS's name leases (src/mds/service/name_leases.h): who is told of a removed name, and
// for how long.
#include "mds/service/name_leases.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "mdt_fixture.h"

namespace weft::mds {
namespace {

using namespace std::chrono_literals;

struct Sent {
  std::string address;
  uint64_t client;
  NamesRemoved names;
};

class NameLeasesTest : public ::testing::Test {
 protected:
  NameLeases Make(Clock::duration term) {
    NameLeases::Options o;
    o.term = term;
    o.metrics = &metrics_;
    NameLeases leases(o);
    leases.SetSender([this](std::string_view address, uint64_t client, const std::string& body) {
      Sent s{std::string(address), client, {}};
      if (!s.names.ParseFromString(body)) return Status(StatusCode::kInternal, "bad body");
      sent_.push_back(s);
      return Status::Ok();
    });
    return leases;
  }
  static std::vector<std::string> Names(const Sent& s) {
    std::vector<std::string> out;
    for (const RemovedName& n : s.names.names()) {
      out.push_back(std::to_string(n.parent()) + "/" + n.name());
    }
    return out;
  }

  MetricsRegistry metrics_;
  std::vector<Sent> sent_;
};

TEST_F(NameLeasesTest, AHolderIsToldOfNamesOthersRemoveButNotOfItsOwn) {
  NameLeases leases = Make(30s);
  Lease a = leases.Grant(/*dir=*/10, /*client=*/1, "addr-1");
  Lease b = leases.Grant(10, 2, "addr-2");
  EXPECT_EQ(a.ms(), 30000u);
  EXPECT_GT(b.seq(), a.seq());
  EXPECT_EQ(leases.holders(), 2u);

  leases.NoteRemoved({{10, "x"}}, /*changer=*/1);
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].client, 2u);
  EXPECT_EQ(sent_[0].address, "addr-2");
  EXPECT_EQ(Names(sent_[0]), std::vector<std::string>{"10/x"});
  EXPECT_GT(sent_[0].names.seq(), b.seq());

  // A name in a directory nobody holds a lease on is nobody's business.
  leases.NoteRemoved({{11, "y"}}, 3);
  EXPECT_EQ(sent_.size(), 1u);
  // A rename's two names, one message per holder; a third client tells both.
  leases.Grant(11, 2, "addr-2b");  // the client's newest address is used
  leases.NoteRemoved({{10, "from"}, {11, "to"}}, 3);
  ASSERT_EQ(sent_.size(), 3u);
  EXPECT_EQ(sent_[1].client, 1u);
  EXPECT_EQ(Names(sent_[1]), std::vector<std::string>{"10/from"});
  EXPECT_EQ(sent_[2].client, 2u);
  EXPECT_EQ(sent_[2].address, "addr-2b");
  EXPECT_EQ(Names(sent_[2]), (std::vector<std::string>{"10/from", "11/to"}));
}

TEST_F(NameLeasesTest, ALeaseThatRanOutIsToldNothing) {
  NameLeases leases = Make(50ms);
  leases.Grant(10, 1, "addr-1");
  std::this_thread::sleep_for(80ms);
  leases.NoteRemoved({{10, "x"}}, 2);
  EXPECT_TRUE(sent_.empty());
  // Granted again, it is told again.
  leases.Grant(10, 1, "addr-1");
  leases.NoteRemoved({{10, "x"}}, 2);
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(NameLeasesTest, ExpiredLeasesAreSweptAsGrantsGoOn) {
  NameLeases leases = Make(20ms);
  for (uint64_t d = 0; d < 1000; ++d) leases.Grant(d, 1, "addr-1");
  EXPECT_EQ(leases.directories(), 1000u);
  std::this_thread::sleep_for(40ms);
  for (uint64_t d = 1000; d < 1100; ++d) leases.Grant(d, 2, "addr-2");
  // A sweep ran on the way (every 1024 grants at least): what ran out is gone.
  EXPECT_LE(leases.directories(), 100u);
  EXPECT_LE(leases.holders(), 100u);
}

TEST_F(NameLeasesTest, ATermOfZeroGrantsNothing) {
  NameLeases leases = Make(0s);
  EXPECT_FALSE(leases.enabled());
  Lease l = leases.Grant(10, 1, "addr-1");
  EXPECT_EQ(l.ms(), 0u);
  leases.NoteRemoved({{10, "x"}}, 2);
  EXPECT_TRUE(sent_.empty());
}

TEST_F(NameLeasesTest, ManyNamesAtOnceGoInMessagesOfBoundedSize) {
  NameLeases leases = Make(30s);
  leases.Grant(10, 1, "addr-1");
  std::vector<std::pair<uint64_t, std::string>> names;
  for (int i = 0; i < 450; ++i) names.emplace_back(10, "n" + std::to_string(i));
  leases.NoteRemoved(names, 2);
  ASSERT_EQ(sent_.size(), 3u);
  size_t total = 0;
  for (const Sent& s : sent_) total += static_cast<size_t>(s.names.names_size());
  EXPECT_EQ(total, 450u);
}

// After a restart every removal goes, for one term, to each client that held leases before,
// whatever the directory; then those that did not come back are named to be forgotten.
TEST_F(NameLeasesTest, AfterARestartTheClientsFromBeforeAreToldOfEveryRemovalForATerm) {
  NameLeases leases = Make(30s);
  leases.StartGrace({{1, "old-1"}, {2, "old-2"}, {3, "old-3"}}, Clock::now() + 100ms);
  EXPECT_EQ(leases.grace_clients(), 3u);
  // Client 2 comes back (recorded again, a lease on 10) from a new address.
  leases.MarkRecorded(2);
  leases.Grant(10, 2, "new-2");
  leases.NoteRemoved({{10, "x"}, {99, "y"}}, /*changer=*/3);
  ASSERT_EQ(sent_.size(), 2u);
  EXPECT_EQ(sent_[0].client, 1u);
  EXPECT_EQ(sent_[0].address, "old-1");
  EXPECT_EQ(Names(sent_[0]), (std::vector<std::string>{"10/x", "99/y"}));
  EXPECT_EQ(sent_[1].client, 2u);
  EXPECT_EQ(sent_[1].address, "new-2");
  EXPECT_EQ(Names(sent_[1]), (std::vector<std::string>{"10/x", "99/y"})) << "once each";
  std::this_thread::sleep_for(150ms);
  sent_.clear();
  leases.NoteRemoved({{99, "z"}}, 3);
  EXPECT_TRUE(sent_.empty()) << "the grace is over";
  std::vector<uint64_t> gone = leases.EndGrace();
  std::sort(gone.begin(), gone.end());
  EXPECT_EQ(gone, (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(leases.grace_clients(), 0u);
}

// The MDT keeps the lease clients across a reopen, and forgets those named.
TEST(LeaseClientsTest, KeptInTheMdtAcrossAReopen) {
  test::TempDir dir;
  {
    test::MdtHarness h(test::RocksStore::Make(dir.path()));
    ASSERT_TRUE(h.mdt().RecordLeaseClient(7, "addr-7").ok());
    ASSERT_TRUE(h.mdt().RecordLeaseClient(9, "addr-9").ok());
    ASSERT_TRUE(h.mdt().RecordLeaseClient(7, "addr-7b").ok());  // a newer address replaces
  }
  auto store = RocksMdtStore::Open(dir.path() + "/mdt", RocksMdtStore::OpenMode::kExisting);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  RoundRobinOstAllocator allocator;
  auto mdt = Mdt::Open(std::move(store).value(), &allocator, MdtOptions());
  ASSERT_TRUE(mdt.ok()) << mdt.status().ToString();
  auto clients = (*mdt)->LeaseClients();
  ASSERT_TRUE(clients.ok()) << clients.status().ToString();
  EXPECT_EQ(*clients,
            (std::vector<std::pair<uint64_t, std::string>>{{7, "addr-7b"}, {9, "addr-9"}}));
  ASSERT_TRUE((*mdt)->ForgetLeaseClients({7}).ok());
  clients = (*mdt)->LeaseClients();
  ASSERT_TRUE(clients.ok());
  EXPECT_EQ(*clients, (std::vector<std::pair<uint64_t, std::string>>{{9, "addr-9"}}));
}

}  // namespace
}  // namespace weft::mds
