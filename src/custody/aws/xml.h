// Just enough XML for AWS responses: the text of a uniquely named leaf element. AWS's STS and
// S3 responses are flat, namespace-default documents, so no general parser is needed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace custody::aws::xml {

enum class Lookup {
  kFound,
  kMissing,
  kMalformed
};

// Finds the content of the one element <name> (or <name attributes...>) in `document`. An
// element that appears twice, or has no end tag, is kMalformed.
Lookup FindElement(std::string_view document, std::string_view name, std::string_view* content);

// Returns the content of each <name> (or <name attributes...>) element in `document`, in order,
// for repeated elements such as ListParts' <Part>. Elements of that name must not nest. Returns
// false when one has no end tag.
bool FindElements(std::string_view document, std::string_view name,
                  std::vector<std::string_view>* contents);

// Decodes the five predefined entities and ASCII character references. Returns false for
// markup ('<') or any other '&' sequence.
bool DecodeText(std::string_view text, std::string* out);

// The decoded text of <name>, cut to `max_size` bytes; empty when absent or malformed.
std::string TextOrEmpty(std::string_view document, std::string_view name, size_t max_size);

}  // namespace custody::aws::xml
