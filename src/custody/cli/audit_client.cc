#include "custody/cli/audit_client.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"

namespace custody::cli {
namespace {

using nlohmann::json;

// A bound on pages, in case a server never finishes a list: 10,000 pages of 1000 records.
// NOTE: a log of more than 10 million records cannot be exported until this grows.
constexpr int kMaxPages = 10000;

Status UnexpectedResponse(const std::string& problem) {
  return Internal("unexpected response from the Custody server's audit API: " + problem);
}

Result<json> ParseObject(const std::string& body) {
  json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) {
    return UnexpectedResponse("the body is not a JSON object");
  }
  return document;
}

Result<std::string> RequiredString(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return UnexpectedResponse(std::string("missing string \"") + key + "\"");
  }
  return it->get<std::string>();
}

Result<uint64_t> RequiredCount(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return UnexpectedResponse(std::string("missing unsigned integer \"") + key + "\"");
  }
  return it->get<uint64_t>();
}

Result<AuditCheckpoint> ParseCheckpointObject(const json& object) {
  if (!object.is_object()) {
    return UnexpectedResponse("a checkpoint is not a JSON object");
  }
  AuditCheckpoint checkpoint;
  CUSTODY_ASSIGN_OR_RETURN(checkpoint.origin, RequiredString(object, "origin"));
  CUSTODY_ASSIGN_OR_RETURN(checkpoint.tree_size, RequiredCount(object, "tree_size"));
  CUSTODY_ASSIGN_OR_RETURN(checkpoint.signed_note, RequiredString(object, "signed_note"));
  const auto created_at = object.find("created_at");
  if (created_at != object.end() && created_at->is_string()) {
    checkpoint.created_at = created_at->get<std::string>();
  }
  return checkpoint;
}

}  // namespace

Result<AuditCheckpoint> AuditClient::GetCheckpoint(std::optional<uint64_t> tree_size) {
  std::string path = "/audit/checkpoint";
  if (tree_size) {
    path += "?tree_size=" + std::to_string(*tree_size);
  }
  CUSTODY_ASSIGN_OR_RETURN(const std::string body, api_.Request("GET", path));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  return ParseCheckpointObject(document);
}

Result<std::vector<AuditCheckpoint>> AuditClient::ListCheckpoints(uint64_t after_size, int limit) {
  CUSTODY_ASSIGN_OR_RETURN(
      const std::string body,
      api_.Request("GET", "/audit/checkpoints?after_size=" + std::to_string(after_size) +
                              "&limit=" + std::to_string(limit)));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  const auto items = document.find("items");
  if (items == document.end() || !items->is_array()) {
    return UnexpectedResponse("the checkpoint list has no \"items\" array");
  }
  std::vector<AuditCheckpoint> checkpoints;
  for (const json& item : *items) {
    CUSTODY_ASSIGN_OR_RETURN(AuditCheckpoint checkpoint, ParseCheckpointObject(item));
    checkpoints.push_back(std::move(checkpoint));
  }
  return checkpoints;
}

Result<std::vector<audit::ExportEntry>> AuditClient::ListEntries(uint64_t start, int limit,
                                                                 uint64_t* tree_size) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body,
                           api_.Request("GET", "/audit/entries?start=" + std::to_string(start) +
                                                   "&limit=" + std::to_string(limit)));
  Result<std::vector<audit::ExportEntry>> entries = audit::ParseEntriesPage(body, tree_size);
  if (!entries.ok()) {
    return UnexpectedResponse(entries.status().message());
  }
  return entries;
}

Result<std::vector<std::string>> AuditClient::GetConsistencyProof(uint64_t from, uint64_t to) {
  CUSTODY_ASSIGN_OR_RETURN(
      const std::string body,
      api_.Request("GET", "/audit/proofs/consistency?from=" + std::to_string(from) +
                              "&to=" + std::to_string(to)));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  const auto proof = document.find("proof");
  if (proof == document.end() || !proof->is_array()) {
    return UnexpectedResponse("the consistency proof has no \"proof\" array");
  }
  std::vector<std::string> hashes;
  for (const json& element : *proof) {
    std::optional<std::string> bytes;
    if (element.is_string()) {
      bytes = crypto::Base64Decode(element.get<std::string>());
    }
    if (!bytes) {
      return UnexpectedResponse("a consistency proof element is not base64");
    }
    hashes.push_back(std::move(*bytes));
  }
  return hashes;
}

