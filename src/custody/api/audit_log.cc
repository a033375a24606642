// /api/v1/audit/...: the caller's organization's audit log as a verifiable Merkle log: signed
// checkpoints, inclusion and consistency proofs, the leaves, and the verifier keys.
// docs/api.md specifies the shapes. Checkpoints, proofs and verifier keys need audit_log.verify
// (auditor on the root entity); the leaves and signing on demand need audit_records.read (admin).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "custody/api/query_params.h"
#include "custody/api/routes.h"
#include "custody/audit/checkpoint_signer.h"
#include "custody/audit/tree_store.h"
#include "custody/crypto/encoding.h"
#include "custody/http/json.h"

namespace custody::api {
namespace {

using authz::Action;

constexpr int kDefaultEntriesLimit = 1000;
constexpr int kDefaultCheckpointsLimit = 1000;

std::string Base64(const audit::Hash& hash) {
  return crypto::Base64Encode(audit::HashBytes(hash));
}

nlohmann::json CheckpointJson(const audit::StoredCheckpoint& checkpoint) {
  nlohmann::json body = nlohmann::json::object();
  body["origin"] = checkpoint.origin;
  body["tree_size"] = checkpoint.tree_size;
  body["root_hash"] = Base64(checkpoint.root);
  body["signed_note"] = checkpoint.signed_note;
  body["created_at"] = FormatRfc3339(checkpoint.created_at);
  return body;
}

nlohmann::json HashListJson(const std::vector<audit::Hash>& hashes) {
  nlohmann::json list = nlohmann::json::array();
  for (const audit::Hash& hash : hashes) {
    list.push_back(Base64(hash));
  }
  return list;
}

std::string LogResource(const RequestContext& context) {
  return "audit_log/" + context.principal.organization_id;
}

Result<uint64_t> LogSize(store::Transaction& tx, const std::string& organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(const audit::CompactRange head, audit::ReadHead(tx, organization_id));
  return head.size();
}

// Runs `operation` after authorizing `action`, in a transaction with the request's record.
template <typename T, typename Operation>
Result<T> Audited(ApiContext& api, const RequestContext& context, std::string_view record_action,
                  Action action, Operation&& operation) {
  evidence::AuditEntry entry{std::string(record_action), LogResource(context), ""};
  return evidence::AuditedWriteReturning<T>(
      api.db, api.clock, context, entry, [&](store::Transaction& tx) -> Result<T> {
        CUSTODY_RETURN_IF_ERROR(evidence::AuthorizeOrganizationAction(tx, context, action, entry));
        return operation(tx);
      });
}

// --- GET /api/v1/audit/checkpoint

struct CheckpointRequest {
  std::optional<uint64_t> tree_size;
};

Result<CheckpointRequest> ParseCheckpointRequest(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"tree_size"}));
  CheckpointRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.tree_size, CountQueryParam(request, "tree_size"));
  return parsed;
}

Result<http::Response> GetCheckpoint(ApiContext& api, const RequestContext& context,
                                     const CheckpointRequest& input) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      audit::StoredCheckpoint checkpoint,
      Audited<audit::StoredCheckpoint>(
          api, context, "audit_log.checkpoint.read", Action::kVerifyAuditLog,
          [&](store::Transaction& tx) -> Result<audit::StoredCheckpoint> {
            std::optional<audit::StoredCheckpoint> found;
            if (input.tree_size.has_value()) {
              CUSTODY_ASSIGN_OR_RETURN(
                  found, audit::CheckpointAtSize(tx, organization_id, *input.tree_size));
            } else {
              CUSTODY_ASSIGN_OR_RETURN(found, audit::LatestCheckpoint(tx, organization_id));
            }
            if (!found.has_value()) {
              return NotFound(input.tree_size.has_value()
                                  ? "no checkpoint was signed for tree_size " +
                                        std::to_string(*input.tree_size)
                                  : std::string("the audit log has no checkpoint yet"));
            }
            return std::move(*found);
          }));
  return http::JsonResponse(200, CheckpointJson(checkpoint));
}

