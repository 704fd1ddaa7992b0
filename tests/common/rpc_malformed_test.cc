// Hostile and broken messages: each is refused and counted, answered with an error where the
// sender can be named, and the server goes on answering good clients.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "common/fabric.h"
#include "common/rpc_wire.h"
#include "rpc_test_service.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// Sends raw bytes to the server through a bare fabric endpoint and collects what comes back.
class RawSender {
 public:
  explicit RawSender(uint16_t port) {
    RunOn(thread_.loop(), [&]() -> Task<void> {
      FabricEndpoint::Options o;
      o.host = "127.0.0.1";
      auto ep = FabricEndpoint::Open(thread_.loop(), o);
      EXPECT_TRUE(ep.ok()) << ep.status().ToString();
      if (!ep.ok()) co_return;
      ep_ = std::move(ep).value();
      server_ = *ep_->InsertAddress("127.0.0.1", port);
      recv_.op.on_complete = &RawSender::OnRecv;
      recv_.self = this;
      recv_buf_.resize(1 << 20);
      ep_->PostRecv(&recv_.op, recv_buf_.data(), recv_buf_.size(), nullptr);
    }());
  }
  ~RawSender() {
    RunOn(thread_.loop(), [&]() -> Task<void> {
      ep_.reset();
      co_return;
    }());
  }

  // A well-formed request header with this sender's address.
  std::string Request(uint16_t service, uint16_t method, std::string_view body) {
    rpc::Header h{};
    h.service = service;
    h.method = method;
    h.client_id = 99;
    h.request_id = ++next_id_;
    h.timeout_ms = 1000;
    std::string msg(rpc::MessageSize(ep_->local_name().size(), body.size(), 0), '\0');
    rpc::WriteMessage(h, ep_->local_name(), body, {}, msg.data());
    return msg;
  }
  // Messages framed as one bundle; `lie` is added to the first one's declared length.
  static std::string Bundle(const std::vector<std::string>& messages, int32_t lie = 0) {
    std::string out(sizeof(rpc::Header), '\0');
    for (size_t i = 0; i < messages.size(); ++i) {
      const std::string& m = messages[i];
      auto n = static_cast<uint32_t>(static_cast<int64_t>(m.size()) + (i == 0 ? lie : 0));
      std::string entry(rpc::BundleEntrySize(m.size()), '\0');
      std::memcpy(entry.data(), &n, sizeof(n));
      std::memcpy(entry.data() + rpc::kBundleEntryHeader, m.data(), m.size());
      out += entry;
    }
    rpc::Header h{};
    h.magic = rpc::kMagic;
    h.version = rpc::kVersion;
    h.flags = rpc::kFlagBundle;
    h.payload_len = static_cast<uint32_t>(out.size() - sizeof(rpc::Header));
    std::memcpy(out.data(), &h, sizeof(h));
    return out;
  }
  void Send(std::string bytes) {
    RunOn(thread_.loop(), [&]() -> Task<void> {
      struct SendOp {
        FabricOp op;
        bool done = false;
      } s;
      s.op.on_complete = [](FabricOp* op, int, size_t) {
        reinterpret_cast<SendOp*>(op)->done = true;
      };
      ep_->PostSend(&s.op, server_, bytes.data(), bytes.size(), nullptr);
      while (!s.done) co_await thread_.loop().Sleep(1ms);
    }());
  }
  // The status of the next reply, or nullopt if none comes within `wait`.
  std::optional<int32_t> NextReplyStatus(std::chrono::milliseconds wait) {
    for (auto end = Clock::now() + wait; Clock::now() < end;) {
      {
        std::lock_guard lock(mu_);
        if (!statuses_.empty()) {
          int32_t st = statuses_.front();
          statuses_.pop_front();
          return st;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    return std::nullopt;
  }

 private:
  struct Recv {
    FabricOp op;
    RawSender* self;
  };
  static void OnRecv(FabricOp* op, int err, size_t len) {
    RawSender* self = reinterpret_cast<Recv*>(op)->self;
    std::vector<std::string_view> parts;
    if (err == 0 && !rpc::SplitBundle(self->recv_buf_.data(), len, &parts)) {
      parts.emplace_back(self->recv_buf_.data(), len);
    }
    for (std::string_view m : parts) {
      if (m.size() < sizeof(rpc::Header)) continue;
      rpc::Header h;
      std::memcpy(&h, m.data(), sizeof(h));
      std::lock_guard lock(self->mu_);
      self->statuses_.push_back(h.status);
    }
    if (err != -FI_ECANCELED) {
      self->ep_->PostRecv(op, self->recv_buf_.data(), self->recv_buf_.size(), nullptr);
    }
  }

  LoopThread thread_;
  std::unique_ptr<FabricEndpoint> ep_;
  fi_addr_t server_ = 0;
  Recv recv_{};
  std::vector<char> recv_buf_;
  uint64_t next_id_ = 0;
  std::mutex mu_;
  std::deque<int32_t> statuses_;  // of the replies not yet taken, in order
};

class RpcMalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    raw_ = std::make_unique<RawSender>(server_.port());
    good_ = std::make_unique<TestClient>(server_.port());
  }
  // A good client still gets its answer.
  void ExpectServerStillAnswers() {
    auto r = good_->Run(good_->stub().Echo(EchoRequest()));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  uint64_t Rejected(rpc::Reject why) {
    return server_.stats().rejected[static_cast<size_t>(why)];
  }
  void ExpectRejected(rpc::Reject why) {
    for (int i = 0; i < 100 && Rejected(why) == 0; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(Rejected(why), 1u) << rpc::RejectName(why);
  }

  TestServer server_;
  std::unique_ptr<RawSender> raw_;
  std::unique_ptr<TestClient> good_;
};

TEST_F(RpcMalformedTest, TruncatedHeaderIsDropped) {
  raw_->Send(std::string(10, 'x'));
  ExpectRejected(rpc::Reject::kTruncated);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, BadMagicIsDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "");
  m[0] ^= 0x5a;
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kBadMagic);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, BadVersionIsDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "");
  m[4] = 9;
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kBadVersion);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, LengthsThatLieAreDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "abc");
  m += "trailing junk";  // longer than the header says
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kBadLengths);
  std::string t = raw_->Request(TestService::kId, 1, "abcdef");
  t.resize(t.size() - 3);  // shorter than the header says
  raw_->Send(t);
  ExpectRejected(rpc::Reject::kTruncated);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, UnknownFlagsAreDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "");
  m[6] = static_cast<char>(0x80);
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kBadFlags);
  ExpectServerStillAnswers();
}

