#include "custody/audit/checkpoint.h"

#include <algorithm>
#include <limits>

#include "custody/crypto/encoding.h"
#include "custody/crypto/hash.h"

namespace custody::audit {
namespace {

constexpr std::string_view kEmDashSpace = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr uint8_t kEd25519SignatureType = 0x01;
constexpr std::string_view kSignerKeyPrefix = "PRIVATE+KEY+";
constexpr size_t kKeyIdSize = 4;
constexpr size_t kMinSignatureFieldSize = kKeyIdSize + 1;

// Decodes the UTF-8 sequence at text[*pos] and advances *pos past it. Returns false for
// anything RFC 3629 forbids: overlong forms, surrogates, code points above U+10FFFF and
// truncated sequences.
bool NextCodePoint(std::string_view text, size_t* pos, char32_t* code_point) {
  const auto lead = static_cast<uint8_t>(text[*pos]);
  size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;

  if (lead < 0x80) {
    *code_point = lead;
    ++*pos;
    return true;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    value = lead & 0x1F;
    minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    value = lead & 0x0F;
    minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    value = lead & 0x07;
    minimum = 0x10000;
  } else {
    return false;
  }

  if (text.size() - *pos < length) {
    return false;
  }
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<uint8_t>(text[*pos + i]);
    if ((next & 0xC0) != 0x80) {
      return false;
    }
    value = (value << 6) | (next & 0x3F);
  }

  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return false;
  }
  *code_point = value;
  *pos += length;
  return true;
}

// The characters for which Go's unicode.IsSpace is true: ASCII white space, U+0085, U+00A0 and
// the Unicode Z categories. golang.org/x/mod/sumdb/note rejects key names containing them.
bool IsUnicodeSpace(char32_t c) {
  switch (c) {
    case U'\t':
    case U'\n':
    case U'\v':
    case U'\f':
    case U'\r':
    case U' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Checks the rules that apply to every byte of a note: valid UTF-8 and no ASCII control
// character other than newline.
Status ValidateNoteCharacters(std::string_view text, std::string_view label) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    char32_t c = 0;
    if (!NextCodePoint(text, &pos, &c)) {
      return InvalidArgument(std::string(label) + " is not valid UTF-8 at byte " +
                             std::to_string(start));
    }
    if (c < 0x20 && c != U'\n') {
      return InvalidArgument(std::string(label) + " contains control character " +
                             std::to_string(static_cast<uint32_t>(c)) + " at byte " +
                             std::to_string(start));
    }
  }
  return Status::Ok();
}

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) {
    return InvalidArgument("note key name is empty");
  }
  size_t pos = 0;
  while (pos < name.size()) {
    char32_t c = 0;
    if (!NextCodePoint(name, &pos, &c)) {
      return InvalidArgument("note key name is not valid UTF-8");
    }
    if (c == U'+' || IsUnicodeSpace(c) || c < 0x20) {
      return InvalidArgument("note key name \"" + std::string(name) +
                             "\" contains a space, '+' or control character");
    }
  }
  return Status::Ok();
}

Status ValidateNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return InvalidArgument("note text must be non-empty and end in a newline");
  }
  return ValidateNoteCharacters(text, "note text");
}

std::string EncodeKeyId(uint32_t key_id) {
  std::string bytes(kKeyIdSize, '\0');
  for (size_t i = 0; i < kKeyIdSize; ++i) {
    bytes[i] = static_cast<char>((key_id >> (8 * (kKeyIdSize - 1 - i))) & 0xFF);
  }
  return bytes;
}

uint32_t DecodeKeyId(std::string_view bytes) {
  uint32_t key_id = 0;
  for (size_t i = 0; i < kKeyIdSize; ++i) {
    key_id = (key_id << 8) | static_cast<uint8_t>(bytes[i]);
  }
  return key_id;
}

