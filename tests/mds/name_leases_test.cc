// The MDS's name leases (src/mds/service/name_leases.h): who is told of a removed name, and
// for how long.
#include "mds/service/name_leases.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

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

}  // namespace
}  // namespace weft::mds
