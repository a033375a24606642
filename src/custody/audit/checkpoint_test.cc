#include "custody/audit/checkpoint.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "custody/crypto/encoding.h"

namespace custody::audit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kEmDash = "\xE2\x80\x94";

NoteSigner MakeSigner(std::string_view name) {
  Result<NoteSigner> signer = NoteSigner::Create(name, crypto::Ed25519PrivateKey::Generate());
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return std::move(signer).value();
}

std::string Sign(std::string_view text, const std::vector<NoteSigner>& signers) {
  Result<std::string> note = SignNote(text, signers);
  EXPECT_TRUE(note.ok()) << note.status().ToString();
  return note.ok() ? *note : "";
}

Status Open(std::string_view note, const std::vector<NoteVerifier>& verifiers) {
  return OpenSignedNote(note, verifiers).status();
}

Checkpoint SampleCheckpoint() {
  Checkpoint checkpoint;
  checkpoint.origin = "audit.example.com/org_4Jk0sQ9vTQm2bX7yLp1aZc";
  checkpoint.size = 1234;
  checkpoint.root = LeafHash("not a real root");
  return checkpoint;
}

TEST(SignedNoteTest, SignAndOpen) {
  const NoteSigner signer = MakeSigner("custody.example/audit");
  const std::string text = "line one\n\nline three after a blank line\n";
  const std::string note = Sign(text, {signer});
  ASSERT_EQ(note.substr(0, text.size() + 1), text + "\n");
  EXPECT_EQ(note.substr(text.size() + 1, kEmDash.size() + 1), std::string(kEmDash) + " ");

  Result<VerifiedNote> opened = OpenSignedNote(note, std::vector{signer.Verifier()});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, text);
  EXPECT_EQ(opened->verified_key_names, std::vector<std::string>{"custody.example/audit"});
}

TEST(SignedNoteTest, VerifierKeyRoundTrip) {
  const NoteSigner signer = MakeSigner("custody.example/audit");
  const std::string vkey = signer.Verifier().VerifierKey();
  Result<NoteVerifier> parsed = NoteVerifier::FromVerifierKey(vkey);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name(), signer.name());
  EXPECT_EQ(parsed->key_id(), signer.key_id());
  EXPECT_EQ(parsed->VerifierKey(), vkey);

  Result<NoteVerifier> from_public =
      NoteVerifier::FromPublicKey(signer.name(), parsed->public_key());
  ASSERT_TRUE(from_public.ok());
  EXPECT_EQ(from_public->VerifierKey(), vkey);
}

TEST(SignedNoteTest, VerifierKeyRejectsMalformed) {
  const NoteSigner signer = MakeSigner("a.example/k");
  const std::string vkey = signer.Verifier().VerifierKey();
  const size_t first_plus = vkey.find('+');
  const std::string key_part = vkey.substr(first_plus + 10);  // after "+<8 hex>+"
  std::optional<std::string> typed_key = crypto::Base64Decode(key_part);
  ASSERT_TRUE(typed_key.has_value());
  std::string other_type = *typed_key;
  other_type[0] = '\x02';
  const std::string hex = vkey.substr(first_plus + 1, 8);

  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"name only", "a.example/k"},
      {"no key", "a.example/k+" + hex},
      {"empty name", "+" + hex + "+" + key_part},
      {"space in name", "a example/k+" + hex + "+" + key_part},
      {"no-break space in name",
       "a\xC2\xA0"
       "example/k+" +
           hex + "+" + key_part},
      {"wrong key ID", "a.example/k+00000000+" + key_part},
      {"short key ID", "a.example/k+" + hex.substr(0, 7) + "+" + key_part},
      {"key ID not hex", "a.example/k+zzzzzzzz+" + key_part},
      {"other name", "b.example/k+" + hex + "+" + key_part},
      {"key type 2", "a.example/k+" + hex + "+" + crypto::Base64Encode(other_type)},
      {"short key", "a.example/k+" + hex + "+" + crypto::Base64Encode(typed_key->substr(0, 32))},
      {"bad base64", "a.example/k+" + hex + "+" + key_part + "!"},
  };
  for (const auto& [name, text] : cases) {
    EXPECT_FALSE(NoteVerifier::FromVerifierKey(text).ok()) << name;
  }
  EXPECT_FALSE(NoteVerifier::FromPublicKey("a.example/k", std::string(31, 'k')).ok());
  EXPECT_FALSE(NoteVerifier::FromPublicKey("a+b", std::string(32, 'k')).ok());
}

