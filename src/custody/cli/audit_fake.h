// A fake of custodyd's audit log API (GET /api/v1/audit/...) for the audit command tests. It
// keeps a real log in memory, signs real checkpoints and builds real consistency proofs, and
// its fields are public so a test can tamper with what it serves.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "custody/audit/checkpoint.h"
#include "custody/audit/merkle.h"
#include "custody/audit/record.h"
#include "custody/audit/verify.h"
#include "custody/aws/fake_transport.h"
#include "custody/cli/test_support.h"
#include "custody/crypto/ed25519.h"
#include "custody/crypto/encoding.h"

namespace custody::cli::testing {

class FakeAuditLog {
 public:
  static constexpr std::string_view kKeyName = "custody.example/audit";
  static constexpr std::string_view kOrigin = "custody.example/audit/org_1";

  FakeAuditLog()
      : signer_(*audit::NoteSigner::Create(kKeyName, crypto::Ed25519PrivateKey::Generate())) {}

  std::string VerifierKey() const { return signer_.Verifier().VerifierKey(); }

  // Appends `count` records of organization org_1.
  void Append(int count) {
    for (int i = 0; i < count; ++i) {
      const uint64_t seq = entries.size();
      audit::Record record;
      record.organization_id = "org_1";
      record.actor = "usr_1";
      record.action = "evidence.version.create";
      record.resource = "evidence/evd_" + std::to_string(seq);
      record.decision = std::string(audit::kDecisionAllow);
      record.request_id = "req_" + std::to_string(seq);
      record.source = "127.0.0.1";
      record.time = FromUnixSeconds(1700000000 + static_cast<int64_t>(seq));
      audit::ExportEntry entry;
      entry.seq = seq;
      entry.leaf = audit::Encode(seq, record);
      entry.leaf_hash = std::string(audit::HashBytes(audit::LeafHash(*entry.leaf)));
      entry.event_class = "access";
      entries.push_back(std::move(entry));
    }
  }

  // Signs a checkpoint of the current records with `signer` (the log's own key by default).
  void Sign(const audit::NoteSigner* signer = nullptr) {
    audit::Checkpoint checkpoint;
    checkpoint.origin = std::string(kOrigin);
    checkpoint.size = entries.size();
    checkpoint.root = Tree(entries.size()).Root();
    checkpoints.push_back(*audit::SignCheckpoint(checkpoint, signer ? *signer : signer_));
  }

  aws::testing::FakeTransport::Handler Handler() {
    return [this](const aws::HttpRequest& request) {
      return Handle(request);
    };
  }

  Result<aws::HttpResponse> Handle(const aws::HttpRequest& request) {
    const std::string target = TargetOf(request.url);
    const std::string path = target.substr(0, target.find('?'));
    calls.push_back(request.method + " " + target);
    if (unavailable_left > 0) {
      --unavailable_left;
      return Unavailable("connecting to custody.example failed: Connection refused");
    }
    if (path == "/api/v1/audit/checkpoint") {
      if (checkpoints.empty()) {
        return ProblemResponse(404, "the log has no checkpoint yet");
      }
      return JsonResponse(200, CheckpointJson(checkpoints.back()).dump());
    }
    if (path == "/api/v1/audit/checkpoints") {
      const uint64_t after = Query(target, "after_size");
      nlohmann::json items = nlohmann::json::array();
      for (const std::string& note : checkpoints) {
        if (SizeOf(note) > after && items.size() < Query(target, "limit")) {
          items.push_back(CheckpointJson(note));
        }
      }
      return JsonResponse(200, nlohmann::json{{"items", items}}.dump());
    }
    if (path == "/api/v1/audit/entries") {
      const uint64_t start = Query(target, "start");
      const uint64_t limit = std::min<uint64_t>(Query(target, "limit"), page_limit);
      nlohmann::json page = nlohmann::json::array();
      for (uint64_t i = start; i < entries.size() && i < start + limit; ++i) {
        const audit::ExportEntry& entry = entries[i];
        nlohmann::json leaf = nullptr;
        if (entry.leaf) {
          leaf = crypto::Base64Encode(*entry.leaf);
        }
        page.push_back({{"seq", entry.seq},
                        {"leaf", leaf},
                        {"leaf_hash", crypto::Base64Encode(entry.leaf_hash)},
                        {"event_class", entry.event_class}});
      }
      return JsonResponse(200,
                          nlohmann::json{{"tree_size", entries.size()}, {"entries", page}}.dump());
    }
    if (path == "/api/v1/audit/proofs/consistency") {
      const uint64_t from = Query(target, "from");
      const uint64_t to = Query(target, "to");
      const audit::InMemoryTree tree = Tree(to);
      Result<std::vector<audit::Hash>> proof = audit::ConsistencyProof(tree, from, to);
      if (!proof.ok()) {
        return ProblemResponse(400, proof.status().message());
      }
      nlohmann::json hashes = nlohmann::json::array();
      for (const audit::Hash& hash : *proof) {
        hashes.push_back(crypto::Base64Encode(audit::HashBytes(hash)));
      }
      return JsonResponse(200,
                          nlohmann::json{{"from", from}, {"to", to}, {"proof", hashes}}.dump());
    }
    if (path == "/api/v1/audit/verifier-keys") {
      nlohmann::json keys = nlohmann::json::array();
      keys.push_back({{"verifier_key", VerifierKey()}, {"status", "active"}});
      return JsonResponse(200, nlohmann::json{{"origin", kOrigin}, {"keys", keys}}.dump());
    }
    return ProblemResponse(404, "no route " + path);
  }

  std::vector<audit::ExportEntry> entries;
  std::vector<std::string> checkpoints;  // signed notes, oldest first
  std::vector<std::string> calls;
  uint64_t page_limit = 1000;  // entries per page at most, below the requested limit
  int unavailable_left = 0;    // requests to fail as unreachable

 private:
  audit::InMemoryTree Tree(uint64_t size) const {
    audit::InMemoryTree tree;
    for (uint64_t i = 0; i < size && i < entries.size(); ++i) {
      tree.Append(*audit::HashFromBytes(entries[i].leaf_hash));
    }
    return tree;
  }

  static uint64_t SizeOf(const std::string& note) {
    return audit::ParseCheckpoint(audit::ParseSignedNote(note)->text)->size;
  }

  static nlohmann::json CheckpointJson(const std::string& note) {
    return {{"origin", kOrigin},
            {"tree_size", SizeOf(note)},
            {"root_hash", ""},
            {"signed_note", note},
            {"created_at", "2030-01-01T00:00:00Z"}};
  }

  static uint64_t Query(const std::string& target, const std::string& name) {
    const size_t at = target.find(name + "=");
    if (at == std::string::npos) {
      return 0;
    }
    return std::stoull(target.substr(at + name.size() + 1));
  }

  audit::NoteSigner signer_;
};

}  // namespace custody::cli::testing
