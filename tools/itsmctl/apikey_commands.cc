// itsmctl apikey: the gateway's API keys (admin only; docs/security.md).
//
//   itsmctl apikey create --name ci-pipeline --roles agent [--description D] [--expires RFC3339]
//   itsmctl apikey list [--all]
//   itsmctl apikey get <id>
//   itsmctl apikey rotate <id> [--grace 24h]      the old secret works for the grace period
//   itsmctl apikey revoke <id>
//
// A secret is printed once, by create and rotate; the gateway keeps only its hash.
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/auth/identity.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/gateway/v1/api_keys.grpc.pb.h"

namespace itsm::ctl {
namespace {

namespace v1 = gateway::v1;

constexpr char kUsage[] =
    "usage: itsmctl apikey create --name N --roles R[,R] [--description D] [--expires RFC3339]"
    " | list [--all] | get <id> | history <id> | rotate <id> [--grace 24h] | revoke <id>";

std::string RolesOf(const v1::ApiKey& key) {
  std::vector<std::string> names;
  for (int role : key.roles()) names.push_back(auth::RoleName(static_cast<auth::Role>(role)));
  return absl::StrJoin(names, ",");
}

// Expiry is not a state the server stores: a key past its expire_time is refused as revoked
// ones are, and is shown so.
std::string StateOf(const v1::ApiKey& key, absl::Time now) {
  if (key.state() != v1::API_KEY_STATE_ACTIVE) return "revoked";
  if (key.has_expire_time() && base::FromProtoTimestamp(key.expire_time()) <= now) {
    return "expired";
  }
  return "active";
}

void PrintKeys(const std::vector<const v1::ApiKey*>& keys) {
  const absl::Time now = absl::Now();
  std::vector<std::vector<std::string>> rows;
  for (const v1::ApiKey* key : keys) {
    rows.push_back({key->id(), key->name(), key->prefix(), RolesOf(*key), StateOf(*key, now),
                    key->has_expire_time() ? When(key->expire_time()) : "-", key->created_by()});
  }
  PrintTable({"ID", "NAME", "PREFIX", "ROLES", "STATE", "EXPIRES", "CREATED BY"}, rows);
}

// The key as it is now: rotate and revoke need its version.
absl::StatusOr<v1::ApiKey> Current(const Context& ctx, v1::ApiKeyService::Stub& stub,
                                   const std::string& id) {
  v1::GetApiKeyRequest request;
  request.set_id(id);
  v1::GetApiKeyResponse got;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub.GetApiKey(ctx.NewCall().get(), request, &got)));
  return got.api_key();
}

void PrintSecret(const Context& ctx, const google::protobuf::Message& response,
                 const v1::ApiKey& key, const std::string& secret) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return;
  }
  std::printf("%s  %s  (%s)\n\nsecret, shown this once:\n  %s\n", key.id().c_str(),
              key.name().c_str(), RolesOf(key).c_str(), secret.c_str());
}

// "24h", "30m", or whole days, "7d": the grace's limit is said in days (security.md).
absl::StatusOr<absl::Duration> ParseGrace(absl::string_view text) {
  int days = 0;
  absl::Duration grace;
  if (absl::ConsumeSuffix(&text, "d")) {
    if (absl::SimpleAtoi(text, &days) && days >= 0) return absl::Hours(24) * days;
  } else if (absl::ParseDuration(text, &grace) && grace >= absl::ZeroDuration()) {
    return grace;
  }
  return absl::InvalidArgumentError("--grace: expected a duration like 7d, 24h or 30m");
}

}  // namespace

