// A fake Custody API and a fake S3 for the command tests, both as HttpTransport handlers.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "custody/aws/fake_transport.h"
#include "custody/cli/test_support.h"
#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::cli::testing {

// Serves docs/api.md's evidence endpoints from memory. Version ids are ver_1, ver_2, ... and
// each upload URL points at https://s3.example/bucket/<version id>.
class FakeCustody {
 public:
  struct StoredVersion {
    nlohmann::json json;
  };

  FakeCustody() {
    items_["evd_existing"] = {{"id", "evd_existing"},
                              {"entity_id", "ent_1"},
                              {"title", "Existing"},
                              {"latest_version", nullptr}};
  }

  aws::testing::FakeTransport::Handler Handler() {
    return [this](const aws::HttpRequest& request) {
      return Handle(request);
    };
  }

  Result<aws::HttpResponse> Handle(const aws::HttpRequest& request) {
    const std::string target = TargetOf(request.url);
    const std::string path = target.substr(0, target.find('?'));
    calls.push_back(request.method + " " + path);
    bodies.push_back(request.body);
    if (request.method == "GET" && path.rfind("/api/v1/evidence/", 0) == 0 &&
        path.find("/versions") == std::string::npos) {
      const std::string id = path.substr(std::string("/api/v1/evidence/").size());
      if (items_.count(id) == 0) {
        return ProblemResponse(404, "evidence item not found");
      }
      return JsonResponse(200, items_[id].dump());
    }
    if (request.method == "POST" && path == "/api/v1/entities/ent_1/evidence") {
      const auto body = nlohmann::json::parse(request.body);
      nlohmann::json item = {{"id", "evd_new"},
                             {"entity_id", "ent_1"},
                             {"title", body["title"]},
                             {"latest_version", nullptr}};
      items_["evd_new"] = item;
      return JsonResponse(201, item.dump());
    }
    const size_t versions_at = path.find("/versions");
    if (versions_at == std::string::npos) {
      return ProblemResponse(404, "no route " + path);
    }
    const std::string evidence_id =
        path.substr(std::string("/api/v1/evidence/").size(),
                    versions_at - std::string("/api/v1/evidence/").size());
    if (items_.count(evidence_id) == 0) {
      return ProblemResponse(404, "evidence item not found");
    }
    const std::string rest = path.substr(versions_at + std::string("/versions").size());
    if (rest.empty() && request.method == "GET") {
      nlohmann::json items = nlohmann::json::array();
      for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (it->second["evidence_id"] == evidence_id) {
          items.push_back(it->second);
        }
      }
      return JsonResponse(200, nlohmann::json{{"items", items}, {"next_cursor", nullptr}}.dump());
    }
    if (rest.empty() && request.method == "POST") {
      const auto body = nlohmann::json::parse(request.body);
      const int number = static_cast<int>(versions.size()) + 1;
      const std::string id = "ver_" + std::to_string(number);
      nlohmann::json version = body;
      version["id"] = id;
      version["evidence_id"] = evidence_id;
      version["number"] = number;
      version["status"] = "pending";
      versions[id] = version;
      if (body.contains("part_size")) {
        const nlohmann::json upload = {{"method", "MULTIPART"},
                                       {"part_size", body["part_size"]},
                                       {"part_count", body["part_md5s"].size()}};
        return JsonResponse(201, nlohmann::json{{"version", version}, {"upload", upload}}.dump());
      }
      return JsonResponse(201, nlohmann::json{{"version", version}, {"upload", Upload(id)}}.dump());
    }
    const std::string version_id = rest.substr(1, rest.find('/', 1) - 1);
    const std::string action = rest.substr(rest.find('/', 1) + 1);
    if (versions.count(version_id) == 0) {
      return ProblemResponse(404, "version not found");
    }
    nlohmann::json& version = versions[version_id];
    if (action == "upload-url") {
      if (!offers_upload_url) {
        return ProblemResponse(404, "no route");
      }
      if (version["status"] == "stored") {
        return ProblemResponse(409, "already stored");
      }
      return JsonResponse(200, Upload(version_id).dump());
    }
    if (action == "part-urls" || action == "parts") {
      if (action == "part-urls" && before_part_urls) {
        before_part_urls();
        before_part_urls = nullptr;
      }
      return HandleMultipart(version, action, request.body);
    }
    if (action == "complete") {
      if (complete_failure != 0) {
        return ProblemResponse(complete_failure, "cannot verify the object now");
      }
      version["status"] = "stored";
      return JsonResponse(200, version.dump());
    }
    if (action == "download") {
      return JsonResponse(200, nlohmann::json{{"method", "GET"},
                                              {"url", "https://s3.example/bucket/" + version_id +
                                                          "?X-Amz-Signature=d"},
                                              {"expires_at", "2030-01-01T00:00:00Z"}}
                                   .dump());
    }
    return ProblemResponse(404, "no route " + path);
  }

  // part-urls and parts of a multipart version. A part counts as uploaded when `s3_objects`
  // has "/bucket/<version id>/part-<n>" with the part's size.
  Result<aws::HttpResponse> HandleMultipart(const nlohmann::json& version,
                                            const std::string& action, const std::string& body) {
    if (!version.contains("part_size")) {
      return ProblemResponse(409, "the version is not a multipart upload");
    }
    if (version["status"] == "stored") {
      return ProblemResponse(409, "already stored");
    }
    const uint64_t size = version["size"].get<uint64_t>();
    const uint64_t part_size = version["part_size"].get<uint64_t>();
    const std::string id = version["id"].get<std::string>();
    const auto part_length = [&](uint64_t number) {
      return std::min(part_size, size - (number - 1) * part_size);
    };
    if (action == "parts") {
      nlohmann::json uploaded = nlohmann::json::array();
      for (uint64_t number = 1; number <= version["part_md5s"].size(); ++number) {
        const std::string key = "/bucket/" + id + "/part-" + std::to_string(number);
        if (s3_objects != nullptr && s3_objects->count(key) > 0 &&
            s3_objects->at(key).size() == part_length(number)) {
          uploaded.push_back({{"part_number", number}, {"size", part_length(number)}});
        }
      }
      return JsonResponse(200, nlohmann::json{{"part_size", part_size},
                                              {"part_count", version["part_md5s"].size()},
                                              {"uploaded", uploaded}}
                                   .dump());
    }
    nlohmann::json parts = nlohmann::json::array();
    const nlohmann::json requested = nlohmann::json::parse(body);
    for (const auto& number : requested["part_numbers"]) {
      const uint64_t n = number.get<uint64_t>();
      const std::string md5_hex = version["part_md5s"][n - 1].get<std::string>();
      parts.push_back({{"part_number", n},
                       {"method", "PUT"},
                       {"url", "https://s3.example/bucket/" + id + "/part-" + std::to_string(n) +
                                   "?X-Amz-Signature=p"},
                       {"headers",
                        {{"Content-Length", std::to_string(part_length(n))},
                         {"Content-MD5", crypto::Base64Encode(*crypto::HexDecode(md5_hex))}}},
                       {"expires_at", "2030-01-01T00:05:00Z"}});
    }
    return JsonResponse(200, nlohmann::json{{"parts", parts}}.dump());
  }

  nlohmann::json Upload(const std::string& version_id) const {
    return {{"method", "PUT"},
            {"url", "https://s3.example/bucket/" + version_id + "?X-Amz-Signature=u"},
            {"headers", {{"x-amz-server-side-encryption", "aws:kms"}}},
            {"expires_at", "2030-01-01T00:05:00Z"}};
  }

  void AddVersion(const std::string& id, const std::string& evidence_id, int number,
                  const std::string& status, const std::string& file_name,
                  const std::string& contents) {
    versions[id] = {{"id", id},
                    {"evidence_id", evidence_id},
                    {"number", number},
                    {"status", status},
                    {"file_name", file_name},
                    {"size", contents.size()},
                    {"sha256", crypto::Sha256Hex(contents)}};
  }

  std::vector<std::string> calls;
  std::vector<std::string> bodies;
  std::map<std::string, nlohmann::json> versions;
  bool offers_upload_url = false;
  int complete_failure = 0;  // HTTP status returned by completion, 0 for success
  // The fake S3's objects, which decide the parts a multipart version has.
  const std::map<std::string, std::string>* s3_objects = nullptr;
  // Runs once, before the first part-urls response.
  std::function<void()> before_part_urls;

 private:
  std::map<std::string, nlohmann::json> items_;
};

// An S3 that stores PUT bodies by URL path and serves them to GET, failing the first
// `failures_left` requests as unreachable.
class FakeS3 {
 public:
  aws::testing::FakeTransport::Handler Handler() {
    return [this](const aws::HttpRequest& request) -> Result<aws::HttpResponse> {
      const std::string target = TargetOf(request.url);
      const std::string path = target.substr(0, target.find('?'));
      ++requests;
      if (failures_left > 0) {
        --failures_left;
        return Unavailable("connecting to https://s3.example failed: Connection refused");
      }
      if (request.method == "PUT") {
        objects[path] = request.body;
        return aws::testing::Respond(200, "");
      }
      if (objects.count(path) == 0) {
        return S3ErrorResponse(404, "NoSuchKey", "The specified key does not exist.");
      }
      return aws::testing::Respond(200, objects[path]);
    };
  }

  std::map<std::string, std::string> objects;
  int failures_left = 0;
  int requests = 0;
};

}  // namespace custody::cli::testing