// --- GET /api/v1/audit/proofs/inclusion

struct InclusionRequest {
  uint64_t seq = 0;
  std::optional<uint64_t> tree_size;
};

Result<InclusionRequest> ParseInclusionRequest(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"seq", "tree_size"}));
  InclusionRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.seq, RequiredCountQueryParam(request, "seq"));
  CUSTODY_ASSIGN_OR_RETURN(parsed.tree_size, CountQueryParam(request, "tree_size"));
  return parsed;
}

struct InclusionResult {
  uint64_t tree_size = 0;
  audit::Hash leaf_hash{};
  std::vector<audit::Hash> proof;
};

Result<http::Response> GetInclusionProof(ApiContext& api, const RequestContext& context,
                                         const InclusionRequest& input) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      InclusionResult result,
      Audited<InclusionResult>(
          api, context, "audit_log.proof.read", Action::kVerifyAuditLog,
          [&](store::Transaction& tx) -> Result<InclusionResult> {
            InclusionResult found;
            if (input.tree_size.has_value()) {
              found.tree_size = *input.tree_size;
            } else {
              CUSTODY_ASSIGN_OR_RETURN(std::optional<audit::StoredCheckpoint> latest,
                                       audit::LatestCheckpoint(tx, organization_id));
              if (!latest.has_value()) {
                return NotFound("the audit log has no checkpoint yet; pass tree_size");
              }
              found.tree_size = latest->tree_size;
            }
            CUSTODY_ASSIGN_OR_RETURN(const uint64_t size, LogSize(tx, organization_id));
            if (found.tree_size > size) {
              return InvalidArgument("tree_size " + std::to_string(found.tree_size) +
                                         " is larger than the log (" + std::to_string(size) +
                                         " records)",
                                     "tree_size");
            }
            if (input.seq >= found.tree_size) {
              return InvalidArgument(
                  "seq must be less than tree_size " + std::to_string(found.tree_size), "seq");
            }
            const audit::StoredNodeReader reader(tx, organization_id);
            CUSTODY_ASSIGN_OR_RETURN(found.leaf_hash, reader.Node(0, input.seq));
            CUSTODY_ASSIGN_OR_RETURN(found.proof,
                                     audit::InclusionProof(reader, input.seq, found.tree_size));
            return found;
          }));
  nlohmann::json body = nlohmann::json::object();
  body["seq"] = input.seq;
  body["tree_size"] = result.tree_size;
  body["leaf_hash"] = Base64(result.leaf_hash);
  body["proof"] = HashListJson(result.proof);
  return http::JsonResponse(200, body);
}

// --- GET /api/v1/audit/proofs/consistency

struct ConsistencyRequest {
  uint64_t from = 0;
  uint64_t to = 0;
};

Result<ConsistencyRequest> ParseConsistencyRequest(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"from", "to"}));
  ConsistencyRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.from, RequiredCountQueryParam(request, "from"));
  CUSTODY_ASSIGN_OR_RETURN(parsed.to, RequiredCountQueryParam(request, "to"));
  // Consistency from size 0 proves nothing (merkle.h), so it is rejected like the library does.
  if (parsed.from == 0) {
    return InvalidArgument("from must be at least 1", "from");
  }
  if (parsed.from > parsed.to) {
    return InvalidArgument("from must not be larger than to", "from");
  }
  return parsed;
}

Result<http::Response> GetConsistencyProof(ApiContext& api, const RequestContext& context,
                                           const ConsistencyRequest& input) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      std::vector<audit::Hash> proof,
      Audited<std::vector<audit::Hash>>(
          api, context, "audit_log.proof.read", Action::kVerifyAuditLog,
          [&](store::Transaction& tx) -> Result<std::vector<audit::Hash>> {
            CUSTODY_ASSIGN_OR_RETURN(const uint64_t size, LogSize(tx, organization_id));
            if (input.to > size) {
              return InvalidArgument("to " + std::to_string(input.to) +
                                         " is larger than the log (" + std::to_string(size) +
                                         " records)",
                                     "to");
            }
            return audit::ConsistencyProof(audit::StoredNodeReader(tx, organization_id), input.from,
                                           input.to);
          }));
  nlohmann::json body = nlohmann::json::object();
  body["from"] = input.from;
  body["to"] = input.to;
  body["proof"] = HashListJson(proof);
  return http::JsonResponse(200, body);
}