TEST(SignedNoteTest, SignerRejectsInvalidNames) {
  for (const char* name :
       {"", "a b", "a+b", "tab\there", "line\nbreak", "ideographic\u3000space", "en\u2002space"}) {
    EXPECT_FALSE(NoteSigner::Create(name, crypto::Ed25519PrivateKey::Generate()).ok()) << name;
  }
}

TEST(SignedNoteTest, UnknownSignaturesAreIgnored) {
  const NoteSigner log = MakeSigner("log.example/a");
  const NoteSigner witness = MakeSigner("witness.example/w");
  const std::string note = Sign("body\n", {witness, log});

  Result<VerifiedNote> opened = OpenSignedNote(note, std::vector{log.Verifier()});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->verified_key_names, std::vector<std::string>{"log.example/a"});

  Result<VerifiedNote> both = OpenSignedNote(note, std::vector{log.Verifier(), witness.Verifier()});
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->verified_key_names,
            (std::vector<std::string>{"witness.example/w", "log.example/a"}));
}

TEST(SignedNoteTest, NoTrustedSignatureIsRejected) {
  const NoteSigner log = MakeSigner("log.example/a");
  const NoteSigner other = MakeSigner("log.example/a");  // same name, different key and key ID
  const std::string note = Sign("body\n", {log});
  EXPECT_TRUE(Open(note, {log.Verifier()}).ok());
  EXPECT_FALSE(Open(note, {other.Verifier()}).ok());
  EXPECT_FALSE(Open(note, {}).ok());
}

TEST(SignedNoteTest, KnownKeyWithBadSignatureRejectsNote) {
  const NoteSigner log = MakeSigner("log.example/a");
  const NoteSigner backup = MakeSigner("log.example/b");
  std::string note = Sign("body\n", {log, backup});
  ASSERT_TRUE(Open(note, {log.Verifier(), backup.Verifier()}).ok());

  // Replace backup's signature by one over different text: it still names a known key, so
  // the whole note fails even though log's signature is good.
  const std::string other_note = Sign("other\n", {backup});
  const std::string backup_line = other_note.substr(other_note.find(kEmDash));
  const std::string log_line = note.substr(note.find(kEmDash));
  const std::string tampered =
      "body\n\n" + log_line.substr(0, log_line.find('\n') + 1) + backup_line;
  EXPECT_FALSE(Open(tampered, {log.Verifier(), backup.Verifier()}).ok());
  EXPECT_TRUE(Open(tampered, {log.Verifier()}).ok());
}

TEST(SignedNoteTest, RepeatedSignaturesMustAllVerify) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string note = Sign("body\n", {log, log});
  Result<VerifiedNote> opened = OpenSignedNote(note, std::vector{log.Verifier()});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->verified_key_names, std::vector<std::string>{"log.example/a"});

  // A second line from the same key over other text must not be skipped unverified.
  const std::string other_note = Sign("other\n", {log});
  const std::string bad_line = other_note.substr(other_note.find(kEmDash));
  EXPECT_FALSE(Open(note + bad_line, {log.Verifier()}).ok());
}

TEST(SignedNoteTest, DuplicateVerifiersAreRejected) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string note = Sign("body\n", {log});
  const Status status = Open(note, {log.Verifier(), log.Verifier()});
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
}

TEST(SignedNoteTest, AnyFlippedByteIsRejected) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string note = Sign("origin\n5\nroot\n", {log});
  for (size_t i = 0; i < note.size(); ++i) {
    std::string flipped = note;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(Open(flipped, {log.Verifier()}).ok()) << "byte " << i;
  }
}

