#include "custody/evidence/aws_connections.h"

namespace custody::evidence {
namespace {

StoredAwsConnection ConnectionFromRow(const store::Row& row) {
  StoredAwsConnection stored;
  aws::AwsConnection& connection = stored.connection;
  connection.role_arn = row.Text(0);
  connection.external_id = row.Text(1);
  connection.bucket = row.Text(2);
  connection.region = row.Text(3);
  connection.kms_key_id = row.Text(4);
  connection.key_prefix = row.Text(5);
  connection.endpoint = row.OptionalText(6);
  stored.created_at = row.Time(7);
  stored.updated_at = row.Time(8);
  return stored;
}

}  // namespace

Result<std::optional<StoredAwsConnection>> FindAwsConnection(store::Transaction& tx,
                                                             std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(
      std::optional<store::Row> row,
      tx.QueryOne("SELECT role_arn, external_id, bucket, region, kms_key_id, key_prefix, "
                  "endpoint, created_at, updated_at FROM aws_connections "
                  "WHERE organization_id = ?",
                  {organization_id}));
  if (!row.has_value()) {
    return std::optional<StoredAwsConnection>();
  }
  return std::optional<StoredAwsConnection>(ConnectionFromRow(*row));
}

Result<StoredAwsConnection> RequireAwsConnection(store::Transaction& tx,
                                                 std::string_view organization_id) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<StoredAwsConnection> stored,
                           FindAwsConnection(tx, organization_id));
  if (!stored.has_value()) {
    return FailedPrecondition(
        "the organization has no AWS connection yet; an admin must set it up with "
        "PUT /api/v1/aws-connection");
  }
  return std::move(*stored);
}

Result<StoredAwsConnection> PutAwsConnection(store::Transaction& tx, const Clock& clock,
                                             std::string_view organization_id,
                                             const aws::AwsConnection& settings,
                                             bool allow_insecure_loopback) {
  CUSTODY_ASSIGN_OR_RETURN(std::optional<StoredAwsConnection> existing,
                           FindAwsConnection(tx, organization_id));
  const SystemTime now = store::FromUnixMicros(store::ToUnixMicros(clock.Now()));

  StoredAwsConnection stored;
  stored.connection = settings;
  stored.connection.external_id =
      existing.has_value() ? existing->connection.external_id : aws::GenerateExternalId();
  stored.created_at = existing.has_value() ? existing->created_at : now;
  stored.updated_at = now;
  CUSTODY_RETURN_IF_ERROR(aws::ValidateConnection(stored.connection, allow_insecure_loopback));

  const aws::AwsConnection& connection = stored.connection;
  CUSTODY_RETURN_IF_ERROR(
      tx.Execute(
            "INSERT INTO aws_connections (organization_id, role_arn, external_id, bucket, "
            "region, kms_key_id, key_prefix, endpoint, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (organization_id) DO UPDATE SET role_arn = excluded.role_arn, "
            "bucket = excluded.bucket, region = excluded.region, "
            "kms_key_id = excluded.kms_key_id, key_prefix = excluded.key_prefix, "
            "endpoint = excluded.endpoint, updated_at = excluded.updated_at",
            {organization_id, connection.role_arn, connection.external_id, connection.bucket,
             connection.region, connection.kms_key_id, connection.key_prefix, connection.endpoint,
             store::ToUnixMicros(stored.created_at), store::ToUnixMicros(stored.updated_at)})
          .status());
  return stored;
}

}  // namespace custody::evidence