Result<uint32_t> ParseHexKeyId(std::string_view hex) {
  if (hex.size() != 2 * kKeyIdSize) {
    return InvalidArgument("note key ID must be 8 hex digits, got \"" + std::string(hex) + "\"");
  }
  std::optional<std::string> bytes = crypto::HexDecode(hex);
  if (!bytes.has_value()) {
    return InvalidArgument("note key ID \"" + std::string(hex) + "\" is not hex");
  }
  return DecodeKeyId(*bytes);
}

// The parts of "<name>+<hex key ID>+<base64(type || key)>", shared by verifier and signer keys.
struct KeyString {
  std::string_view name;
  uint32_t key_id = 0;
  std::string key;  // decoded, type byte removed
};

Result<KeyString> ParseKeyString(std::string_view text, std::string_view label) {
  const size_t first_plus = text.find('+');
  const size_t second_plus =
      first_plus == std::string_view::npos ? first_plus : text.find('+', first_plus + 1);
  if (second_plus == std::string_view::npos) {
    return InvalidArgument(std::string(label) + " must have the form <name>+<key ID>+<key>");
  }
  KeyString parsed;
  parsed.name = text.substr(0, first_plus);
  CUSTODY_RETURN_IF_ERROR(ValidateKeyName(parsed.name));
  CUSTODY_ASSIGN_OR_RETURN(
      parsed.key_id, ParseHexKeyId(text.substr(first_plus + 1, second_plus - first_plus - 1)));
  std::optional<std::string> key = crypto::Base64Decode(text.substr(second_plus + 1));
  if (!key.has_value() || key->empty()) {
    return InvalidArgument(std::string(label) + " has an invalid base64 key");
  }
  if (static_cast<uint8_t>((*key)[0]) != kEd25519SignatureType) {
    return InvalidArgument(std::string(label) + " has key type " +
                           std::to_string(static_cast<uint8_t>((*key)[0])) +
                           "; only Ed25519 (1) is supported");
  }
  if (key->size() != 1 + crypto::kEd25519PublicKeySize) {
    return InvalidArgument(std::string(label) + " must hold a 32-byte Ed25519 key, got " +
                           std::to_string(key->size() - 1) + " bytes");
  }
  parsed.key = key->substr(1);
  return parsed;
}

Result<NoteSignature> ParseSignatureLine(std::string_view line) {
  if (line.substr(0, kEmDashSpace.size()) != kEmDashSpace) {
    return InvalidArgument("note signature line must start with an em dash (U+2014) and a space");
  }
  const std::string_view rest = line.substr(kEmDashSpace.size());
  const size_t space = rest.find(' ');
  if (space == std::string_view::npos) {
    return InvalidArgument("note signature line must have a key name, a space and a signature");
  }
  NoteSignature signature;
  signature.key_name = std::string(rest.substr(0, space));
  CUSTODY_RETURN_IF_ERROR(ValidateKeyName(signature.key_name));
  std::optional<std::string> field = crypto::Base64Decode(rest.substr(space + 1));
  if (!field.has_value()) {
    return InvalidArgument("note signature from \"" + signature.key_name +
                           "\" is not valid base64");
  }
  if (field->size() < kMinSignatureFieldSize) {
    return InvalidArgument("note signature from \"" + signature.key_name +
                           "\" is shorter than a key ID and one byte");
  }
  signature.key_id = DecodeKeyId(*field);
  signature.signature = field->substr(kKeyIdSize);
  return signature;
}

