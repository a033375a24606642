#include "custody/api/creator_names.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "custody/identity/users.h"

namespace custody::api {
namespace {

using nlohmann::json;

// Returns the objects of `objects` that carry "created_by", with the latest versions of items
// and the reviews of versions.
std::vector<json*> Creations(json& objects) {
  std::vector<json*> out;
  if (!objects.is_array()) {
    return out;
  }
  for (json& object : objects) {
    if (object.is_object() && object.contains("created_by")) {
      out.push_back(&object);
    }
    for (const char* nested : {"latest_version", "review"}) {
      if (object.is_object() && object.contains(nested) && object[nested].is_object()) {
        out.push_back(&object[nested]);
      }
    }
  }
  return out;
}

}  // namespace

Status AddCreatorNames(store::Database& db, std::string_view organization_id, json& objects) {
  const std::vector<json*> creations = Creations(objects);
  std::map<std::string, std::optional<std::string>> names;
  for (const json* creation : creations) {
    names.emplace((*creation)["created_by"].get<std::string>(), std::nullopt);
  }
  if (names.empty()) {
    return Status::Ok();
  }
  const Status read = db.Read([&](store::Transaction& tx) -> Status {
    for (auto& [user_id, name] : names) {
      Result<identity::User> user = identity::GetUser(tx, organization_id, user_id);
      if (user.ok()) {
        name = user->display_name.empty() ? user->email : user->display_name;
      } else if (user.status().code() != ErrorCode::kNotFound) {
        return user.status();
      }
    }
    return Status::Ok();
  });
  if (!read.ok()) {
    return Unavailable("the names of the users who created the evidence cannot be read");
  }
  for (json* creation : creations) {
    const std::optional<std::string>& name = names.at((*creation)["created_by"].get<std::string>());
    (*creation)["created_by_name"] = name.has_value() ? json(*name) : json(nullptr);
  }
  return Status::Ok();
}

}  // namespace custody::api
