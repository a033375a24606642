#include "custody/cli/transfer.h"

#include "custody/aws/xml.h"
#include "custody/cli/config.h"
#include "custody/cli/terminal.h"

namespace custody::cli {

Status CheckTransferUrl(const PresignedTransfer& transfer) {
  Result<aws::Url> url = aws::ParseUrl(transfer.url);
  if (!url.ok()) {
    return Internal("the Custody server returned an invalid presigned URL: " +
                    url.status().message());
  }
  if (!IsAllowedTransport(url->scheme, url->host)) {
    return FailedPrecondition("the Custody server returned a presigned URL for " +
                              RedactUrl(transfer.url) +
                              ", which is not https://; evidence is sent only over https://");
  }
  return Status::Ok();
}

std::string S3ErrorCode(const aws::HttpResponse& response) {
  return SanitizeForTerminal(aws::xml::TextOrEmpty(response.body, "Code", 64));
}

std::string DescribeS3Error(const aws::HttpResponse& response) {
  const std::string code = S3ErrorCode(response);
  const std::string message =
      SanitizeForTerminal(aws::xml::TextOrEmpty(response.body, "Message", 300));
  std::string text = "HTTP " + std::to_string(response.status);
  if (!code.empty()) {
    text += " " + code;
  }
  if (!message.empty()) {
    text += ": " + message;
  }
  return text;
}

bool IsRetryable(const Status& status) {
  return status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kDeadlineExceeded;
}

Status S3ResponseStatus(const aws::HttpResponse& response, std::string_view operation) {
  std::string message =
      std::string(operation) + " failed: S3 returned " + DescribeS3Error(response);
  if (response.status == 500 || response.status == 502 || response.status == 503 ||
      response.status == 504) {
    return Unavailable(std::move(message));
  }
  return UpstreamFailed(std::move(message));
}

}  // namespace custody::cli