Result<uint64_t> ParseTreeSize(std::string_view line) {
  if (line.empty()) {
    return InvalidArgument("checkpoint tree size is empty");
  }
  if (line.size() > 1 && line[0] == '0') {
    return InvalidArgument("checkpoint tree size \"" + std::string(line) + "\" has a leading zero");
  }
  uint64_t size = 0;
  for (char c : line) {
    if (c < '0' || c > '9') {
      return InvalidArgument("checkpoint tree size \"" + std::string(line) +
                             "\" is not a decimal number");
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (size > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return InvalidArgument("checkpoint tree size \"" + std::string(line) +
                             "\" does not fit in 64 bits");
    }
    size = size * 10 + digit;
  }
  return size;
}

Status ValidateCheckpointLine(std::string_view line, std::string_view label) {
  if (line.empty()) {
    return InvalidArgument("checkpoint " + std::string(label) + " is empty");
  }
  if (line.find('\n') != std::string_view::npos) {
    return InvalidArgument("checkpoint " + std::string(label) + " contains a newline");
  }
  return ValidateNoteCharacters(line, "checkpoint " + std::string(label));
}

}  // namespace

uint32_t Ed25519KeyId(std::string_view key_name, std::string_view public_key) {
  std::string input;
  input.reserve(key_name.size() + 2 + public_key.size());
  input.append(key_name);
  input.push_back('\n');
  input.push_back(static_cast<char>(kEd25519SignatureType));
  input.append(public_key);
  const crypto::Sha256Digest digest = crypto::Sha256(input);
  return DecodeKeyId(crypto::AsChars(digest));
}

Result<NoteVerifier> NoteVerifier::FromVerifierKey(std::string_view verifier_key) {
  CUSTODY_ASSIGN_OR_RETURN(KeyString parsed, ParseKeyString(verifier_key, "verifier key"));
  const uint32_t computed = Ed25519KeyId(parsed.name, parsed.key);
  if (computed != parsed.key_id) {
    return InvalidArgument("verifier key ID " + crypto::HexEncode(EncodeKeyId(parsed.key_id)) +
                           " does not match its name and public key (expected " +
                           crypto::HexEncode(EncodeKeyId(computed)) + ")");
  }
  return NoteVerifier(std::string(parsed.name), parsed.key_id, std::move(parsed.key));
}

Result<NoteVerifier> NoteVerifier::FromPublicKey(std::string_view key_name,
                                                 std::string_view public_key) {
  CUSTODY_RETURN_IF_ERROR(ValidateKeyName(key_name));
  if (public_key.size() != crypto::kEd25519PublicKeySize) {
    return InvalidArgument("Ed25519 public key must be 32 bytes, got " +
                           std::to_string(public_key.size()));
  }
  return NoteVerifier(std::string(key_name), Ed25519KeyId(key_name, public_key),
                      std::string(public_key));
}

std::string NoteVerifier::VerifierKey() const {
  std::string typed_key(1, static_cast<char>(kEd25519SignatureType));
  typed_key.append(public_key_);
  return name_ + "+" + crypto::HexEncode(EncodeKeyId(key_id_)) + "+" +
         crypto::Base64Encode(typed_key);
}

bool NoteVerifier::Verify(std::string_view text, std::string_view signature) const {
  return crypto::Ed25519Verify(public_key_, text, signature);
}

NoteSigner::NoteSigner(std::string name, crypto::Ed25519PrivateKey key)
    : name_(std::move(name)),
      key_(std::move(key)),
      public_key_(key_.PublicKey()),
      key_id_(Ed25519KeyId(name_, public_key_)) {}

Result<NoteSigner> NoteSigner::Create(std::string_view key_name, crypto::Ed25519PrivateKey key) {
  CUSTODY_RETURN_IF_ERROR(ValidateKeyName(key_name));
  return NoteSigner(std::string(key_name), std::move(key));
}

Result<NoteSigner> NoteSigner::FromSignerKey(const Secret& signer_key) {
  const std::string_view text = signer_key.Reveal();
  if (text.substr(0, kSignerKeyPrefix.size()) != kSignerKeyPrefix) {
    return InvalidArgument("signer key must start with PRIVATE+KEY+");
  }
  // The error messages of ParseKeyString name no key material, so they are safe to return.
  CUSTODY_ASSIGN_OR_RETURN(KeyString parsed,
                           ParseKeyString(text.substr(kSignerKeyPrefix.size()), "signer key"));
  const Secret seed(std::move(parsed.key));
  CUSTODY_ASSIGN_OR_RETURN(crypto::Ed25519PrivateKey key,
                           crypto::Ed25519PrivateKey::FromSeed(seed));
  NoteSigner signer(std::string(parsed.name), std::move(key));
  if (signer.key_id() != parsed.key_id) {
    return InvalidArgument("signer key ID " + crypto::HexEncode(EncodeKeyId(parsed.key_id)) +
                           " does not match its name and key");
  }
  return signer;
}

