// The authenticated caller of a request.
#pragma once

#include <string>

namespace custody::authz {

struct Principal {
  std::string organization_id;
  std::string user_id;
  std::string token_id;    // the API token that authenticated the request, or ""
  std::string session_id;  // the sign-in session of a JWT access token, or ""
};

}  // namespace custody::authz