TEST(SignedNoteTest, MalformedNotesAreRejected) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string note = Sign("body\n", {log});
  const std::string line = note.substr(note.find(kEmDash));  // "— name sig\n"
  const std::string field = line.substr(line.rfind(' ') + 1, line.size() - line.rfind(' ') - 2);

  const std::pair<const char*, std::string> cases[] = {
      {"no blank line", "body\n" + line},
      {"no signature", "body\n\n"},
      {"no final newline", note.substr(0, note.size() - 1)},
      {"ASCII hyphen", "body\n\n- " + line.substr(kEmDash.size() + 1)},
      {"en dash", "body\n\n\xE2\x80\x93 " + line.substr(kEmDash.size() + 1)},
      {"no space after dash", "body\n\n" + std::string(kEmDash) + line.substr(kEmDash.size() + 1)},
      {"two spaces", "body\n\n" + std::string(kEmDash) + " log.example/a  " + field + "\n"},
      {"no signature field", "body\n\n" + std::string(kEmDash) + " log.example/a\n"},
      {"plus in name", "body\n\n" + std::string(kEmDash) + " log+example " + field + "\n"},
      {"bad base64", "body\n\n" + std::string(kEmDash) + " log.example/a " + field + "!\n"},
      {"unpadded base64",
       "body\n\n" + std::string(kEmDash) + " log.example/a " + field.substr(0, 91) + "\n"},
      {"short field", "body\n\n" + std::string(kEmDash) + " log.example/a AAAAAA==\n"},
      {"carriage return", "body\r\n\n" + line},
      {"control character",
       "bo\x01"
       "dy\n\n" +
           line},
      {"tab", "bo\tdy\n\n" + line},
      {"NUL", std::string("bo\0dy\n\n", 7) + line},
      {"overlong UTF-8",
       "bo\xC0\x80"
       "dy\n\n" +
           line},
      {"surrogate",
       "bo\xED\xA0\x80"
       "dy\n\n" +
           line},
      {"truncated UTF-8",
       "bo\xE2\x80"
       "\n\n" +
           line},
      {"above U+10FFFF",
       "bo\xF4\x90\x80\x80"
       "dy\n\n" +
           line},
      {"blank line after signatures", note + "\n"},
      {"empty signature line", "body\n\n" + line + "\n" + line},
  };
  for (const auto& [name, text] : cases) {
    const Status status = Open(text, {log.Verifier()});
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << name;
  }
}

TEST(SignedNoteTest, SignatureCountLimit) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string note = Sign("body\n", {log});
  const std::string line = note.substr(note.find(kEmDash));
  const NoteSigner other = MakeSigner("other.example/o");
  const std::string other_note = Sign("body\n", {other});
  const std::string other_line = other_note.substr(other_note.find(kEmDash));

  std::string sixteen = "body\n\n";
  for (int i = 0; i < 15; ++i) {
    sixteen += other_line;
  }
  sixteen += line;
  EXPECT_TRUE(Open(sixteen, {log.Verifier()}).ok());

  std::string too_many = "body\n\n";
  for (size_t i = 0; i < kMaxNoteSignatures; ++i) {
    too_many += other_line;
  }
  too_many += line;
  EXPECT_FALSE(Open(too_many, {log.Verifier()}).ok());
}

TEST(SignedNoteTest, SizeLimit) {
  const NoteSigner log = MakeSigner("log.example/a");
  const std::string large_text = std::string(kMaxNoteSize, 'x') + "\n";
  EXPECT_FALSE(SignNote(large_text, std::vector{log}).ok());

  const std::string note = Sign("body\n", {log});
  const std::string padded = std::string(kMaxNoteSize, 'x') + "\n" + note;
  EXPECT_FALSE(Open(padded, {log.Verifier()}).ok());
}

TEST(SignedNoteTest, SignRejectsInvalidText) {
  const NoteSigner log = MakeSigner("log.example/a");
  for (const char* text : {"", "no newline", "tab\there\n", "cr\r\n", "bad \xFF utf8\n"}) {
    EXPECT_FALSE(SignNote(text, std::vector{log}).ok()) << text;
  }
  EXPECT_FALSE(SignNote("body\n", std::vector<NoteSigner>{}).ok());
}

TEST(SignedNoteTest, SignerKeyStringRejectsMalformed) {
  const Secret good(
      "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  ASSERT_TRUE(NoteSigner::FromSignerKey(good).ok());
  for (const char* text :
       {"", "PRIVATE+KEY+", "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann2+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"}) {
    EXPECT_FALSE(NoteSigner::FromSignerKey(Secret(text)).ok()) << text;
  }
}

fs::path ConformanceDir() {
  if (const char* dir = std::getenv("CUSTODY_CONFORMANCE_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  return CUSTODY_CONFORMANCE_DIR;
}

class C2spExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path path = ConformanceDir() / "c2sp-signed-note-example.json";
    if (!fs::exists(path)) {
      GTEST_SKIP() << "conformance data not found at " << path
                   << "; set CUSTODY_CONFORMANCE_DIR to the shared conformance folder";
    }
    std::ifstream in(path);
    example_ = json::parse(in);
  }

  json example_;
};

TEST_F(C2spExampleTest, VerifiesSpecExample) {
  const std::string vkey = example_.at("vkey").get<std::string>();
  Result<NoteVerifier> verifier = NoteVerifier::FromVerifierKey(vkey);
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  EXPECT_EQ(verifier->name(), "example.com/foo");
  EXPECT_EQ(verifier->key_id(), 0x530d903au);
  EXPECT_EQ(Ed25519KeyId(verifier->name(), verifier->public_key()), 0x530d903au);
  EXPECT_EQ(verifier->VerifierKey(), vkey);

  const std::string note = example_.at("note").get<std::string>();
  Result<VerifiedNote> opened = OpenSignedNote(note, std::vector{*verifier});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, example_.at("note_text_signed").get<std::string>());
  EXPECT_EQ(opened->verified_key_names, std::vector<std::string>{"example.com/foo"});
}