Secret NoteSigner::SignerKey() const {
  std::string typed_seed(1, static_cast<char>(kEd25519SignatureType));
  typed_seed.append(key_.Seed().Reveal());
  // Secret wipes the seed's bytes when it goes out of scope.
  const Secret seed(std::move(typed_seed));
  return Secret(std::string(kSignerKeyPrefix) + name_ + "+" +
                crypto::HexEncode(EncodeKeyId(key_id_)) + "+" +
                crypto::Base64Encode(seed.Reveal()));
}

NoteVerifier NoteSigner::Verifier() const {
  return NoteVerifier(name_, key_id_, public_key_);
}

std::string NoteSigner::SignatureField(std::string_view text) const {
  return EncodeKeyId(key_id_) + key_.Sign(text);
}

Result<SignedNote> ParseSignedNote(std::string_view note) {
  if (note.size() > kMaxNoteSize) {
    return InvalidArgument("note is larger than " + std::to_string(kMaxNoteSize) + " bytes");
  }
  CUSTODY_RETURN_IF_ERROR(ValidateNoteCharacters(note, "note"));

  // The text ends at the last blank line. Signature lines are never empty, so the last "\n\n"
  // is the separator even when the text itself contains blank lines.
  const size_t separator = note.rfind("\n\n");
  if (separator == std::string_view::npos) {
    return InvalidArgument("note has no blank line between text and signatures");
  }
  SignedNote parsed;
  parsed.text = std::string(note.substr(0, separator + 1));
  std::string_view signatures = note.substr(separator + 2);
  if (signatures.empty()) {
    return InvalidArgument("note has no signature lines");
  }
  if (signatures.back() != '\n') {
    return InvalidArgument("note must end in a newline");
  }
  while (!signatures.empty()) {
    if (parsed.signatures.size() == kMaxNoteSignatures) {
      return InvalidArgument("note has more than " + std::to_string(kMaxNoteSignatures) +
                             " signatures");
    }
    const size_t end = signatures.find('\n');
    CUSTODY_ASSIGN_OR_RETURN(NoteSignature signature,
                             ParseSignatureLine(signatures.substr(0, end)));
    parsed.signatures.push_back(std::move(signature));
    signatures.remove_prefix(end + 1);
  }
  return parsed;
}

