// /api/v1/audit-records: the organization's audit log, oldest first, for admins.
#include <charconv>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "custody/api/routes.h"
#include "custody/api/shapes.h"
#include "custody/audit/audit_log.h"
#include "custody/http/json.h"
#include "custody/store/page_cursor.h"

namespace custody::api {
namespace {

using authz::Action;

Result<http::Response> ListRecords(ApiContext& api, const RequestContext& context,
                                   const PageRequest& page) {
  evidence::AuditEntry entry{"audit_records.read", "", ""};
  // Audit cursors count up from seq 0, unlike the newest-first lists, and carry the seq of the
  // page's last record. audit::List rejects a seq that is not a record of the organization.
  std::optional<uint64_t> after;
  if (page.after.has_value()) {
    uint64_t seq = 0;
    const std::string& text = *page.after;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (error != std::errc() || end != text.data() + text.size()) {
      return store::InvalidCursorError();
    }
    after = seq;
  }
  CUSTODY_ASSIGN_OR_RETURN(
      audit::RecordPage records,
      evidence::AuditedWriteReturning<audit::RecordPage>(
          api.db, api.clock, context, entry,
          [&](store::Transaction& tx) -> Result<audit::RecordPage> {
            CUSTODY_RETURN_IF_ERROR(
                evidence::AuthorizeOrganizationAction(tx, context, Action::kReadAuditLog, entry));
            return audit::List(tx, context.principal.organization_id, after, page.limit);
          }));

  nlohmann::json items = nlohmann::json::array();
  for (const audit::StoredRecord& record : records.records) {
    items.push_back(AuditRecordJson(record));
  }
  std::optional<std::string> next_after;
  if (records.next_after.has_value()) {
    next_after = std::to_string(*records.next_after);
  }
  return http::JsonResponse(200, ListJson(std::move(items), next_after));
}

}  // namespace

void RegisterAuditRecordRoutes(http::Router& router, ApiContext& api) {
  router.Add("GET", "/api/v1/audit-records",
             Serve<PageRequest>(api, {"audit_records.read", ParsePage,
                                      [&api](const RequestContext& context, PageRequest& page) {
                                        return ListRecords(api, context, page);
                                      }}));
}

}  // namespace custody::api
