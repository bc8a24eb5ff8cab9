#include "gateway_bridge.h"

#include <stdlib.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/async_generic_service.h"
#include "itsm/auth/access_policy.h"
#include "itsm/httpclient/http_client.h"
#include "services/gateway/src/rest_request.h"
#include "services/gateway/src/route_table.h"

namespace itsm::ctl {
namespace {

using google::protobuf::Message;

// "/itsm.incident.v1.IncidentService/GetIncident" -> its descriptor.
const google::protobuf::MethodDescriptor* MethodOf(const std::string& grpc_name) {
  std::string name = grpc_name.substr(grpc_name.empty() ? 0 : 1);
  absl::StrReplaceAll({{"/", "."}}, &name);
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

// The code of an HTTP error answer that carries no google.rpc.Status (a proxy's page).
grpc::StatusCode CodeOfHttpStatus(int status) {
  switch (status) {
    case 400:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::NOT_FOUND;
    case 409:
      return grpc::StatusCode::ABORTED;
    case 429:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case 501:
      return grpc::StatusCode::UNIMPLEMENTED;
    case 502:
    case 503:
      return grpc::StatusCode::UNAVAILABLE;
    case 504:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    default:
      return grpc::StatusCode::UNKNOWN;
  }
}

grpc::Status FromAbsl(const absl::Status& status) {
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace

// Turns one gRPC call into one REST exchange with the gateway.
class GatewayBridge::Forwarder : public grpc::CallbackGenericService {
 public:
  Forwarder(GatewayBridge::Options options, gateway::RouteTable routes,
            std::unique_ptr<httpclient::HttpClient> http)
      : options_(std::move(options)), routes_(std::move(routes)), http_(std::move(http)) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new Call(ctx, *this);
  }

  // The answer to `request_bytes` for `grpc_method`, or why there is none.
  grpc::Status Forward(const std::string& grpc_method, const std::string& authorization,
                       const std::string& request_bytes, std::string& response_bytes) {
    const google::protobuf::MethodDescriptor* method = MethodOf(grpc_method);
    const gateway::Route* route = method == nullptr ? nullptr : routes_.PrimaryRouteOf(*method);
    if (route == nullptr) {
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          absl::StrCat(grpc_method.substr(1),
                                       " is not served through the gateway: call the service "
                                       "directly (without --gateway)"));
    }
    std::unique_ptr<Message> request = NewMessage(method->input_type());
    if (!request->ParseFromString(request_bytes)) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "the request could not be read");
    }
    absl::StatusOr<gateway::RestRequest> rest = gateway::RestRequestFor(*route, *request);
    if (!rest.ok()) return FromAbsl(rest.status());
    httpclient::HttpRequest http{.method = rest->http_method, .target = rest->target};
    http.body = rest->body;
    http.headers.emplace_back("Accept", "application/json");
    if (!options_.api_key.empty()) {
      http.headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.api_key));
    } else if (!authorization.empty()) {
      http.headers.emplace_back("Authorization", authorization);
    }
    absl::StatusOr<httpclient::HttpResponse> answer = http_->Send(http);
    if (!answer.ok()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("the gateway: ", answer.status().message()));
    }
    if (answer->status >= 200 && answer->status < 300) {
      std::unique_ptr<Message> response = NewMessage(method->output_type());
      google::protobuf::util::JsonParseOptions lenient;
      lenient.ignore_unknown_fields = true;  // a newer gateway may answer with more
      if (!google::protobuf::util::JsonStringToMessage(answer->body, response.get(), lenient)
               .ok()) {
        return grpc::Status(
            grpc::StatusCode::INTERNAL,
            absl::StrCat("the gateway's answer is not a ", method->output_type()->full_name()));
      }
      response_bytes = response->SerializeAsString();
      return grpc::Status::OK;
    }
    google::rpc::Status error;
    google::protobuf::util::JsonParseOptions lenient;
    lenient.ignore_unknown_fields = true;
    if (google::protobuf::util::JsonStringToMessage(answer->body, &error, lenient).ok() &&
        error.code() != 0) {
      return grpc::Status(static_cast<grpc::StatusCode>(error.code()), error.message(),
                          error.SerializeAsString());
    }
    return grpc::Status(CodeOfHttpStatus(answer->status),
                        absl::StrCat("the gateway answered HTTP ", answer->status, ": ",
                                     answer->body.substr(0, 200)));
  }

 private:
  // One unary call: read the request, forward it on a thread of its own (an HTTP exchange must
  // not hold gRPC's callback threads), answer.
  class Call : public grpc::ServerGenericBidiReactor {
   public:
    Call(grpc::GenericCallbackServerContext* ctx, Forwarder& forwarder)
        : ctx_(ctx), forwarder_(forwarder) {
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INTERNAL, "no request"));
        return;
      }
      std::string authorization;
      auto found = ctx_->client_metadata().find("authorization");
      if (found != ctx_->client_metadata().end()) {
        authorization.assign(found->second.data(), found->second.size());
      }
      std::thread([this, authorization] {
        std::string bytes;
        grpc::Status status =
            forwarder_.Forward(ctx_->method(), authorization, Flatten(request_), bytes);
        if (!status.ok()) {
          Finish(status);
          return;
        }
        grpc::Slice slice(bytes);
        response_ = grpc::ByteBuffer(&slice, 1);
        StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
      }).detach();
    }
    void OnDone() override { delete this; }

   private:
    grpc::GenericCallbackServerContext* ctx_;
    Forwarder& forwarder_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };

  const GatewayBridge::Options options_;
  const gateway::RouteTable routes_;
  std::unique_ptr<httpclient::HttpClient> http_;
};

absl::StatusOr<std::unique_ptr<GatewayBridge>> GatewayBridge::Start(Options options) {
  absl::StatusOr<httpclient::HttpUrl> url = httpclient::HttpUrl::Parse(options.url);
  if (!url.ok())
    return absl::InvalidArgumentError(absl::StrCat("--gateway: ", url.status().message()));
  absl::StatusOr<std::unique_ptr<httpclient::HttpClient>> http = httpclient::HttpClient::Create(
      *url, {.ca_file = options.ca_file, .timeout = options.timeout});
  if (!http.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--gateway-ca: ", http.status().message()));
  }
  absl::StatusOr<gateway::RouteTable> routes =
      gateway::RouteTable::Build(auth::LinkedServices("itsm."));
  if (!routes.ok()) return routes.status();

  std::unique_ptr<GatewayBridge> bridge(new GatewayBridge());
  bridge->forwarder_ =
      std::make_unique<Forwarder>(std::move(options), *std::move(routes), *std::move(http));
  // A Unix socket in a directory only this user can enter: a loopback port would let any local
  // user make calls carrying the API key while itsmctl runs.
  std::string dir = "/tmp/itsmctl-gateway-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("cannot make a private directory in /tmp for the gateway bridge");
  }
  bridge->socket_dir_ = dir;
  const std::string address = absl::StrCat("unix:", dir, "/grpc.sock");
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterCallbackGenericService(bridge->forwarder_.get());
  bridge->server_ = builder.BuildAndStart();
  if (bridge->server_ == nullptr) {
    return absl::InternalError(absl::StrCat("cannot listen on ", address));
  }
  bridge->channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return bridge;
}

GatewayBridge::~GatewayBridge() {
  if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now());
  if (!socket_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(socket_dir_, ignored);
  }
}

}  // namespace itsm::ctl
