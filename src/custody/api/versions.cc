// /api/v1/evidence/{evidence_id}/versions: uploads, their confirmation and downloads. The file
// bytes never pass through here: clients send them to S3 with the presigned URLs returned.
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

#include "custody/api/creator_names.h"
#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/evidence/reviews.h"
#include "custody/http/json.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

// An optional array of strings; absent or null is nullopt.
Result<std::optional<std::vector<std::string>>> OptionalStringArray(http::JsonObjectReader& reader,
                                                                    std::string_view key) {
  Result<const nlohmann::json*> value = reader.Value(key);
  if (!value.ok()) {
    return std::optional<std::vector<std::string>>();  // absent or null
  }
  const nlohmann::json& array = **value;
  const std::string pointer = reader.PointerTo(key);
  if (!array.is_array()) {
    return InvalidArgument(pointer + " must be an array of strings", pointer);
  }
  std::vector<std::string> strings;
  strings.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      const std::string item = pointer + "/" + std::to_string(i);
      return InvalidArgument(item + " must be a string", item);
    }
    strings.push_back(array[i].get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(strings));
}

struct NewVersion {
  std::string evidence_id;
  evidence::DeclaredFile file;
};

Result<NewVersion> ParseNewVersion(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  NewVersion version;
  CUSTODY_ASSIGN_OR_RETURN(version.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  evidence::DeclaredFile& file = version.file;
  CUSTODY_ASSIGN_OR_RETURN(file.file_name, reader.String("file_name"));
  CUSTODY_ASSIGN_OR_RETURN(file.size, reader.Int("size"));
  CUSTODY_ASSIGN_OR_RETURN(file.sha256, reader.String("sha256"));
  CUSTODY_ASSIGN_OR_RETURN(file.md5, reader.String("md5"));
  CUSTODY_ASSIGN_OR_RETURN(file.media_type, reader.String("media_type"));
  CUSTODY_ASSIGN_OR_RETURN(file.part_size, reader.OptionalInt("part_size"));
  CUSTODY_ASSIGN_OR_RETURN(file.part_md5s, OptionalStringArray(reader, "part_md5s"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  return version;
}

struct EvidencePageRequest {
  std::string evidence_id;
  PageRequest page;
};

Result<EvidencePageRequest> ParseVersionPage(const http::Request& request) {
  EvidencePageRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(parsed.page, ParsePage(request));
  return parsed;
}

struct VersionPath {
  std::string evidence_id;
  std::string version_id;
};

// A POST on one version, which takes no parameters and no body.
Result<VersionPath> ParseVersionPath(const http::Request& request) {
  VersionPath path;
  CUSTODY_ASSIGN_OR_RETURN(path.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(path.version_id, PathId(request, "version_id", store::kVersionIdPrefix));
  CUSTODY_RETURN_IF_ERROR(NoQueryOrBody(request));
  return path;
}

nlohmann::json GrantJson(const evidence::UploadGrant& grant) {
  nlohmann::json out = nlohmann::json::object();
  out["version"] = VersionJson(grant.version);
  if (grant.upload.has_value()) {
    out["upload"] = UploadJson(*grant.upload);
  } else {
    nlohmann::json upload = nlohmann::json::object();
    upload["method"] = "MULTIPART";
    upload["part_size"] = grant.version.part_size.value_or(0);
    upload["part_count"] = grant.version.PartCount();
    out["upload"] = std::move(upload);
  }
  return out;
}

struct ReviewRequest {
  VersionPath path;
  std::string decision;
  std::string comment;
};

Result<ReviewRequest> ParseReview(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  ReviewRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.path.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(parsed.path.version_id,
                           PathId(request, "version_id", store::kVersionIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  CUSTODY_ASSIGN_OR_RETURN(parsed.decision, reader.String("decision"));
  CUSTODY_ASSIGN_OR_RETURN(std::optional<std::string> comment, reader.OptionalString("comment"));
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  parsed.comment = comment.value_or("");
  return parsed;
}

nlohmann::json ReviewJson(const evidence::VersionReview& review) {
  nlohmann::json out = nlohmann::json::object();
  out["id"] = review.id;
  out["decision"] = review.decision;
  out["comment"] = review.comment;
  out["created_by"] = review.reviewer;
  out["created_at"] = TimeJson(review.created_at);
  return out;
}

// Sets "review" on each version of `versions`: its latest review, or null when it has none.
// AddCreatorNames adds the reviewer's name afterwards.
Status AddReviews(ApiContext& api, std::string_view organization_id, nlohmann::json& versions) {
  std::vector<std::string> ids;
  for (const nlohmann::json& version : versions) {
    ids.push_back(version["id"].get<std::string>());
  }
  Result<std::map<std::string, evidence::VersionReview>> latest =
      store::ReadReturning<std::map<std::string, evidence::VersionReview>>(
          api.db, [&](store::Transaction& tx) {
            return evidence::LatestReviews(tx, organization_id, ids);
          });
  if (!latest.ok()) {
    return Unavailable("the reviews of the versions cannot be read");
  }
  for (nlohmann::json& version : versions) {
    const auto found = latest->find(version["id"].get<std::string>());
    version["review"] =
        found == latest->end() ? nlohmann::json(nullptr) : ReviewJson(found->second);
  }
  return Status::Ok();
}

struct PartUrlsRequest {
  VersionPath path;
  std::vector<int64_t> part_numbers;
};

Result<PartUrlsRequest> ParsePartUrls(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  PartUrlsRequest parsed;
  CUSTODY_ASSIGN_OR_RETURN(parsed.path.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(parsed.path.version_id,
                           PathId(request, "version_id", store::kVersionIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObjectBody(request));
  http::JsonObjectReader reader(body);
  CUSTODY_ASSIGN_OR_RETURN(const nlohmann::json* numbers, reader.Value("part_numbers"));
  if (!numbers->is_array()) {
    return InvalidArgument("/part_numbers must be an array of part numbers", "/part_numbers");
  }
  for (size_t i = 0; i < numbers->size(); ++i) {
    const nlohmann::json& number = (*numbers)[i];
    const std::string pointer = "/part_numbers/" + std::to_string(i);
    if (!number.is_number_integer()) {
      return InvalidArgument(pointer + " must be an integer", pointer);
    }
    // An unsigned value above INT64_MAX would wrap to a negative number in get<int64_t>().
    if (number.is_number_unsigned() &&
        number.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidArgument(pointer + " is out of range", pointer);
    }
    parsed.part_numbers.push_back(number.get<int64_t>());
  }
  CUSTODY_RETURN_IF_ERROR(reader.RejectUnknownFields());
  return parsed;
}

// A GET of one version's sub-resource, which takes no parameters.
Result<VersionPath> ParseVersionGet(const http::Request& request) {
  CUSTODY_RETURN_IF_ERROR(OnlyQueryParameters(request, {}));
  VersionPath path;
  CUSTODY_ASSIGN_OR_RETURN(path.evidence_id,
                           PathId(request, "evidence_id", store::kEvidenceIdPrefix));
  CUSTODY_ASSIGN_OR_RETURN(path.version_id, PathId(request, "version_id", store::kVersionIdPrefix));
  return path;
}

nlohmann::json PartUrlsJson(const std::vector<evidence::PartUrl>& urls) {
  nlohmann::json parts = nlohmann::json::array();
  for (const evidence::PartUrl& url : urls) {
    nlohmann::json part = UploadJson(url.request);
    part["part_number"] = url.part_number;
    parts.push_back(std::move(part));
  }
  nlohmann::json out = nlohmann::json::object();
  out["parts"] = std::move(parts);
  return out;
}

nlohmann::json UploadedPartsJson(const evidence::UploadedParts& parts) {
  nlohmann::json uploaded = nlohmann::json::array();
  for (const aws::UploadedPart& part : parts.uploaded) {
    nlohmann::json item = nlohmann::json::object();
    item["part_number"] = part.part_number;
    item["size"] = part.size;
    uploaded.push_back(std::move(item));
  }
  nlohmann::json out = nlohmann::json::object();
  out["part_size"] = parts.part_size;
  out["part_count"] = parts.part_count;
  out["uploaded"] = std::move(uploaded);
  return out;
}

// An endpoint on one version that runs `operation` of the evidence service and responds 200 with
// its result rendered by `to_json`.
template <typename T>
Endpoint<VersionPath> VersionEndpoint(
    ApiContext& api, std::string action, Result<VersionPath> (*parse)(const http::Request&),
    Result<T> (evidence::EvidenceService::*operation)(const RequestContext&, std::string_view,
                                                      std::string_view),
    nlohmann::json (*to_json)(const T&)) {
  return {std::move(action), parse,
          [&api, operation, to_json](const RequestContext& context,
                                     VersionPath& path) -> Result<http::Response> {
            CUSTODY_ASSIGN_OR_RETURN(
                T result, (api.evidence.*operation)(context, path.evidence_id, path.version_id));
            return http::JsonResponse(200, to_json(result));
          }};
}

}  // namespace

void RegisterVersionRoutes(http::Router& router, ApiContext& api) {
  router.Add(
      "POST", "/api/v1/evidence/{evidence_id}/versions",
      Serve<NewVersion>(
          api, {"evidence.version.create", ParseNewVersion,
                [&api](const RequestContext& context, NewVersion& input) -> Result<http::Response> {
                  CUSTODY_ASSIGN_OR_RETURN(
                      evidence::UploadGrant grant,
                      api.evidence.RequestUpload(context, input.evidence_id, input.file));
                  return http::JsonResponse(201, GrantJson(grant));
                }}));

  router.Add("GET", "/api/v1/evidence/{evidence_id}/versions",
             Serve<EvidencePageRequest>(
                 api, {"evidence.read", ParseVersionPage,
                       [&api](const RequestContext& context,
                              EvidencePageRequest& input) -> Result<http::Response> {
                         CUSTODY_ASSIGN_OR_RETURN(
                             evidence::VersionPage page,
                             api.evidence.ListVersions(context, input.evidence_id, input.page.after,
                                                       input.page.limit));
                         nlohmann::json versions = JsonArrayOf(page.versions, VersionJson);
                         CUSTODY_RETURN_IF_ERROR(
                             AddReviews(api, context.principal.organization_id, versions));
                         CUSTODY_RETURN_IF_ERROR(
                             AddCreatorNames(api.db, context.principal.organization_id, versions));
                         return http::JsonResponse(200, ListJson(versions, page.next_after));
                       }}));

  const std::string version_path = "/api/v1/evidence/{evidence_id}/versions/{version_id}";
  router.Add("POST", version_path + "/upload-url",
             Serve<VersionPath>(api, VersionEndpoint<evidence::UploadGrant>(
                                         api, "evidence.version.upload_url", ParseVersionPath,
                                         &evidence::EvidenceService::RenewUploadUrl, GrantJson)));

  router.Add(
      "POST", version_path + "/review",
      Serve<ReviewRequest>(
          api,
          {"evidence.approve", ParseReview,
           [&api](const RequestContext& context, ReviewRequest& input) -> Result<http::Response> {
             CUSTODY_ASSIGN_OR_RETURN(
                 evidence::VersionReview review,
                 api.evidence.ReviewVersion(context, input.path.evidence_id, input.path.version_id,
                                            input.decision, input.comment));
             nlohmann::json reviews = nlohmann::json::array({ReviewJson(review)});
             CUSTODY_RETURN_IF_ERROR(
                 AddCreatorNames(api.db, context.principal.organization_id, reviews));
             return http::JsonResponse(201, reviews[0]);
           }}));

  router.Add("POST", version_path + "/part-urls",
             Serve<PartUrlsRequest>(api, {"evidence.version.part_urls", ParsePartUrls,
                                          [&api](const RequestContext& context,
                                                 PartUrlsRequest& input) -> Result<http::Response> {
                                            CUSTODY_ASSIGN_OR_RETURN(
                                                std::vector<evidence::PartUrl> urls,
                                                api.evidence.PartUrls(
                                                    context, input.path.evidence_id,
                                                    input.path.version_id, input.part_numbers));
                                            return http::JsonResponse(200, PartUrlsJson(urls));
                                          }}));

  router.Add("GET", version_path + "/parts",
             Serve<VersionPath>(
                 api, VersionEndpoint<evidence::UploadedParts>(
                          api, "evidence.version.parts", ParseVersionGet,
                          &evidence::EvidenceService::ListUploadedParts, UploadedPartsJson)));

  router.Add("POST", version_path + "/complete",
             Serve<VersionPath>(api, VersionEndpoint<evidence::EvidenceVersion>(
                                         api, "evidence.version.complete", ParseVersionPath,
                                         &evidence::EvidenceService::CompleteUpload, VersionJson)));

  router.Add(
      "POST", version_path + "/download",
      Serve<VersionPath>(api, VersionEndpoint<aws::PresignedRequest>(
                                  api, "evidence.version.download", ParseVersionPath,
                                  &evidence::EvidenceService::RequestDownload, DownloadJson)));
}

}  // namespace custody::api