absl::Status RunApiKey(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError(kUsage);
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"all"}));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("gateway"));
  auto stub = v1::ApiKeyService::NewStub(channel);
  const std::string& command = argv[0];
  auto one_id = [&]() -> absl::StatusOr<std::string> {
    if (args.positionals().size() != 1) return absl::InvalidArgumentError(kUsage);
    return args.positionals()[0];
  };

  if (command == "create" || command == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  if (command == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"name", "roles", "description", "expires"}));
    v1::CreateApiKeyRequest request;
    request.set_name(args.Get("name"));
    request.set_description(args.Get("description"));
    for (absl::string_view name : absl::StrSplit(args.Get("roles"), ',', absl::SkipWhitespace())) {
      std::optional<auth::Role> role = auth::RoleFromName(absl::StripAsciiWhitespace(name));
      if (!role)
        return absl::InvalidArgumentError(absl::StrCat("--roles: unknown role \"", name, "\""));
      request.add_roles(*role);
    }
    if (args.Has("expires")) {
      absl::Time t;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, args.Get("expires"), &t, &error)) {
        return absl::InvalidArgumentError(absl::StrCat("--expires: expected RFC 3339: ", error));
      }
      *request.mutable_expire_time() = base::ToProtoTimestamp(t);
    }
    v1::CreateApiKeyResponse created;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateApiKey(ctx.NewCall().get(), request, &created)));
    PrintSecret(ctx, created, created.api_key(), created.secret());
    return absl::OkStatus();
  }
  if (command == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"all"}));
    v1::ListApiKeysRequest request;
    request.set_include_revoked(args.Has("all"));
    request.mutable_page()->set_page_size(500);
    // Every page, gathered into one answer: --output json prints one ListApiKeysResponse.
    v1::ListApiKeysResponse all;
    do {
      v1::ListApiKeysResponse page;
      ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListApiKeys(ctx.NewCall().get(), request, &page)));
      for (auto& key : *page.mutable_api_keys()) *all.add_api_keys() = std::move(key);
      request.mutable_page()->set_page_token(page.next_page_token());
    } while (!request.page().page_token().empty());
    if (ctx.globals().json) {
      std::printf("%s", ToJson(all).c_str());
      return absl::OkStatus();
    }
    std::vector<const v1::ApiKey*> shown;
    for (const auto& key : all.api_keys()) shown.push_back(&key);
    PrintKeys(shown);
    return absl::OkStatus();
  }
  if (command == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(std::string id, one_id());
    ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, Current(ctx, *stub, id));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(key).c_str());
      return absl::OkStatus();
    }
    PrintKeys({&key});
    return absl::OkStatus();
  }
  if (command == "history") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(std::string id, one_id());
    v1::GetApiKeyHistoryRequest request;
    request.set_id(id);
    request.mutable_page()->set_page_size(1000);
    v1::GetApiKeyHistoryResponse history;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetApiKeyHistory(ctx.NewCall().get(), request, &history)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(history).c_str());
    } else {
      PrintAuditTrail(history.entries());
    }
    return absl::OkStatus();
  }
  if (command == "rotate") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"grace"}));
    ITSM_ASSIGN_OR_RETURN(std::string id, one_id());
    ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, Current(ctx, *stub, id));
    v1::RotateApiKeyRequest request;
    request.set_id(key.id());
    request.set_version(key.version());
    if (args.Has("grace")) {
      ITSM_ASSIGN_OR_RETURN(absl::Duration grace, ParseGrace(args.Get("grace")));
      *request.mutable_grace_period() = base::ToProtoDuration(grace);
    }
    v1::RotateApiKeyResponse rotated;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->RotateApiKey(ctx.NewCall().get(), request, &rotated)));
    PrintSecret(ctx, rotated, rotated.api_key(), rotated.secret());
    return absl::OkStatus();
  }
  if (command == "revoke") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(std::string id, one_id());
    ITSM_ASSIGN_OR_RETURN(v1::ApiKey key, Current(ctx, *stub, id));
    v1::RevokeApiKeyRequest request;
    request.set_id(key.id());
    request.set_version(key.version());
    v1::RevokeApiKeyResponse revoked;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->RevokeApiKey(ctx.NewCall().get(), request, &revoked)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(revoked).c_str());
      return absl::OkStatus();
    }
    PrintKeys({&revoked.api_key()});
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown apikey command \"", command, "\"; ", kUsage));
}

}  // namespace itsm::ctl
