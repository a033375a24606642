#include "custody/aws/credential_cache.h"

#include <exception>

namespace custody::aws {
namespace {

// Entries past this count trigger a sweep of expired ones.
constexpr size_t kSweepThreshold = 4096;

}  // namespace

Status CheckCredentialCacheOptions(const CredentialCacheOptions& options,
                                   std::chrono::seconds longest_presign_ttl) {
  if (options.refresh_margin < longest_presign_ttl) {
    return InvalidArgument("the credential refresh margin (" +
                           std::to_string(options.refresh_margin.count()) +
                           " s) must be at least the longest presigned URL lifetime (" +
                           std::to_string(longest_presign_ttl.count()) + " s)");
  }
  if (options.session_duration <= options.refresh_margin) {
    return InvalidArgument("the AssumeRole session duration (" +
                           std::to_string(options.session_duration.count()) +
                           " s) must be longer than the credential refresh margin (" +
                           std::to_string(options.refresh_margin.count()) + " s)");
  }
  return Status::Ok();
}

CredentialCache::CredentialCache(StsClient& sts, const Clock& clock, CredentialCacheOptions options)
    : sts_(sts), clock_(clock), options_(options) {}

bool CredentialCache::IsFresh(const Credentials& credentials) const {
  return credentials.expiration - clock_.Now() > options_.refresh_margin;
}

Result<Credentials> CredentialCache::Get(const AwsConnection& connection,
                                         std::string_view organization_id,
                                         std::string_view user_id) {
  const Key key{std::string(organization_id), std::string(user_id)};
  const std::string fingerprint = connection.role_arn + "\n" + connection.external_id;

  std::unique_lock lock(mutex_);
  Entry& entry = entries_[key];
  if (entry.fingerprint == fingerprint) {
    if (entry.has_credentials && IsFresh(entry.credentials)) {
      return entry.credentials;
    }
    if (entry.flight) {
      const std::shared_ptr<Flight> flight = entry.flight;
      flight_done_.wait(lock, [&flight] { return flight->done; });
      if (!flight->status.ok()) {
        return flight->status;
      }
      return flight->credentials;
    }
  }

  const auto flight = std::make_shared<Flight>();
  entry.fingerprint = fingerprint;
  entry.has_credentials = false;
  entry.flight = flight;
  if (entries_.size() > kSweepThreshold) {
    DropExpiredLocked();
  }
  lock.unlock();

  AssumeRoleParams params;
  params.role_arn = connection.role_arn;
  params.external_id = connection.external_id;
  params.role_session_name = "custody-" + key.first;
  params.source_identity = key.second;
  params.duration = options_.session_duration;
  Result<Credentials> result = Internal("AssumeRole did not complete");
  // Waiters block until the flight is done, so nothing may skip the bookkeeping below.
  try {
    result = sts_.AssumeRole(params);
  } catch (const std::exception& error) {
    result = Internal(std::string("AssumeRole failed: ") + error.what());
  }

  lock.lock();
  flight->done = true;
  flight->status = result.status();
  if (result.ok()) {
    flight->credentials = *result;
  }
  const auto it = entries_.find(key);
  if (it != entries_.end() && it->second.flight == flight) {
    it->second.flight.reset();
    if (result.ok()) {
      it->second.has_credentials = true;
      it->second.credentials = *result;
    } else {
      entries_.erase(it);
    }
  }
  lock.unlock();
  flight_done_.notify_all();
  return result;
}

void CredentialCache::Invalidate(std::string_view organization_id) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->first.first == organization_id) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void CredentialCache::Evict(std::string_view organization_id, std::string_view user_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(Key(std::string(organization_id), std::string(user_id)));
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void CredentialCache::DropExpiredLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& entry = it->second;
    if (!entry.flight && (!entry.has_credentials || !IsFresh(entry.credentials))) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace custody::aws
