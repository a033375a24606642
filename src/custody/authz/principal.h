// The authenticated caller of a request.
#pragma once

#include <string>

namespace custody::authz {

struct Principal {
  std::string organization_id;
  std::string user_id;
  std::string token_id;  // the API token that authenticated the request
};

}  // namespace custody::authz