TEST_F(C2spExampleTest, DerivedNegativeCases) {
  Result<NoteVerifier> verifier =
      NoteVerifier::FromVerifierKey(example_.at("vkey").get<std::string>());
  ASSERT_TRUE(verifier.ok());
  const std::vector<NoteVerifier> trusted = {*verifier};
  const std::string note = example_.at("note").get<std::string>();
  ASSERT_TRUE(Open(note, trusted).ok());

  std::string flipped_text = note;
  flipped_text[0] ^= 0x01;
  EXPECT_FALSE(Open(flipped_text, trusted).ok()) << "flipped text";

  std::string unknown_name = note;
  unknown_name.replace(unknown_name.find("example.com/foo"), 15, "example.com/bar");
  EXPECT_FALSE(Open(unknown_name, trusted).ok()) << "unknown key name";

  // Same name, different key ID: the first byte of the base64 field changes the key ID.
  std::string other_id = note;
  const size_t field = other_id.find("example.com/foo ") + 16;
  other_id[field] = other_id[field] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Open(other_id, trusted).ok()) << "same name, different key ID";

  std::string no_blank_line = note;
  no_blank_line.erase(no_blank_line.find("\n\n"), 1);
  EXPECT_FALSE(Open(no_blank_line, trusted).ok()) << "missing blank line";

  std::string control = note;
  control.insert(4, "\x07");
  EXPECT_FALSE(Open(control, trusted).ok()) << "control character";

  std::string hyphen = note;
  hyphen.replace(hyphen.find(kEmDash), kEmDash.size(), "-");
  EXPECT_FALSE(Open(hyphen, trusted).ok()) << "ASCII hyphen";
}

TEST_F(C2spExampleTest, DeterministicSigningMatchesGoByteForByte) {
  const json& kat = example_.at("go_sumdb_note_kat");
  Result<NoteSigner> signer =
      NoteSigner::FromSignerKey(Secret(kat.at("signer_key").get<std::string>()));
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->Verifier().VerifierKey(), kat.at("vkey").get<std::string>());

  const std::string text = kat.at("text").get<std::string>();
  Result<std::string> note = SignNote(text, std::vector{*signer});
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  EXPECT_EQ(*note, kat.at("note").get<std::string>());

  Result<NoteVerifier> verifier = NoteVerifier::FromVerifierKey(kat.at("vkey").get<std::string>());
  ASSERT_TRUE(verifier.ok());
  Result<VerifiedNote> opened = OpenSignedNote(*note, std::vector{*verifier});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->text, text);
}

TEST(CheckpointTest, FormatAndParseRoundTrip) {
  Checkpoint checkpoint = SampleCheckpoint();
  checkpoint.extensions = {"first extension", "second: x"};
  Result<std::string> text = FormatCheckpoint(checkpoint);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, checkpoint.origin + "\n1234\n" + crypto::Base64Encode(checkpoint.root) +
                       "\nfirst extension\nsecond: x\n");

  Result<Checkpoint> parsed = ParseCheckpoint(*text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->origin, checkpoint.origin);
  EXPECT_EQ(parsed->size, checkpoint.size);
  EXPECT_EQ(parsed->root, checkpoint.root);
  EXPECT_EQ(parsed->extensions, checkpoint.extensions);
}

TEST(CheckpointTest, ParseAcceptsBoundaryValues) {
  const std::string root = crypto::Base64Encode(LeafHash("x"));
  Result<Checkpoint> largest = ParseCheckpoint("o\n18446744073709551615\n" + root + "\n");
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_EQ(largest->size, UINT64_MAX);

  Result<Checkpoint> empty_tree =
      ParseCheckpoint("o\n0\n" + crypto::Base64Encode(EmptyRoot()) + "\n");
  ASSERT_TRUE(empty_tree.ok()) << empty_tree.status().ToString();
  EXPECT_EQ(empty_tree->size, 0u);
}

