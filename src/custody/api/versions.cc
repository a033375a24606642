// /api/v1/evidence/{evidence_id}/versions: uploads, their confirmation and downloads. The file
// bytes never pass through here: clients send them to S3 with the presigned URLs returned.
#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/http/json.h"
#include "custody/store/ids.h"

namespace custody::api {
namespace {

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
  out["upload"] = UploadJson(grant.upload);
  return out;
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
                         nlohmann::json items = nlohmann::json::array();
                         for (const evidence::EvidenceVersion& version : page.versions) {
                           items.push_back(VersionJson(version));
                         }
                         return http::JsonResponse(200,
                                                   ListJson(std::move(items), page.next_after));
                       }}));

  router.Add(
      "POST", "/api/v1/evidence/{evidence_id}/versions/{version_id}/upload-url",
      Serve<VersionPath>(
          api, {"evidence.version.upload_url", ParseVersionPath,
                [&api](const RequestContext& context, VersionPath& path) -> Result<http::Response> {
                  CUSTODY_ASSIGN_OR_RETURN(
                      evidence::UploadGrant grant,
                      api.evidence.RenewUploadUrl(context, path.evidence_id, path.version_id));
                  return http::JsonResponse(200, GrantJson(grant));
                }}));

  router.Add(
      "POST", "/api/v1/evidence/{evidence_id}/versions/{version_id}/complete",
      Serve<VersionPath>(
          api, {"evidence.version.complete", ParseVersionPath,
                [&api](const RequestContext& context, VersionPath& path) -> Result<http::Response> {
                  CUSTODY_ASSIGN_OR_RETURN(
                      evidence::EvidenceVersion version,
                      api.evidence.CompleteUpload(context, path.evidence_id, path.version_id));
                  return http::JsonResponse(200, VersionJson(version));
                }}));

  router.Add(
      "POST", "/api/v1/evidence/{evidence_id}/versions/{version_id}/download",
      Serve<VersionPath>(
          api, {"evidence.version.download", ParseVersionPath,
                [&api](const RequestContext& context, VersionPath& path) -> Result<http::Response> {
                  CUSTODY_ASSIGN_OR_RETURN(
                      aws::PresignedRequest download,
                      api.evidence.RequestDownload(context, path.evidence_id, path.version_id));
                  return http::JsonResponse(200, DownloadJson(download));
                }}));
}

}  // namespace custody::api
