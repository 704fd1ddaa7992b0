// Declaring an RPC service once.
//
// A service is one list of methods: (id, name, request type, response type, kind), where kind
// is kMutating (changes state: resends are answered from the reply record) or kReadOnly.
//
//   #define WEFT_ECHO_METHODS(M)                                  (continued lines)
//     M(1, Echo, test::EchoRequest, test::EchoReply, kReadOnly)
//     M(2, Bump, test::BumpRequest, test::BumpReply, kMutating)
//   WEFT_RPC_SERVICE(EchoService, 7, "echo", WEFT_ECHO_METHODS)
//
// From that list follow, inside struct EchoService:
//   - enum class Method with each id, and MethodName(id);
//   - class Handler: one pure virtual coroutine per method,
//       Task<Result<Reply>> Echo(rpc::ServerCall& call, const Request& request);
//   - Table(Handler*): the ServiceTable that RpcServer::AddService dispatches from;
//   - class Stub: one call per method,
//       Task<Result<Reply>> Echo(const Request& request, rpc::CallOptions options = {});
#pragma once

#include <string>
#include <string_view>

#include "common/rpc_client.h"
#include "common/rpc_server.h"

namespace weft::rpc {

enum MethodKind : bool { kReadOnly = false, kMutating = true };

// Decodes the request, runs the handler's member function, encodes the reply.
template <typename Handler, typename Request, typename Reply,
          Task<Result<Reply>> (Handler::*Fn)(ServerCall&, const Request&)>
Task<Result<std::string>> InvokeMethod(Handler* handler, ServerCall& call,
                                       std::string_view body) {
  Request request;
  if (!request.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    co_return Status(StatusCode::kRpcBadMessage,
                     "request body does not parse as " + request.GetTypeName());
  }
  Result<Reply> reply = co_await (handler->*Fn)(call, request);
  if (!reply.ok()) co_return reply.status();
  co_return reply->SerializeAsString();
}

}  // namespace weft::rpc

#define WEFT_RPC_ENUM_(id, name, req, resp, kind) name = id,
#define WEFT_RPC_NAME_(id, name, req, resp, kind) \
  case id:                                        \
    return #name;
#define WEFT_RPC_HANDLER_(id, name, req, resp, kind)                            \
  virtual ::weft::Task<::weft::Result<resp>> name(::weft::rpc::ServerCall& call, \
                                                  const req& request) = 0;
#define WEFT_RPC_TABLE_(id, name, req, resp, kind)                                              \
  table.methods[id] = ::weft::rpc::MethodEntry{                                                 \
      #name, ::weft::rpc::kind,                                                                 \
      [h](::weft::rpc::ServerCall& call, std::string_view body) {                               \
        return ::weft::rpc::InvokeMethod<Handler, req, resp, &Handler::name>(h, call, body);    \
      }};
#define WEFT_RPC_STUB_(id, name, req, resp, kind)                                           \
  ::weft::Task<::weft::Result<resp>> name(const req& request,                               \
                                          ::weft::rpc::CallOptions options = {}) {          \
    return client_->Call<resp>(peer_, kId, id, request, options);                           \
  }

#define WEFT_RPC_SERVICE(Service, service_id, service_name, METHODS)         \
  struct Service {                                                           \
    static constexpr uint16_t kId = service_id;                              \
    static constexpr const char* kName = service_name;                       \
    enum class Method : uint16_t { METHODS(WEFT_RPC_ENUM_) };                \
    static const char* MethodName(uint16_t id) {                             \
      switch (id) { METHODS(WEFT_RPC_NAME_) }                                \
      return "unknown";                                                      \
    }                                                                        \
    class Handler {                                                          \
     public:                                                                 \
      virtual ~Handler() = default;                                          \
      METHODS(WEFT_RPC_HANDLER_)                                             \
    };                                                                       \
    static ::weft::rpc::ServiceTable Table(Handler* h) {                     \
      ::weft::rpc::ServiceTable table;                                       \
      table.id = kId;                                                        \
      table.name = kName;                                                    \
      METHODS(WEFT_RPC_TABLE_)                                               \
      return table;                                                          \
    }                                                                        \
    class Stub {                                                             \
     public:                                                                 \
      Stub(::weft::rpc::RpcClient* client, ::weft::rpc::PeerId peer)         \
          : client_(client), peer_(peer) {}                                  \
      METHODS(WEFT_RPC_STUB_)                                                \
                                                                             \
     private:                                                                \
      ::weft::rpc::RpcClient* client_;                                       \
      ::weft::rpc::PeerId peer_;                                             \
    };                                                                       \
  }
