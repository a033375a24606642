#include "custody/audit/record.h"

#include <array>

#include "custody/store/database.h"

namespace custody::audit {
namespace {

// The text fields in encoding order.
std::array<const std::string*, 8> Fields(const Record& record) {
  return {&record.organization_id, &record.actor,  &record.action,     &record.resource,
          &record.decision,        &record.reason, &record.request_id, &record.source};
}

std::array<std::string*, 8> Fields(Record& record) {
  return {&record.organization_id, &record.actor,  &record.action,     &record.resource,
          &record.decision,        &record.reason, &record.request_id, &record.source};
}

void AppendBigEndian(uint64_t value, int bytes, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool ReadBigEndian(int size, uint64_t* value) {
    if (bytes_.size() < static_cast<size_t>(size)) {
      return false;
    }
    *value = 0;
    for (int i = 0; i < size; ++i) {
      *value = (*value << 8) | static_cast<uint8_t>(bytes_[static_cast<size_t>(i)]);
    }
    bytes_.remove_prefix(static_cast<size_t>(size));
    return true;
  }

  bool ReadField(std::string* field) {
    uint64_t length = 0;
    if (!ReadBigEndian(4, &length) || length > kMaxFieldBytes || bytes_.size() < length) {
      return false;
    }
    field->assign(bytes_.substr(0, length));
    bytes_.remove_prefix(length);
    return true;
  }

  bool empty() const { return bytes_.empty(); }

 private:
  std::string_view bytes_;
};

}  // namespace

Status ValidateRecord(const Record& record) {
  if (record.actor.empty()) {
    return InvalidArgument("audit record actor is missing");
  }
  if (record.action.empty()) {
    return InvalidArgument("audit record action is missing");
  }
  if (record.decision != kDecisionAllow && record.decision != kDecisionDeny) {
    return InvalidArgument("audit record decision must be \"allow\" or \"deny\", got \"" +
                           record.decision + "\"");
  }
  for (const std::string* field : Fields(record)) {
    if (field->size() > kMaxFieldBytes) {
      return InvalidArgument("audit record field is " + std::to_string(field->size()) +
                             " bytes; the maximum is " + std::to_string(kMaxFieldBytes));
    }
  }
  return Status::Ok();
}

std::string Encode(uint64_t seq, const Record& record) {
  std::string out;
  out.push_back(static_cast<char>(kEncodingVersion));
  AppendBigEndian(seq, 8, &out);
  AppendBigEndian(static_cast<uint64_t>(store::ToUnixMicros(record.time)), 8, &out);
  for (const std::string* field : Fields(record)) {
    AppendBigEndian(field->size(), 4, &out);
    out += *field;
  }
  return out;
}

Result<DecodedRecord> Decode(std::string_view bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kEncodingVersion) {
    return InvalidArgument("audit record encoding version is not 1");
  }
  Reader reader(bytes.substr(1));
  DecodedRecord decoded;
  uint64_t micros = 0;
  if (!reader.ReadBigEndian(8, &decoded.seq) || !reader.ReadBigEndian(8, &micros)) {
    return InvalidArgument("audit record encoding is truncated");
  }
  decoded.record.time = store::FromUnixMicros(static_cast<int64_t>(micros));
  for (std::string* field : Fields(decoded.record)) {
    if (!reader.ReadField(field)) {
      return InvalidArgument("audit record encoding has a truncated or oversized field");
    }
  }
  if (!reader.empty()) {
    return InvalidArgument("audit record encoding has trailing bytes");
  }
  CUSTODY_RETURN_IF_ERROR(ValidateRecord(decoded.record));
  return decoded;
}

}  // namespace custody::audit