Result<std::vector<audit::ExportVerifierKey>> AuditClient::ListVerifierKeys(std::string* origin) {
  CUSTODY_ASSIGN_OR_RETURN(const std::string body, api_.Request("GET", "/audit/verifier-keys"));
  CUSTODY_ASSIGN_OR_RETURN(const json document, ParseObject(body));
  CUSTODY_ASSIGN_OR_RETURN(*origin, RequiredString(document, "origin"));
  const auto keys = document.find("keys");
  if (keys == document.end() || !keys->is_array()) {
    return UnexpectedResponse("the verifier key list has no \"keys\" array");
  }
  std::vector<audit::ExportVerifierKey> parsed;
  for (const json& key : *keys) {
    if (!key.is_object()) {
      return UnexpectedResponse("a verifier key is not a JSON object");
    }
    audit::ExportVerifierKey entry;
    CUSTODY_ASSIGN_OR_RETURN(entry.verifier_key, RequiredString(key, "verifier_key"));
    const auto status = key.find("status");
    if (status != key.end() && status->is_string()) {
      entry.status = status->get<std::string>();
    }
    parsed.push_back(std::move(entry));
  }
  return parsed;
}

Result<audit::ExportBundle> AuditClient::FetchExport() {
  CUSTODY_ASSIGN_OR_RETURN(const AuditCheckpoint latest, GetCheckpoint());
  const uint64_t size = latest.tree_size;

  audit::ExportBundle bundle;
  bundle.origin = latest.origin;
  std::string keys_origin;
  CUSTODY_ASSIGN_OR_RETURN(bundle.verifier_keys, ListVerifierKeys(&keys_origin));
  if (keys_origin != bundle.origin) {
    return UnexpectedResponse("the verifier keys are for log \"" + keys_origin +
                              "\" but the checkpoint is of \"" + bundle.origin + "\"");
  }

  uint64_t after_size = 0;
  for (int page = 0; page < kMaxPages && after_size < size; ++page) {
    CUSTODY_ASSIGN_OR_RETURN(const std::vector<AuditCheckpoint> checkpoints,
                             ListCheckpoints(after_size, kPageLimit));
    if (checkpoints.empty()) {
      break;
    }
    for (const AuditCheckpoint& checkpoint : checkpoints) {
      if (checkpoint.tree_size <= after_size) {
        return UnexpectedResponse("the checkpoint list is not ordered by size");
      }
      after_size = checkpoint.tree_size;
      if (checkpoint.tree_size <= size) {
        bundle.checkpoints.push_back(checkpoint.signed_note);
      }
    }
  }
  // The list may lag behind the latest checkpoint; the bundle must end with it.
  if (bundle.checkpoints.empty() || bundle.checkpoints.back() != latest.signed_note) {
    bundle.checkpoints.push_back(latest.signed_note);
  }

  bundle.entries.reserve(size);
  for (int page = 0; page < kMaxPages && bundle.entries.size() < size; ++page) {
    const uint64_t start = bundle.entries.size();
    const int limit = static_cast<int>(std::min<uint64_t>(kPageLimit, size - start));
    uint64_t server_size = 0;
    CUSTODY_ASSIGN_OR_RETURN(std::vector<audit::ExportEntry> entries,
                             ListEntries(start, limit, &server_size));
    if (entries.empty()) {
      return UnexpectedResponse("no records from seq " + std::to_string(start) +
                                " although the latest checkpoint covers " + std::to_string(size));
    }
    for (audit::ExportEntry& entry : entries) {
      if (bundle.entries.size() == size) {
        break;
      }
      bundle.entries.push_back(std::move(entry));
    }
  }
  if (bundle.entries.size() < size) {
    return UnexpectedResponse("the records did not end after " + std::to_string(kMaxPages) +
                              " pages");
  }
  return bundle;
}

}  // namespace custody::cli