Result<VerifiedNote> OpenSignedNote(std::string_view note,
                                    std::span<const NoteVerifier> verifiers) {
  for (size_t i = 0; i < verifiers.size(); ++i) {
    for (size_t j = i + 1; j < verifiers.size(); ++j) {
      if (verifiers[i].name() == verifiers[j].name() &&
          verifiers[i].key_id() == verifiers[j].key_id()) {
        return InvalidArgument("two trusted note keys share the name \"" + verifiers[i].name() +
                               "\" and key ID");
      }
    }
  }
  CUSTODY_ASSIGN_OR_RETURN(SignedNote parsed, ParseSignedNote(note));

  VerifiedNote verified;
  std::vector<const NoteVerifier*> seen;
  for (const NoteSignature& signature : parsed.signatures) {
    const auto match = std::find_if(verifiers.begin(), verifiers.end(), [&](const auto& v) {
      return v.name() == signature.key_name && v.key_id() == signature.key_id;
    });
    if (match == verifiers.end()) {
      continue;  // unknown key: the signed-note spec requires ignoring it
    }
    if (!match->Verify(parsed.text, signature.signature)) {
      return InvalidArgument("note signature from trusted key \"" + match->name() +
                             "\" does not verify");
    }
    if (std::find(seen.begin(), seen.end(), &*match) == seen.end()) {
      seen.push_back(&*match);
      verified.verified_key_names.push_back(match->name());
    }
  }
  if (verified.verified_key_names.empty()) {
    return InvalidArgument("note has no signature from a trusted key");
  }
  verified.text = std::move(parsed.text);
  return verified;
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner> signers) {
  CUSTODY_RETURN_IF_ERROR(ValidateNoteText(text));
  if (signers.empty()) {
    return InvalidArgument("a note needs at least one signer");
  }
  if (signers.size() > kMaxNoteSignatures) {
    return InvalidArgument("a note can have at most " + std::to_string(kMaxNoteSignatures) +
                           " signatures");
  }
  std::string note(text);
  note.push_back('\n');
  for (const NoteSigner& signer : signers) {
    note.append(kEmDashSpace);
    note.append(signer.name());
    note.push_back(' ');
    note.append(crypto::Base64Encode(signer.SignatureField(text)));
    note.push_back('\n');
  }
  if (note.size() > kMaxNoteSize) {
    return InvalidArgument("signed note would be larger than " + std::to_string(kMaxNoteSize) +
                           " bytes");
  }
  return note;
}

Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint) {
  CUSTODY_RETURN_IF_ERROR(ValidateCheckpointLine(checkpoint.origin, "origin"));
  std::string text = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                     crypto::Base64Encode(checkpoint.root) + "\n";
  for (const std::string& extension : checkpoint.extensions) {
    CUSTODY_RETURN_IF_ERROR(ValidateCheckpointLine(extension, "extension line"));
    text += extension + "\n";
  }
  return text;
}

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  CUSTODY_RETURN_IF_ERROR(ValidateNoteText(text));
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    if (end == 0) {
      return InvalidArgument("checkpoint line " + std::to_string(lines.size() + 1) + " is empty");
    }
    lines.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  if (lines.size() < 3) {
    return InvalidArgument("checkpoint needs origin, tree size and root hash lines, got " +
                           std::to_string(lines.size()) + " lines");
  }

  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  CUSTODY_ASSIGN_OR_RETURN(checkpoint.size, ParseTreeSize(lines[1]));
  std::optional<std::string> root = crypto::Base64Decode(lines[2]);
  if (!root.has_value()) {
    return InvalidArgument("checkpoint root hash is not valid base64");
  }
  Result<Hash> root_hash = HashFromBytes(*root);
  if (!root_hash.ok()) {
    return root_hash.status().WithContext("checkpoint root");
  }
  checkpoint.root = *root_hash;
  if (checkpoint.size == 0 && checkpoint.root != EmptyRoot()) {
    return InvalidArgument("checkpoint of size 0 must carry the empty tree's root");
  }
  for (size_t i = 3; i < lines.size(); ++i) {
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& signer) {
  if (checkpoint.size == 0) {
    return InvalidArgument(
        "checkpoint of size 0 cannot be signed: Custody signs only non-empty trees");
  }
  CUSTODY_ASSIGN_OR_RETURN(std::string text, FormatCheckpoint(checkpoint));
  return SignNote(text, std::span<const NoteSigner>(&signer, 1));
}

Result<Checkpoint> OpenCheckpoint(std::string_view note, std::string_view expected_origin,
                                  std::span<const NoteVerifier> verifiers) {
  CUSTODY_ASSIGN_OR_RETURN(VerifiedNote verified, OpenSignedNote(note, verifiers));
  CUSTODY_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(verified.text));
  if (checkpoint.origin != expected_origin) {
    return InvalidArgument("checkpoint origin \"" + checkpoint.origin +
                           "\" is not the expected \"" + std::string(expected_origin) + "\"");
  }
  return checkpoint;
}

}  // namespace custody::audit