// --- GET /api/v1/audit/entries

struct EntriesRequest {
  uint64_t start = 0;
  int limit = kDefaultEntriesLimit;
};

Result<EntriesRequest> ParseEntriesRequest(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"start", "limit"}));
  EntriesRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(std::optional<uint64_t> start, CountQueryParam(request, "start"));
  parsed.start = start.value_or(0);
  CUSTODY_ASSIGN_OR_RETURN(
      parsed.limit, LimitQueryParam(request, audit::kMaxEntriesPerRead, kDefaultEntriesLimit));
  return parsed;
}

struct EntriesResult {
  uint64_t tree_size = 0;
  std::vector<audit::LogEntry> entries;
};

Result<http::Response> GetEntries(ApiContext& api, const RequestContext& context,
                                  const EntriesRequest& input) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(
      EntriesResult result,
      Audited<EntriesResult>(
          api, context, "audit_log.entries.read", Action::kReadAuditLog,
          [&](store::Transaction& tx) -> Result<EntriesResult> {
            EntriesResult found;
            CUSTODY_ASSIGN_OR_RETURN(found.tree_size, LogSize(tx, organization_id));
            CUSTODY_ASSIGN_OR_RETURN(
                found.entries, audit::ReadEntries(tx, organization_id, input.start, input.limit));
            return found;
          }));
  nlohmann::json entries = nlohmann::json::array();
  for (const audit::LogEntry& entry : result.entries) {
    nlohmann::json item = nlohmann::json::object();
    item["seq"] = entry.seq;
    item["leaf"] = entry.leaf.has_value() ? nlohmann::json(crypto::Base64Encode(*entry.leaf))
                                          : nlohmann::json(nullptr);
    item["leaf_hash"] = Base64(entry.leaf_hash);
    item["event_class"] = std::string(audit::EventClassName(entry.event_class));
    entries.push_back(std::move(item));
  }
  nlohmann::json body = nlohmann::json::object();
  body["tree_size"] = result.tree_size;
  body["entries"] = std::move(entries);
  return http::JsonResponse(200, body);
}

// --- GET /api/v1/audit/verifier-keys

Result<http::Response> GetVerifierKeys(ApiContext& api, const audit::CheckpointSigner& signer,
                                       const RequestContext& context) {
  CUSTODY_RETURN_IF_ERROR(
      (Audited<bool>(api, context, "audit_log.verifier_keys.read", Action::kVerifyAuditLog,
                     [](store::Transaction&) -> Result<bool> { return true; })
           .status()));
  nlohmann::json keys = nlohmann::json::array();
  bool first = true;
  for (const audit::NoteVerifier& verifier : signer.Verifiers()) {
    nlohmann::json key = nlohmann::json::object();
    key["verifier_key"] = verifier.VerifierKey();
    // The first key is the current one; the others are previous keys still in their overlap.
    key["status"] = first ? "active" : "retired";
    keys.push_back(std::move(key));
    first = false;
  }
  nlohmann::json body = nlohmann::json::object();
  body["origin"] = audit::CheckpointOrigin(signer.origin_host(), context.principal.organization_id);
  body["keys"] = std::move(keys);
  return http::JsonResponse(200, body);
}

// --- POST /api/v1/audit/checkpoints

Result<http::Response> CreateCheckpoint(ApiContext& api, const audit::CheckpointSigner& signer,
                                        const RequestContext& context) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(audit::SignOutcome outcome,
                           Audited<audit::SignOutcome>(
                               api, context, "audit_log.checkpoint.create", Action::kReadAuditLog,
                               [&](store::Transaction& tx) -> Result<audit::SignOutcome> {
                                 return signer.SignLatest(tx, organization_id, api.clock.Now());
                               }));
  return http::JsonResponse(outcome.created ? 201 : 200, CheckpointJson(outcome.checkpoint));
}

