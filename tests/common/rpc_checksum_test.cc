// crc32c over payloads: a bit flipped in flight (the endpoints' test-only fault injection) is
// caught by the receiver and the transfer retried; a corruption that persists fails the call
// with kRpcBulkChecksum, and the server goes on serving.
#include <gtest/gtest.h>

#include <vector>

#include "rpc_test_service.h"

namespace weft::test {
namespace {

// A server whose endpoint flips bits when told to, and a client whose endpoint does too.
class RpcChecksumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RunOn(server_thread_.loop(), [this]() -> Task<void> {
      rpc::RpcServer::Options o;
      o.faults = &server_faults_;
      auto s = rpc::RpcServer::Start(server_thread_.loop(), o);
      EXPECT_TRUE(s.ok()) << s.status().ToString();
      if (!s.ok()) co_return;
      server_ = std::move(s).value();
      server_->AddService(TestService::Table(&handler_));
    }());
    ASSERT_NE(server_, nullptr);
    rpc::RpcClient::Options co;
    co.faults = &client_faults_;
    client_ = std::make_unique<TestClient>(server_->port(), co);
  }
  void TearDown() override {
    client_.reset();
    RunOn(server_thread_.loop(), [this]() -> Task<void> {
      co_await server_->Shutdown();
      server_.reset();
    }());
  }

  Result<PayloadReply> Put(const std::vector<char>& data) {
    return client_->Run([](TestClient* c,
                           const std::vector<char>* data) -> Task<Result<PayloadReply>> {
      rpc::CallOptions o;
      o.send_payload = *data;
      co_return co_await c->stub().Put(PayloadRequest(), o);
    }(client_.get(), &data));
  }
  // Reads `size` pattern bytes into `in`.
  Result<PayloadReply> Get(size_t size, std::vector<char>* in, size_t* received) {
    in->assign(size, 0);
    return client_->Run([](TestClient* c, std::vector<char>* in,
                           size_t* received) -> Task<Result<PayloadReply>> {
      PayloadRequest req;
      req.set_size(in->size());
      req.set_seed(7);
      rpc::CallOptions o;
      o.recv_payload = *in;
      o.received = received;
      co_return co_await c->stub().Get(req, o);
    }(client_.get(), in, received));
  }
  static std::vector<char> Data(size_t size) {
    std::vector<char> v(size);
    Fill(v.data(), size, 7);
    return v;
  }
  // The server answers a clean call after whatever went before.
  void ExpectServerServes() {
    std::vector<char> data = Data(1 << 20);
    auto r = Put(data);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->hash(), Hash(data.data(), data.size()));
  }

  rpc::FaultInjection server_faults_;
  rpc::FaultInjection client_faults_;
  LoopThread server_thread_;
  TestHandler handler_{server_thread_.loop()};
  std::unique_ptr<rpc::RpcServer> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(RpcChecksumTest, CorruptBulkWriteIsPulledAgain) {
  std::vector<char> data = Data(1 << 20);
  server_faults_.flip_rma_read = 1;
  auto r = Put(data);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->hash(), Hash(data.data(), data.size())) << "the handler saw corrupted data";
  EXPECT_EQ(server_faults_.flipped.load(), 1);
  EXPECT_EQ(server_->stats().checksum_errors, 1u);
}

TEST_F(RpcChecksumTest, PersistentBulkWriteCorruptionFailsTheCall) {
  server_faults_.flip_rma_read = 1000;
  auto r = Put(Data(1 << 20));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRpcBulkChecksum) << r.status().ToString();
  EXPECT_NE(r.status().message().find("crc32c"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(server_->stats().checksum_errors, 4u);  // the first pull and three more
  server_faults_.flip_rma_read = 0;
  ExpectServerServes();
}

TEST_F(RpcChecksumTest, CorruptBulkReadIsAskedForAgain) {
  server_faults_.flip_rma_write = 1;
  std::vector<char> in;
  size_t received = 0;
  auto r = Get(1 << 20, &in, &received);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(received, in.size());
  EXPECT_TRUE(in == Data(1 << 20)) << "the caller got corrupted data";
  EXPECT_EQ(server_faults_.flipped.load(), 1);
  EXPECT_EQ(client_->client().stats().checksum_errors, 1u);
  EXPECT_EQ(client_->client().stats().checksum_resends, 1u);
}

TEST_F(RpcChecksumTest, PersistentBulkReadCorruptionFailsTheCall) {
  server_faults_.flip_rma_write = 1000;
  std::vector<char> in;
  size_t received = 99;
  auto r = Get(1 << 20, &in, &received);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRpcBulkChecksum) << r.status().ToString();
  EXPECT_EQ(received, 0u);
  EXPECT_EQ(client_->client().stats().checksum_errors, 4u);
  server_faults_.flip_rma_write = 0;
  ExpectServerServes();
}

TEST_F(RpcChecksumTest, CorruptInlinePayloadsAreSentAgain) {
  // Request: the server refuses the payload, the client sends it again.
  std::vector<char> data = Data(4096);
  server_faults_.flip_inline = 1;
  auto put = Put(data);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->hash(), Hash(data.data(), data.size()));
  EXPECT_EQ(server_->stats().checksum_errors, 1u);
  // Reply: the client asks again.
  client_faults_.flip_inline = 1;
  std::vector<char> in;
  size_t received = 0;
  auto get = Get(4096, &in, &received);
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  EXPECT_TRUE(in == data);
  EXPECT_EQ(client_->client().stats().checksum_errors, 2u);  // the refused request, this reply
  // Persistent: the call fails, the server serves on.
  server_faults_.flip_inline = 1000;
  put = Put(data);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), StatusCode::kRpcBulkChecksum) << put.status().ToString();
  server_faults_.flip_inline = 0;
  ExpectServerServes();
}

// Without checksums the same fault goes through unnoticed: the check is what catches it.
TEST_F(RpcChecksumTest, WithChecksumsOffCorruptionGoesUnnoticed) {
  rpc::RpcClient::Options co;
  co.checksums = false;
  client_ = std::make_unique<TestClient>(server_->port(), co);
  std::vector<char> data = Data(1 << 20);
  server_faults_.flip_rma_read = 1;
  auto r = Put(data);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(r->hash(), Hash(data.data(), data.size()));
  EXPECT_EQ(server_faults_.flipped.load(), 1);
  EXPECT_EQ(server_->stats().checksum_errors, 0u);
}

}  // namespace
}  // namespace weft::test
