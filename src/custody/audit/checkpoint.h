// C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures, and the C2SP transparency
// log checkpoints (c2sp.org/tlog-checkpoint) that the audit log signs with them.
//
// A signed note is a text ending in a newline, a blank line, then one or more signature lines
//   — <key name> <base64(4-byte big-endian key ID || 64-byte Ed25519 signature)>
// starting with an em dash (U+2014) and a space. The signature covers the text, final newline
// included. The key ID is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || 32-byte
// public key), where 0x01 is the signed-note type byte for Ed25519. A verifier key ("vkey") is
// written <key name>+<8 hex digits of key ID>+<base64(0x01 || public key)>.
//
// A checkpoint's note text is three or more non-empty lines: the origin (the log's identity),
// the tree size in decimal without leading zeros, the base64 root hash, then optional
// extension lines.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/audit/merkle.h"
#include "custody/common/secret.h"
#include "custody/common/status.h"
#include "custody/crypto/ed25519.h"

namespace custody::audit {

// Limits on a note's size and signature count, which bound the work an untrusted note can cause.
// The spec requires accepting at least 16 signatures and warns that post-quantum signatures
// reach about 5 kB, so both limits leave room. golang.org/x/mod/sumdb/note also stops at 100.
inline constexpr size_t kMaxNoteSize = 1024 * 1024;
inline constexpr size_t kMaxNoteSignatures = 100;

// Returns the signed-note key ID of an Ed25519 key: the first 4 bytes, big-endian, of
// SHA-256(key_name || 0x0A || 0x01 || public_key).
uint32_t Ed25519KeyId(std::string_view key_name, std::string_view public_key);

// A trusted Ed25519 note key, identified by its name and key ID together.
class NoteVerifier {
 public:
  // Parses a verifier key string. Rejects a name that is empty or contains a Unicode space or
  // '+', and a key ID that is not 8 hex digits. Also rejects a key type other than Ed25519 (0x01),
  // a public key that is not 32 bytes, and a key ID that does not match the name and key.
  static Result<NoteVerifier> FromVerifierKey(std::string_view verifier_key);

  // Makes a verifier from a key name and a raw 32-byte public key; computes the key ID.
  static Result<NoteVerifier> FromPublicKey(std::string_view key_name, std::string_view public_key);

  const std::string& name() const { return name_; }

  uint32_t key_id() const { return key_id_; }

  const std::string& public_key() const { return public_key_; }

  // The verifier key string that FromVerifierKey parses.
  std::string VerifierKey() const;

  // Verifies a 64-byte Ed25519 signature (the signature bytes after the key ID) over `text`.
  bool Verify(std::string_view text, std::string_view signature) const;

 private:
  friend class NoteSigner;

  NoteVerifier(std::string name, uint32_t key_id, std::string public_key)
      : name_(std::move(name)), key_id_(key_id), public_key_(std::move(public_key)) {}

  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;
};

// An Ed25519 note signing key with its key name.
class NoteSigner {
 public:
  // Rejects a key name that is empty or contains a Unicode space or '+'.
  static Result<NoteSigner> Create(std::string_view key_name, crypto::Ed25519PrivateKey key);

  // Parses the signer key string of golang.org/x/mod/sumdb/note:
  // PRIVATE+KEY+<key name>+<8 hex digits of key ID>+<base64(0x01 || 32-byte seed)>.
  static Result<NoteSigner> FromSignerKey(const Secret& signer_key);

  const std::string& name() const { return name_; }

  uint32_t key_id() const { return key_id_; }

  NoteVerifier Verifier() const;

  // The signer key string that FromSignerKey parses, which contains the private key.
  Secret SignerKey() const;

  // Signs `text` and returns the 68-byte signature field: the big-endian key ID followed by
  // the Ed25519 signature. `text` is not validated here; SignNote does that.
  std::string SignatureField(std::string_view text) const;

 private:
  NoteSigner(std::string name, crypto::Ed25519PrivateKey key);

  std::string name_;
  crypto::Ed25519PrivateKey key_;
  std::string public_key_;
  uint32_t key_id_ = 0;
};

// One signature line of a note, decoded but not verified.
struct NoteSignature {
  std::string key_name;
  uint32_t key_id = 0;
  std::string signature;  // the bytes after the key ID
};

// A note split into its text and signature lines.
struct SignedNote {
  std::string text;  // ends in a newline, which the signatures cover
  std::vector<NoteSignature> signatures;
};

// Splits a signed note at its last blank line and decodes the signature lines; verifies
// nothing. Rejects a note that is over kMaxNoteSize, is not valid UTF-8, contains an ASCII
// control character other than newline, has no blank line, or has a signature line that is
// malformed: no em dash and space, an invalid key name, invalid base64, fewer than 5 decoded
// bytes, or more than kMaxNoteSignatures lines.
Result<SignedNote> ParseSignedNote(std::string_view note);

// A note whose signatures from trusted keys all verified.
struct VerifiedNote {
  std::string text;
  std::vector<std::string> verified_key_names;  // one per trusted key that signed, in order
};

// Parses `note` and verifies the signatures of the keys in `verifiers`, matched by name and
// key ID together. Signatures from other keys are ignored, even when they share a name or a
// key ID with a trusted key. Every signature from a trusted key must verify, repeated ones
// included, or the whole note is rejected; at least one must be present. Also rejects a
// `verifiers` list in which two keys share a name and key ID.
Result<VerifiedNote> OpenSignedNote(std::string_view note, std::span<const NoteVerifier> verifiers);

// Signs `text` with every signer and returns the note. Rejects text that is empty, does not end
// in a newline, is not valid UTF-8 or contains an ASCII control character other than newline.
// Also rejects an empty or oversized list of signers, and a note that would exceed kMaxNoteSize.
Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner> signers);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // extension lines, without their newlines
};

// Formats the checkpoint's note text. Rejects an empty origin or extension line, or one that
// contains a newline, another control character or invalid UTF-8.
Result<std::string> FormatCheckpoint(const Checkpoint& checkpoint);

// Parses a checkpoint's note text strictly. The text must end in a newline and have at least
// three lines, none of them empty. The size must be decimal digits that fit in 64 bits, with no
// sign and no leading zero (except "0" itself). The root must be canonical padded base64 of
// exactly 32 bytes, and for size 0 it must be the empty tree's root.
Result<Checkpoint> ParseCheckpoint(std::string_view text);

// Formats and signs a checkpoint. Custody's policy is to never sign a checkpoint of size 0
// (consistency from size 0 is undefined, see merkle.h), so size 0 is rejected.
Result<std::string> SignCheckpoint(const Checkpoint& checkpoint, const NoteSigner& signer);

// Verifies a signed checkpoint as OpenSignedNote does, parses its text as ParseCheckpoint
// does, and rejects it unless its origin equals `expected_origin`, so that a checkpoint of
// one log is never accepted for another that trusts the same key.
Result<Checkpoint> OpenCheckpoint(std::string_view note, std::string_view expected_origin,
                                  std::span<const NoteVerifier> verifiers);

}  // namespace custody::audit
