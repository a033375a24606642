// AWS credentials as Custody holds them: the service's own long-lived key (to call
// sts:AssumeRole only) and the temporary credentials that AssumeRole returns.
#pragma once

#include <string>

#include "custody/common/clock.h"
#include "custody/common/secret.h"

namespace custody::aws {

struct Credentials {
  std::string access_key_id;
  Secret secret_access_key;
  Secret session_token;  // empty for long-lived keys
  // SystemTime::max() for long-lived keys.
  SystemTime expiration = SystemTime::max();
};

}  // namespace custody::aws
