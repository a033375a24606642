// Temporary credentials per (organization, acting user), cached until shortly before they
// expire. Concurrent callers for the same pair share one AssumeRole call. A failed call is not
// cached, and every caller that waited for it receives its error.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "custody/aws/connection.h"
#include "custody/aws/credentials.h"
#include "custody/aws/sts.h"
#include "custody/common/clock.h"
#include "custody/common/status.h"

namespace custody::aws {

struct CredentialCacheOptions {
  // Cached credentials are used only while more than this much of their life remains. It must
  // be at least the longest presigned URL lifetime, so that every URL gets its full lifetime
  // (PresignPutObject and PresignGetObject shorten a URL that would outlive its credentials).
  std::chrono::seconds refresh_margin{300};
  std::chrono::seconds session_duration{3600};  // AssumeRole DurationSeconds
};

// Checks that options suit presigned URLs of up to `longest_presign_ttl`: the margin covers the
// TTL and sessions last longer than the margin.
Status CheckCredentialCacheOptions(const CredentialCacheOptions& options,
                                   std::chrono::seconds longest_presign_ttl);

class CredentialCache {
 public:
  CredentialCache(StsClient& sts, const Clock& clock, CredentialCacheOptions options = {});
  CredentialCache(const CredentialCache&) = delete;
  CredentialCache& operator=(const CredentialCache&) = delete;

  // Returns credentials for `user_id` acting in `organization_id` through the connection's
  // role. The session is named "custody-<organization id>" and carries the user id as its
  // source identity. Entries made with another role ARN or ExternalId are not reused.
  Result<Credentials> Get(const AwsConnection& connection, std::string_view organization_id,
                          std::string_view user_id);

  // Drops every cached entry of the organization (after its AWS connection changes). A call
  // already under way completes for its callers but is not cached.
  void Invalidate(std::string_view organization_id);

  // Drops the cached entry of one user of the organization (after the user is deactivated), so
  // that no later presigned URL is signed with credentials issued while the user was active.
  // A call already under way completes for its callers but is not cached.
  void Evict(std::string_view organization_id, std::string_view user_id);

  size_t size() const;

 private:
  struct Flight {
    bool done = false;
    Status status;
    Credentials credentials;
  };

  struct Entry {
    std::string fingerprint;  // role ARN and ExternalId the credentials were issued for
    bool has_credentials = false;
    Credentials credentials;
    std::shared_ptr<Flight> flight;  // the AssumeRole call under way, if any
  };

  using Key = std::pair<std::string, std::string>;  // organization id, user id

  bool IsFresh(const Credentials& credentials) const;
  void DropExpiredLocked();

  StsClient& sts_;
  const Clock& clock_;
  const CredentialCacheOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable flight_done_;
  std::map<Key, Entry> entries_;
};

}  // namespace custody::aws