// --- GET /api/v1/audit/checkpoints

struct CheckpointListRequest {
  uint64_t after_size = 0;
  int limit = kDefaultCheckpointsLimit;
};

Result<CheckpointListRequest> ParseCheckpointListRequest(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {"after_size", "limit"}));
  CheckpointListRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(std::optional<uint64_t> after_size,
                           CountQueryParam(request, "after_size"));
  parsed.after_size = after_size.value_or(0);
  CUSTODY_ASSIGN_OR_RETURN(parsed.limit, LimitQueryParam(request, audit::kMaxCheckpointsPerRead,
                                                         kDefaultCheckpointsLimit));
  return parsed;
}

Result<http::Response> ListCheckpoints(ApiContext& api, const RequestContext& context,
                                       const CheckpointListRequest& input) {
  const std::string& organization_id = context.principal.organization_id;
  CUSTODY_ASSIGN_OR_RETURN(std::vector<audit::StoredCheckpoint> checkpoints,
                           Audited<std::vector<audit::StoredCheckpoint>>(
                               api, context, "audit_log.checkpoint.list", Action::kReadAuditLog,
                               [&](store::Transaction& tx) {
                                 return audit::ListCheckpoints(tx, organization_id,
                                                               input.after_size, input.limit);
                               }));
  nlohmann::json items = nlohmann::json::array();
  for (const audit::StoredCheckpoint& checkpoint : checkpoints) {
    items.push_back(CheckpointJson(checkpoint));
  }
  nlohmann::json body = nlohmann::json::object();
  body["items"] = std::move(items);
  return http::JsonResponse(200, body);
}

}  // namespace

void RegisterAuditLogRoutes(http::Router& router, ApiContext& api,
                            const audit::CheckpointSigner& signer) {
  router.Add("GET", "/api/v1/audit/checkpoint",
             Serve<CheckpointRequest>(
                 api, {"audit_log.checkpoint.read", ParseCheckpointRequest,
                       [&api](const RequestContext& context, CheckpointRequest& input) {
                         return GetCheckpoint(api, context, input);
                       }}));
  router.Add(
      "GET", "/api/v1/audit/proofs/inclusion",
      Serve<InclusionRequest>(api, {"audit_log.proof.read", ParseInclusionRequest,
                                    [&api](const RequestContext& context, InclusionRequest& input) {
                                      return GetInclusionProof(api, context, input);
                                    }}));
  router.Add("GET", "/api/v1/audit/proofs/consistency",
             Serve<ConsistencyRequest>(
                 api, {"audit_log.proof.read", ParseConsistencyRequest,
                       [&api](const RequestContext& context, ConsistencyRequest& input) {
                         return GetConsistencyProof(api, context, input);
                       }}));
  router.Add(
      "GET", "/api/v1/audit/entries",
      Serve<EntriesRequest>(api, {"audit_log.entries.read", ParseEntriesRequest,
                                  [&api](const RequestContext& context, EntriesRequest& input) {
                                    return GetEntries(api, context, input);
                                  }}));
  router.Add("GET", "/api/v1/audit/verifier-keys",
             Serve<bool>(api, {"audit_log.verifier_keys.read", ParseNoQuery,
                               [&api, &signer](const RequestContext& context, bool&) {
                                 return GetVerifierKeys(api, signer, context);
                               }}));
  router.Add("POST", "/api/v1/audit/checkpoints",
             Serve<bool>(api, {"audit_log.checkpoint.create", ParseNoQueryOrBody,
                               [&api, &signer](const RequestContext& context, bool&) {
                                 return CreateCheckpoint(api, signer, context);
                               }}));
  router.Add("GET", "/api/v1/audit/checkpoints",
             Serve<CheckpointListRequest>(
                 api, {"audit_log.checkpoint.list", ParseCheckpointListRequest,
                       [&api](const RequestContext& context, CheckpointListRequest& input) {
                         return ListCheckpoints(api, context, input);
                       }}));
}

}  // namespace custody::api