// A notification is server to client only: one sent to a server (a request with the notify
// flag, or a reply-and-notify with its sender's address) is refused.
TEST_F(RpcMalformedTest, NotificationsSentToAServerAreDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "");
  m[6] = static_cast<char>(rpc::kFlagNotify);
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kBadFlags);
  std::string n = raw_->Request(TestService::kId, 1, "");
  n[6] = static_cast<char>(rpc::kFlagNotify | rpc::kFlagReply);
  raw_->Send(n);
  ExpectRejected(rpc::Reject::kBadLengths);  // a reply carries no address
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, UnknownServiceAndMethodGetErrorReplies) {
  raw_->Send(raw_->Request(999, 1, ""));
  EXPECT_EQ(raw_->NextReplyStatus(2s), static_cast<int32_t>(StatusCode::kRpcUnknownService));
  raw_->Send(raw_->Request(TestService::kId, 77, ""));
  EXPECT_EQ(raw_->NextReplyStatus(2s), static_cast<int32_t>(StatusCode::kRpcUnknownMethod));
  EXPECT_EQ(Rejected(rpc::Reject::kUnknownService), 1u);
  EXPECT_EQ(Rejected(rpc::Reject::kUnknownMethod), 1u);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, BodyThatDoesNotParseGetsAnErrorReply) {
  raw_->Send(raw_->Request(TestService::kId, 1, std::string("\xff\xff\xff\xff\x0f", 5)));
  EXPECT_EQ(raw_->NextReplyStatus(2s), static_cast<int32_t>(StatusCode::kRpcBadMessage));
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, OversizedMessageIsDropped) {
  std::string m = raw_->Request(TestService::kId, 1, "");
  m.resize(rpc::kMessageBufferSize + 4096, 'z');
  raw_->Send(m);
  ExpectRejected(rpc::Reject::kOversized);
  ExpectServerStillAnswers();
}

// A bundle's messages are each served or refused on their own.
TEST_F(RpcMalformedTest, EachMessageOfABundleIsServedOrRefusedOnItsOwn) {
  std::string bad = raw_->Request(TestService::kId, 1, "");
  bad[0] ^= 0x5a;
  raw_->Send(
      RawSender::Bundle({raw_->Request(TestService::kId, 1, ""), bad, raw_->Request(999, 1, ""),
                         raw_->Request(TestService::kId, 1, "")}));
  std::vector<int32_t> statuses;
  for (int i = 0; i < 3; ++i) {
    std::optional<int32_t> st = raw_->NextReplyStatus(2s);
    ASSERT_TRUE(st.has_value()) << "reply " << i;
    statuses.push_back(*st);
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses,
            (std::vector<int32_t>{0, 0, static_cast<int32_t>(StatusCode::kRpcUnknownService)}));
  EXPECT_EQ(Rejected(rpc::Reject::kBadMagic), 1u);
  EXPECT_EQ(server_.stats().bundles_received, 1u);
  ExpectServerStillAnswers();
}

// A bundle whose framing lies, an empty one, and one inside another are refused whole; nothing
// in them is served.
TEST_F(RpcMalformedTest, MalformedBundlesAreRefused) {
  std::string good = raw_->Request(TestService::kId, 1, "");
  raw_->Send(RawSender::Bundle({good, good}, /*lie=*/100000));
  ExpectRejected(rpc::Reject::kBadFlags);
  raw_->Send(RawSender::Bundle({good, good}, /*lie=*/-static_cast<int32_t>(good.size())));
  raw_->Send(RawSender::Bundle({}));
  raw_->Send(RawSender::Bundle({RawSender::Bundle({good, good})}));
  for (int i = 0; i < 100 && Rejected(rpc::Reject::kBadFlags) < 4; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(Rejected(rpc::Reject::kBadFlags), 4u);
  EXPECT_EQ(raw_->NextReplyStatus(100ms), std::nullopt);
  EXPECT_EQ(server_.stats().requests, 0u);
  ExpectServerStillAnswers();
}

TEST_F(RpcMalformedTest, AFloodOfGarbageDoesNotWedgeTheServer) {
  for (int i = 0; i < 500; ++i) raw_->Send(std::string(1 + i % 200, static_cast<char>(i)));
  ExpectServerStillAnswers();
  EXPECT_GE(server_.stats().rejected_total(), 500u);
}

}  // namespace
}  // namespace weft::test
