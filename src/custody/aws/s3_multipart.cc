// S3Client calls for multipart uploads: Custody starts, inspects, completes and aborts them,
// while clients upload the parts through presigned UploadPart URLs (presign.h).
#include <charconv>

#include "custody/aws/presign.h"
#include "custody/aws/s3.h"
#include "custody/aws/s3_response.h"
#include "custody/aws/sigv4.h"
#include "custody/aws/xml.h"

namespace custody::aws {
namespace {

using internal::S3ErrorStatus;
using internal::Unquote;
using internal::XmlEscape;

constexpr size_t kMaxErrorText = 256;
constexpr size_t kMaxUploadIdBytes = 1024;

std::string UploadIdQuery(std::string_view upload_id) {
  return "uploadId=" + sigv4::UriEncode(upload_id, /*encode_slash=*/true);
}

template <typename Integer>
bool ParseDecimal(std::string_view text, Integer* value) {
  const char* const end = text.data() + text.size();
  const auto [parsed_end, error] = std::from_chars(text.data(), end, *value);
  return !text.empty() && error == std::errc() && parsed_end == end;
}

// The decoded text of the element <name> in `document`, or kUpstreamFailed naming the
// operation when it is missing or malformed.
Result<std::string> RequiredText(std::string_view operation, std::string_view document,
                                 std::string_view name) {
  std::string_view content;
  std::string text;
  if (xml::FindElement(document, name, &content) != xml::Lookup::kFound ||
      !xml::DecodeText(content, &text)) {
    return UpstreamFailed(std::string(operation) + " response has no valid <" + std::string(name) +
                          ">");
  }
  return text;
}

struct PartsPage {
  std::vector<UploadedPart> parts;
  bool truncated = false;
  int next_marker = 0;
};

Result<UploadedPart> ParsePart(std::string_view content) {
  UploadedPart part;
  CUSTODY_ASSIGN_OR_RETURN(const std::string number,
                           RequiredText("ListParts", content, "PartNumber"));
  CUSTODY_ASSIGN_OR_RETURN(const std::string size, RequiredText("ListParts", content, "Size"));
  CUSTODY_ASSIGN_OR_RETURN(std::string etag, RequiredText("ListParts", content, "ETag"));
  if (!ParseDecimal(number, &part.part_number) || part.part_number < 1 ||
      part.part_number > kMaxPartCount) {
    return UpstreamFailed("ListParts reports an invalid part number: " + number);
  }
  if (!ParseDecimal(size, &part.size)) {
    return UpstreamFailed("ListParts reports an invalid part size: " + size);
  }
  part.etag = Unquote(std::move(etag));
  return part;
}

Result<PartsPage> ParsePartsPage(std::string_view body) {
  PartsPage page;
  std::vector<std::string_view> contents;
  if (!xml::FindElements(body, "Part", &contents)) {
    return UpstreamFailed("ListParts response has a <Part> without an end tag");
  }
  for (std::string_view content : contents) {
    CUSTODY_ASSIGN_OR_RETURN(UploadedPart part, ParsePart(content));
    page.parts.push_back(std::move(part));
  }
  const std::string truncated = xml::TextOrEmpty(body, "IsTruncated", 16);
  page.truncated = truncated == "true";
  if (page.truncated) {
    CUSTODY_ASSIGN_OR_RETURN(const std::string marker,
                             RequiredText("ListParts", body, "NextPartNumberMarker"));
    if (!ParseDecimal(marker, &page.next_marker)) {
      return UpstreamFailed("ListParts reports an invalid NextPartNumberMarker: " + marker);
    }
  }
  return page;
}

// Returns the failure of an <Error> document in a 200 response. S3 sends one when
// CompleteMultipartUpload fails after it has started its response.
Status ErrorInOkResponse(std::string_view operation, std::string_view error) {
  const std::string code = xml::TextOrEmpty(error, "Code", kMaxErrorText);
  const std::string message = xml::TextOrEmpty(error, "Message", kMaxErrorText);
  std::string text = std::string(operation) + " failed with HTTP 200 and an error document";
  if (!code.empty()) {
    text += ": " + code;
  }
  if (!message.empty()) {
    text += ": " + message;
  }
  if (code == "InternalError" || code == "SlowDown" || code == "ServiceUnavailable") {
    return Unavailable(text);
  }
  if (code == "NoSuchUpload") {
    return NotFound(text);
  }
  return UpstreamFailed(text);
}

std::string CompleteMultipartUploadXml(const std::vector<CompletedPart>& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const CompletedPart& part : parts) {
    out += "<Part><PartNumber>" + std::to_string(part.part_number) + "</PartNumber><ETag>\"" +
           XmlEscape(part.etag) + "\"</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

Status CheckKeyAndUploadId(std::string_view key, std::string_view upload_id) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  if (upload_id.empty() || upload_id.size() > kMaxUploadIdBytes) {
    return InvalidArgument("multipart upload id must be 1 to 1024 bytes long", "upload_id");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> S3Client::CreateMultipartUpload(
    const AwsConnection& connection, const Credentials& credentials, std::string_view key,
    const std::optional<std::string>& content_type) {
  if (key.empty()) {
    return InvalidArgument("object key is empty", "key");
  }
  if (connection.kms_key_id.empty()) {
    return FailedPrecondition("the AWS connection has no KMS key");
  }
  std::vector<std::pair<std::string, std::string>> headers;
  if (content_type) {
    headers.emplace_back("Content-Type", *content_type);
  }
  headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
  headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", connection.kms_key_id);
  CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response, Call(connection, credentials, "POST", key,
                                                             "uploads=", std::move(headers), ""));
  if (response.status != 200) {
    return S3ErrorStatus("CreateMultipartUpload", response);
  }
  CUSTODY_ASSIGN_OR_RETURN(std::string upload_id,
                           RequiredText("CreateMultipartUpload", response.body, "UploadId"));
  if (upload_id.empty() || upload_id.size() > kMaxUploadIdBytes) {
    return UpstreamFailed("CreateMultipartUpload returned an upload id of " +
                          std::to_string(upload_id.size()) + " bytes");
  }
  return upload_id;
}

Result<std::vector<UploadedPart>> S3Client::ListParts(const AwsConnection& connection,
                                                      const Credentials& credentials,
                                                      std::string_view key,
                                                      std::string_view upload_id) {
  CUSTODY_RETURN_IF_ERROR(CheckKeyAndUploadId(key, upload_id));
  std::vector<UploadedPart> parts;
  int marker = 0;
  // Each page contains at least one part and the markers must rise, so an upload of at most
  // kMaxPartCount parts takes at most that many pages.
  for (int page_count = 0; page_count <= kMaxPartCount; ++page_count) {
    std::string query = UploadIdQuery(upload_id);
    if (marker > 0) {
      query = "part-number-marker=" + std::to_string(marker) + "&" + query;
    }
    CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response,
                             Call(connection, credentials, "GET", key, query, {}, ""));
    if (response.status != 200) {
      return S3ErrorStatus("ListParts", response);
    }
    CUSTODY_ASSIGN_OR_RETURN(PartsPage page, ParsePartsPage(response.body));
    for (UploadedPart& part : page.parts) {
      const int previous = parts.empty() ? marker : parts.back().part_number;
      if (part.part_number <= previous) {
        return UpstreamFailed("ListParts listed part " + std::to_string(part.part_number) +
                              " after part " + std::to_string(previous));
      }
      parts.push_back(std::move(part));
    }
    if (!page.truncated) {
      return parts;
    }
    if (page.next_marker <= marker) {
      return UpstreamFailed("ListParts returned a NextPartNumberMarker that does not advance: " +
                            std::to_string(page.next_marker));
    }
    marker = page.next_marker;
  }
  return UpstreamFailed("ListParts returned more pages than an upload can have");
}

Result<std::string> S3Client::CompleteMultipartUpload(const AwsConnection& connection,
                                                      const Credentials& credentials,
                                                      std::string_view key,
                                                      std::string_view upload_id,
                                                      const std::vector<CompletedPart>& parts) {
  CUSTODY_RETURN_IF_ERROR(CheckKeyAndUploadId(key, upload_id));
  if (parts.empty() || parts.size() > static_cast<size_t>(kMaxPartCount)) {
    return InvalidArgument("a multipart upload is completed from 1 to 10000 parts", "parts");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].part_number <= parts[i - 1].part_number) {
      return InvalidArgument("parts must be listed in ascending part number order", "parts");
    }
  }
  CUSTODY_ASSIGN_OR_RETURN(
      const HttpResponse response,
      Call(connection, credentials, "POST", key, UploadIdQuery(upload_id),
           {{"Content-Type", "application/xml"}}, CompleteMultipartUploadXml(parts)));
  if (response.status != 200) {
    return S3ErrorStatus("CompleteMultipartUpload", response);
  }
  std::string_view error;
  if (xml::FindElement(response.body, "Error", &error) == xml::Lookup::kFound) {
    return ErrorInOkResponse("CompleteMultipartUpload", error);
  }
  CUSTODY_ASSIGN_OR_RETURN(std::string etag,
                           RequiredText("CompleteMultipartUpload", response.body, "ETag"));
  return Unquote(std::move(etag));
}

Status S3Client::AbortMultipartUpload(const AwsConnection& connection,
                                      const Credentials& credentials, std::string_view key,
                                      std::string_view upload_id) {
  CUSTODY_RETURN_IF_ERROR(CheckKeyAndUploadId(key, upload_id));
  CUSTODY_ASSIGN_OR_RETURN(const HttpResponse response, Call(connection, credentials, "DELETE", key,
                                                             UploadIdQuery(upload_id), {}, ""));
  if (response.status != 204 && response.status != 200) {
    return S3ErrorStatus("AbortMultipartUpload", response);
  }
  return Status::Ok();
}

}  // namespace custody::aws