TEST(CheckpointTest, ParseRejectsMalformed) {
  const std::string root = crypto::Base64Encode(LeafHash("x"));
  const std::string short_root = crypto::Base64Encode(std::string(31, 'r'));
  const std::string long_root = crypto::Base64Encode(std::string(33, 'r'));
  const std::pair<const char*, std::string> cases[] = {
      {"empty", ""},
      {"no final newline", "o\n1\n" + root},
      {"two lines", "o\n1\n"},
      {"empty origin", "\n1\n" + root + "\n"},
      {"leading zero", "o\n01\n" + root + "\n"},
      {"double zero", "o\n00\n" + root + "\n"},
      {"plus sign", "o\n+1\n" + root + "\n"},
      {"minus sign", "o\n-1\n" + root + "\n"},
      {"space before size", "o\n 1\n" + root + "\n"},
      {"space after size", "o\n1 \n" + root + "\n"},
      {"hex size", "o\n0x10\n" + root + "\n"},
      {"empty size", "o\n\n" + root + "\n"},
      {"size overflow", "o\n18446744073709551616\n" + root + "\n"},
      {"31-byte root", "o\n1\n" + short_root + "\n"},
      {"33-byte root", "o\n1\n" + long_root + "\n"},
      {"root not base64", "o\n1\nnot base64!\n"},
      {"unpadded root", "o\n1\n" + root.substr(0, root.size() - 1) + "\n"},
      {"empty extension line", "o\n1\n" + root + "\n\next\n"},
      {"trailing empty line", "o\n1\n" + root + "\n\n"},
      {"carriage return", "o\r\n1\n" + root + "\n"},
      {"size 0 with another root", "o\n0\n" + root + "\n"},
  };
  for (const auto& [name, text] : cases) {
    EXPECT_FALSE(ParseCheckpoint(text).ok()) << name;
  }
}

TEST(CheckpointTest, FormatRejectsInvalidLines) {
  Checkpoint checkpoint = SampleCheckpoint();
  checkpoint.origin = "";
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint.origin = "two\nlines";
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint = SampleCheckpoint();
  checkpoint.extensions = {""};
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint.extensions = {"tab\there"};
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
}

TEST(CheckpointTest, SignAndOpen) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner signer = MakeSigner(checkpoint.origin);
  Result<std::string> note = SignCheckpoint(checkpoint, signer);
  ASSERT_TRUE(note.ok()) << note.status().ToString();

  Result<Checkpoint> opened =
      OpenCheckpoint(*note, checkpoint.origin, std::vector{signer.Verifier()});
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->size, checkpoint.size);
  EXPECT_EQ(opened->root, checkpoint.root);
}

TEST(CheckpointTest, OpenRejectsOtherOrigin) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner signer = MakeSigner("deployment.example/audit-key");
  Result<std::string> note = SignCheckpoint(checkpoint, signer);
  ASSERT_TRUE(note.ok());
  EXPECT_TRUE(OpenCheckpoint(*note, checkpoint.origin, std::vector{signer.Verifier()}).ok());
  EXPECT_FALSE(
      OpenCheckpoint(*note, "audit.example.com/org_other", std::vector{signer.Verifier()}).ok());
}

TEST(CheckpointTest, TamperedSizeOrRootIsRejected) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner signer = MakeSigner(checkpoint.origin);
  Result<std::string> note = SignCheckpoint(checkpoint, signer);
  ASSERT_TRUE(note.ok());
  std::string smaller = *note;
  smaller.replace(smaller.find("\n1234\n"), 6, "\n1233\n");
  EXPECT_FALSE(OpenCheckpoint(smaller, checkpoint.origin, std::vector{signer.Verifier()}).ok());

  Checkpoint other_root = checkpoint;
  other_root.root = LeafHash("another root");
  Result<std::string> other_note = SignCheckpoint(other_root, MakeSigner(checkpoint.origin));
  ASSERT_TRUE(other_note.ok());
  const std::string forged =
      *FormatCheckpoint(other_root) + "\n" + note->substr(note->find(kEmDash));
  EXPECT_FALSE(OpenCheckpoint(forged, checkpoint.origin, std::vector{signer.Verifier()}).ok());
}

TEST(CheckpointTest, SizeZeroIsNeverSigned) {
  Checkpoint checkpoint = SampleCheckpoint();
  checkpoint.size = 0;
  checkpoint.root = EmptyRoot();
  const Result<std::string> note = SignCheckpoint(checkpoint, MakeSigner(checkpoint.origin));
  ASSERT_FALSE(note.ok());
  EXPECT_EQ(note.status().code(), ErrorCode::kInvalidArgument);
}

