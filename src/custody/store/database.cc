#include "custody/store/database.h"

#include <cmath>

namespace custody::store {

int64_t ToUnixMicros(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

SystemTime FromUnixMicros(int64_t micros) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::microseconds(micros)));
}

bool Row::IsNull(size_t column) const {
  return std::holds_alternative<Null>(values_.at(column));
}

int64_t Row::Int64(size_t column) const {
  const Value& value = values_.at(column);
  if (const auto* integer = std::get_if<int64_t>(&value)) {
    return *integer;
  }
  if (const auto* real = std::get_if<double>(&value)) {
    return static_cast<int64_t>(std::llround(*real));
  }
  return 0;
}

std::string Row::Text(size_t column) const {
  const Value& value = values_.at(column);
  if (const auto* text = std::get_if<std::string>(&value)) {
    return *text;
  }
  if (const auto* blob = std::get_if<Blob>(&value)) {
    return blob->bytes;
  }
  if (const auto* integer = std::get_if<int64_t>(&value)) {
    return std::to_string(*integer);
  }
  return {};
}

std::string Row::Bytes(size_t column) const {
  return Text(column);
}

std::optional<int64_t> Row::OptionalInt64(size_t column) const {
  if (IsNull(column)) {
    return std::nullopt;
  }
  return Int64(column);
}

std::optional<std::string> Row::OptionalText(size_t column) const {
  if (IsNull(column)) {
    return std::nullopt;
  }
  return Text(column);
}

SystemTime Row::Time(size_t column) const {
  return FromUnixMicros(Int64(column));
}

std::optional<SystemTime> Row::OptionalTime(size_t column) const {
  if (IsNull(column)) {
    return std::nullopt;
  }
  return Time(column);
}

Result<std::optional<Row>> Transaction::QueryOneImpl(std::string_view sql,
                                                     std::span<const Param> params) {
  CUSTODY_ASSIGN_OR_RETURN(std::vector<Row> rows, QueryImpl(sql, params));
  if (rows.size() > 1) {
    return Internal("query expected at most one row but returned " + std::to_string(rows.size()));
  }
  if (rows.empty()) {
    return std::optional<Row>();
  }
  return std::optional<Row>(std::move(rows.front()));
}

}  // namespace custody::store
