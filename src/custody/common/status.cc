#include "custody/common/status.h"

#include "custody/common/error_catalog.h"

namespace custody {

Status Status::WithContext(std::string_view context) const {
  if (ok()) {
    return *this;
  }
  return {code_, std::string(context) + ": " + message_, field_};
}

std::string Status::ToString() const {
  if (ok()) {
    return "OK";
  }
  std::string text(DescribeError(code_).name);
  text += ": ";
  text += message_;
  if (!field_.empty()) {
    text += " (field " + field_ + ")";
  }
  return text;
}

}  // namespace custody