// Rotation: during the overlap the log signs with both keys, and verifiers that trust either
// key accept the checkpoint.
TEST(CheckpointTest, KeyRotationOverlap) {
  const Checkpoint checkpoint = SampleCheckpoint();
  const NoteSigner old_key = MakeSigner(checkpoint.origin);
  const NoteSigner new_key = MakeSigner(checkpoint.origin);
  ASSERT_NE(old_key.key_id(), new_key.key_id());
  Result<std::string> text = FormatCheckpoint(checkpoint);
  ASSERT_TRUE(text.ok());
  const std::string note = Sign(*text, {old_key, new_key});
  EXPECT_TRUE(OpenCheckpoint(note, checkpoint.origin, std::vector{old_key.Verifier()}).ok());
  EXPECT_TRUE(OpenCheckpoint(note, checkpoint.origin, std::vector{new_key.Verifier()}).ok());
  EXPECT_TRUE(
      OpenCheckpoint(note, checkpoint.origin, std::vector{old_key.Verifier(), new_key.Verifier()})
          .ok());
}

// The worked example of docs/audit-log-tree.md: five leaves "a" to "e", two proofs, and a
// checkpoint signed with the seed 00 01 02 ... 1f. Update the page when this test changes.
TEST(CheckpointTest, DocumentedExample) {
  InMemoryTree tree;
  for (const char* data : {"a", "b", "c", "d", "e"}) {
    tree.Append(LeafHash(data));
  }
  Result<Hash> root3 = RootFromNodes(tree, 3);
  Result<Hash> root5 = RootFromNodes(tree, 5);
  ASSERT_TRUE(root3.ok());
  ASSERT_TRUE(root5.ok());
  EXPECT_EQ(crypto::HexEncode(*root3),
            "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1");
  EXPECT_EQ(crypto::HexEncode(*root5),
            "fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b");

  Result<std::vector<Hash>> inclusion = InclusionProof(tree, 2, 5);
  ASSERT_TRUE(inclusion.ok());
  std::vector<std::string> inclusion_hex;
  for (const Hash& hash : *inclusion) {
    inclusion_hex.push_back(crypto::HexEncode(hash));
  }
  EXPECT_EQ(inclusion_hex, (std::vector<std::string>{
                               "d070dc5b8da9aea7dc0f5ad4c29d89965200059c9a0ceca3abd5da2492dcb71d",
                               "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb",
                               "2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4",
                           }));

  Result<std::vector<Hash>> consistency = ConsistencyProof(tree, 3, 5);
  ASSERT_TRUE(consistency.ok());
  std::vector<std::string> consistency_hex;
  for (const Hash& hash : *consistency) {
    consistency_hex.push_back(crypto::HexEncode(hash));
  }
  EXPECT_EQ(consistency_hex, (std::vector<std::string>{
                                 "597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8",
                                 "d070dc5b8da9aea7dc0f5ad4c29d89965200059c9a0ceca3abd5da2492dcb71d",
                                 "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb",
                                 "2824a7ccda2caa720c85c9fba1e8b5b735eecfdb03878e4f8dfe6c3625030bc4",
                             }));

  std::string seed;
  for (int i = 0; i < 32; ++i) {
    seed.push_back(static_cast<char>(i));
  }
  Result<crypto::Ed25519PrivateKey> key = crypto::Ed25519PrivateKey::FromSeed(Secret(seed));
  ASSERT_TRUE(key.ok());
  Result<NoteSigner> signer = NoteSigner::Create("custody.example.com/audit", *key);
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ(signer->Verifier().VerifierKey(),
            "custody.example.com/audit+fbdd21b5+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");

  const Checkpoint checkpoint{"custody.example.com/audit", 5, *root5, {}};
  Result<std::string> note = SignCheckpoint(checkpoint, *signer);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(
      *note,
      "custody.example.com/audit\n"
      "5\n"
      "/hSlQm+9cMD6c/UjQq/tDaC9I8SDhmLM9riKMHDq2Xs=\n"
      "\n"
      "\xE2\x80\x94 custody.example.com/audit "
      "+90htQ2JNkA1ecq2hE05IVjDild0megtv640NarY9I1fSiLt9h/ULUsgMEub9XOcrDRRtz2aLd4R09I957qPxhXKTwg="
      "\n");
}

}  // namespace
}  // namespace custody::audit
