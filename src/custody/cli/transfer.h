// What the upload and the download share: checks on a presigned URL before bytes go to it, and
// S3's error responses turned into Status.
#pragma once

#include <string>
#include <string_view>

#include "custody/aws/http_transport.h"
#include "custody/cli/api_client.h"
#include "custody/common/status.h"

namespace custody::cli {

// Rejects a presigned URL that is not https:// (or http:// to a loopback address): evidence
// bytes must not cross a network unencrypted, whatever the server returned.
Status CheckTransferUrl(const PresignedTransfer& transfer);

// S3's error code and message from an XML error body, such as "BadDigest: The Content-MD5 you
// specified did not match what we received.", cut to 300 bytes and safe for a terminal. The
// rest of the body is left out, because S3 echoes the canonical request, which contains the
// presigned query (credential and session token).
std::string DescribeS3Error(const aws::HttpResponse& response);

// The S3 error code of an XML error body, or empty.
std::string S3ErrorCode(const aws::HttpResponse& response);

// True for a failure worth retrying later: the network or S3 could not be reached, timed out,
// or returned 500, 502, 503 or 504 (which S3ResponseStatus maps to kUnavailable).
bool IsRetryable(const Status& status);

// Status for a non-2xx S3 response: 5xx become kUnavailable (retryable), others kUpstreamFailed.
Status S3ResponseStatus(const aws::HttpResponse& response, std::string_view operation);

}  // namespace custody::cli
