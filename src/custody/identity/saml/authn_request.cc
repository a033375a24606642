#include "custody/identity/saml/authn_request.h"

#include <zlib.h>

#include <array>

#include "custody/crypto/encoding.h"
#include "custody/crypto/random.h"

namespace custody::identity::saml {
namespace {

constexpr std::string_view kPostBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
constexpr std::string_view kNameIdUnspecified =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

std::string RequestedContextXml(const std::vector<std::string>& contexts) {
  if (contexts.empty()) {
    return "";
  }
  std::string xml = "<samlp:RequestedAuthnContext Comparison=\"exact\">";
  for (const std::string& context : contexts) {
    xml += "<saml:AuthnContextClassRef>" + XmlEscape(context) + "</saml:AuthnContextClassRef>";
  }
  return xml + "</samlp:RequestedAuthnContext>";
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 0xF];
    }
  }
  return encoded;
}

Result<std::string> Deflate(std::string_view data) {
  z_stream stream{};
  // Negative window bits: raw DEFLATE without the zlib header, as the binding requires.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Internal("deflateInit2 failed");
  }
  std::string output(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  const int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) {
    return Internal("deflate failed");
  }
  output.resize(stream.total_out);
  return output;
}

Result<std::string> Inflate(std::string_view data, size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, -15) != Z_OK) {
    return Internal("inflateInit2 failed");
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string output;
  std::array<char, 16384> chunk;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) {
      inflateEnd(&stream);
      return InvalidArgument("the DEFLATE data is invalid");
    }
    output.append(chunk.data(), chunk.size() - stream.avail_out);
    if (output.size() > max_output) {
      inflateEnd(&stream);
      return InvalidArgument("the inflated data is longer than " + std::to_string(max_output) +
                             " bytes");
    }
    if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return InvalidArgument("the DEFLATE data is truncated");
    }
  }
  inflateEnd(&stream);
  return output;
}

Result<AuthnRequest> BuildAuthnRequest(const AuthnRequestSpec& spec, const Clock& clock) {
  AuthnRequest request;
  // An xs:ID must not start with a digit, hence the underscore.
  request.id = "_" + crypto::HexEncode(crypto::RandomBytes(16));
  request.xml =
      "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
      "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"" +
      request.id + "\" Version=\"2.0\" IssueInstant=\"" + FormatRfc3339(clock.Now()) +
      "\" Destination=\"" + XmlEscape(spec.idp_sso_url) + "\" AssertionConsumerServiceURL=\"" +
      XmlEscape(spec.acs_url) + "\" ProtocolBinding=\"" + std::string(kPostBinding) +
      "\"><saml:Issuer>" + XmlEscape(spec.sp_entity_id) +
      "</saml:Issuer><samlp:NameIDPolicy Format=\"" + std::string(kNameIdUnspecified) +
      "\" AllowCreate=\"true\"/>" + RequestedContextXml(spec.requested_contexts) +
      "</samlp:AuthnRequest>";

  CUSTODY_ASSIGN_OR_RETURN(const std::string deflated, Deflate(request.xml));
  const char separator = spec.idp_sso_url.find('?') == std::string::npos ? '?' : '&';
  request.redirect_url =
      spec.idp_sso_url + separator + "SAMLRequest=" + UrlEncode(crypto::Base64Encode(deflated));
  return request;
}

}  // namespace custody::identity::saml
