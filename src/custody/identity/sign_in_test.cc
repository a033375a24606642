#include "custody/identity/sign_in.h"

#include <regex>

#include <gtest/gtest.h>

#include "custody/audit/audit_log.h"
#include "custody/identity/role_assignments.h"
#include "custody/identity/test_org.h"
#include "custody/identity/tokens.h"

namespace custody::identity {
namespace {

constexpr std::string_view kIssuer = "https://idp.example";

class SignInTest : public testing::OrgTest {
 protected:
  void SetUp() override {
    OrgTest::SetUp();
    Result<User> bob = AddUser(acme_id(), "bob@acme.example", "Bob");
    ASSERT_TRUE(bob.ok());
    bob_ = bob->id;
    policy_.organization_id = acme_id();
    policy_.link_by = LinkBy::kEmail;
  }

  VerifiedSignIn BobSignIn() const {
    VerifiedSignIn sign_in;
    sign_in.organization_id = acme_id();
    sign_in.method = std::string(kMethodOidc);
    sign_in.issuer = std::string(kIssuer);
    sign_in.subject = "bob-subject";
    sign_in.email = "Bob@Acme.example";
    sign_in.authn_methods = {"pwd"};
    return sign_in;
  }

  Result<NewSession> SignIn(const VerifiedSignIn& sign_in, std::string* reason = nullptr) {
    return CompleteSignIn(db(), policy_, sign_in, RequestInfo{"req-1", "127.0.0.1"}, clock_,
                          reason);
  }

  Result<authz::Principal> AuthenticateSessionOf(const Session& session, std::string* reason) {
    return store::ReadReturning<authz::Principal>(db(), [&](store::Transaction& tx) {
      return AuthenticateSession(tx, clock_, session.organization_id, session.id, reason);
    });
  }

  // The actions and reasons of the organization's audit records, oldest first.
  std::vector<std::pair<std::string, std::string>> Records(const std::string& organization_id) {
    std::vector<std::pair<std::string, std::string>> records;
    const Status read = db().Read([&](store::Transaction& tx) -> Status {
      CUSTODY_ASSIGN_OR_RETURN(audit::RecordPage page,
                               audit::List(tx, organization_id, std::nullopt, 200));
      for (const audit::StoredRecord& stored : page.records) {
        records.emplace_back(stored.record.action,
                             stored.record.decision + ":" + stored.record.reason);
      }
      return Status::Ok();
    });
    EXPECT_TRUE(read.ok()) << read.ToString();
    return records;
  }

  std::string bob_;
  SsoPolicy policy_;
};

TEST_F(SignInTest, EmailLinkCreatesLiveSession) {
  Result<NewSession> session = SignIn(BobSignIn());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ(session->session.user_id, bob_);
  EXPECT_EQ(session->session.method, "oidc");
  EXPECT_FALSE(session->session.mfa);
  EXPECT_EQ(session->session.expires_at, clock_.Now() + policy_.session_lifetime);
  EXPECT_TRUE(std::regex_match(session->refresh_credential.Reveal(),
                               std::regex("csr_[A-Za-z0-9]{22}_[A-Za-z0-9]{43}")));
  std::string reason;
  Result<authz::Principal> principal = AuthenticateSessionOf(session->session, &reason);
  ASSERT_TRUE(principal.ok()) << reason;
  EXPECT_EQ(principal->user_id, bob_);
  EXPECT_EQ(principal->session_id, session->session.id);
  EXPECT_TRUE(principal->token_id.empty());

  const auto records = Records(acme_id());
  ASSERT_GE(records.size(), 3u);
  EXPECT_EQ(records[records.size() - 3].first, "user.identity.bind");
  EXPECT_EQ(records[records.size() - 2].first, "auth.sign_in.oidc");
  EXPECT_EQ(records.back().first, "session.create");
}

TEST_F(SignInTest, BoundSubjectWinsOverChangedEmail) {
  ASSERT_TRUE(SignIn(BobSignIn()).ok());
  VerifiedSignIn changed = BobSignIn();
  changed.email = "admin@acme.example";  // the IdP account now claims the admin's address
  Result<NewSession> session = SignIn(changed);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ(session->session.user_id, bob_);
}

TEST_F(SignInTest, SecondSubjectForBoundUserRejected) {
  ASSERT_TRUE(SignIn(BobSignIn()).ok());
  VerifiedSignIn other = BobSignIn();
  other.subject = "another-account";
  std::string reason;
  Result<NewSession> session = SignIn(other, &reason);
  EXPECT_EQ(session.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonIdentityConflict);
}

TEST_F(SignInTest, SubjectLinkIgnoresEmail) {
  policy_.link_by = LinkBy::kSubject;
  std::string reason;
  Result<NewSession> session = SignIn(BobSignIn(), &reason);
  EXPECT_EQ(session.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonUserUnknown);
  EXPECT_EQ(Records(acme_id()).back(),
            std::make_pair(std::string("auth.sign_in.oidc"), std::string("deny:user_unknown")));
}

TEST_F(SignInTest, UnknownUserRejectedWithoutProvisioning) {
  VerifiedSignIn stranger = BobSignIn();
  stranger.subject = "stranger";
  stranger.email = "stranger@acme.example";
  std::string reason;
  EXPECT_EQ(SignIn(stranger, &reason).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonUserUnknown);
}

TEST_F(SignInTest, JitProvisioningCreatesUser) {
  policy_.jit_provisioning = true;
  VerifiedSignIn newcomer = BobSignIn();
  newcomer.subject = "newcomer";
  newcomer.email = "newcomer@acme.example";
  newcomer.display_name = "New Comer";
  Result<NewSession> session = SignIn(newcomer);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Result<User> user = store::ReadReturning<User>(db(), [&](store::Transaction& tx) {
    return GetUser(tx, acme_id(), session->session.user_id);
  });
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->email, "newcomer@acme.example");
  EXPECT_EQ(user->display_name, "New Comer");
}

TEST_F(SignInTest, DeactivatedUserRejected) {
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeactivateUser(tx, clock_, acme_id(), bob_).status();
                  })
                  .ok());
  std::string reason;
  EXPECT_EQ(SignIn(BobSignIn(), &reason).status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonSignInUserDeactivated);
}

TEST_F(SignInTest, MfaPolicyRejectsPasswordOnly) {
  policy_.require_mfa = true;
  std::string reason;
  Result<NewSession> session = SignIn(BobSignIn(), &reason);
  EXPECT_EQ(session.status().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(reason, kReasonMfaRequired);
  EXPECT_EQ(Records(acme_id()).back(),
            std::make_pair(std::string("auth.sign_in.oidc"), std::string("deny:mfa_required")));
}

TEST_F(SignInTest, MfaPolicyAcceptsMfaAmrOrAcr) {
  policy_.require_mfa = true;
  VerifiedSignIn with_amr = BobSignIn();
  with_amr.authn_methods = {"pwd", "otp"};
  with_amr.authn_time = clock_.Now() - std::chrono::minutes(1);
  Result<NewSession> session = SignIn(with_amr);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_TRUE(session->session.mfa);
  EXPECT_EQ(session->session.mfa_at, clock_.Now() - std::chrono::minutes(1));

  VerifiedSignIn with_acr = BobSignIn();
  with_acr.acr = "https://refeds.org/profile/mfa";
  EXPECT_TRUE(SignIn(with_acr).ok());
}

TEST_F(SignInTest, SamlMfaUsesAuthnContexts) {
  VerifiedSignIn saml = BobSignIn();
  saml.method = std::string(kMethodSaml);
  saml.authn_methods = {"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"};
  EXPECT_FALSE(ProvesMfa(policy_, saml));
  saml.authn_methods = {"http://schemas.microsoft.com/claims/multipleauthn"};
  EXPECT_TRUE(ProvesMfa(policy_, saml));
  saml.authn_methods = {"mfa"};  // an OIDC amr value means nothing in SAML
  EXPECT_FALSE(ProvesMfa(policy_, saml));
}

TEST_F(SignInTest, PolicyRoundTrips) {
  policy_.require_mfa = true;
  policy_.jit_provisioning = true;
  policy_.mfa_amr_values = {"mfa", "hwk"};
  ASSERT_TRUE(
      db().Write([&](store::Transaction& tx) { return PutSsoPolicy(tx, clock_, policy_); }).ok());
  Result<SsoPolicy> stored = store::ReadReturning<SsoPolicy>(
      db(), [&](store::Transaction& tx) { return GetSsoPolicy(tx, acme_id()); });
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->link_by, LinkBy::kEmail);
  EXPECT_TRUE(stored->require_mfa);
  EXPECT_TRUE(stored->jit_provisioning);
  EXPECT_EQ(stored->mfa_amr_values, (std::vector<std::string>{"mfa", "hwk"}));
  EXPECT_EQ(stored->saml_mfa_contexts, DefaultSamlMfaContexts());

  Result<SsoPolicy> other = store::ReadReturning<SsoPolicy>(
      db(), [&](store::Transaction& tx) { return GetSsoPolicy(tx, globex_id()); });
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->require_mfa);
  EXPECT_EQ(other->link_by, LinkBy::kSubject);
}

TEST_F(SignInTest, PolicyRejectsValueWithSpace) {
  policy_.mfa_acr_values = {"two words"};
  const Status put =
      db().Write([&](store::Transaction& tx) { return PutSsoPolicy(tx, clock_, policy_); });
  EXPECT_EQ(put.code(), ErrorCode::kInvalidArgument);
}

class SessionRevocationTest : public SignInTest {
 protected:
  void SetUp() override {
    SignInTest::SetUp();
    Result<NewSession> session = SignIn(BobSignIn());
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    session_ = std::move(session).value();
  }

  void ExpectRejected(std::string_view expected_reason) {
    std::string reason;
    Result<authz::Principal> principal = AuthenticateSessionOf(session_.session, &reason);
    EXPECT_EQ(principal.status().code(), ErrorCode::kUnauthenticated);
    EXPECT_EQ(reason, expected_reason);
  }

  NewSession session_;
};

TEST_F(SessionRevocationTest, ExpiresAtLifetime) {
  clock_.Advance(policy_.session_lifetime - std::chrono::seconds(1));
  std::string reason;
  EXPECT_TRUE(AuthenticateSessionOf(session_.session, &reason).ok());
  clock_.Advance(std::chrono::seconds(1));
  ExpectRejected(kReasonSessionExpired);
}

TEST_F(SessionRevocationTest, RevokeEndsSession) {
  Result<Session> revoked = store::WriteReturning<Session>(db(), [&](store::Transaction& tx) {
    return RevokeSession(tx, clock_, acme_id(), session_.session.id, kRevokedByAdmin);
  });
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(revoked->revoked_reason, kRevokedByAdmin);
  ExpectRejected(kReasonSessionRevoked);
}

TEST_F(SessionRevocationTest, OtherOrganizationCannotSeeSession) {
  std::string reason;
  Result<authz::Principal> principal =
      store::ReadReturning<authz::Principal>(db(), [&](store::Transaction& tx) {
        return AuthenticateSession(tx, clock_, globex_id(), session_.session.id, &reason);
      });
  EXPECT_EQ(principal.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonSessionUnknown);
  Result<Session> fetched = store::ReadReturning<Session>(db(), [&](store::Transaction& tx) {
    return GetSession(tx, globex_id(), session_.session.id);
  });
  EXPECT_EQ(fetched.status().code(), ErrorCode::kNotFound);
}

TEST_F(SessionRevocationTest, DeactivationEndsSession) {
  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeactivateUser(tx, clock_, acme_id(), bob_).status();
                  })
                  .ok());
  ExpectRejected(kReasonSessionRevoked);
  Result<Session> stored = store::ReadReturning<Session>(
      db(), [&](store::Transaction& tx) { return GetSession(tx, acme_id(), session_.session.id); });
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->revoked_reason, kRevokedUserDeactivated);
}

TEST_F(SessionRevocationTest, RoleRemovalEndsSessionAndTokens) {
  Result<RoleAssignment> role =
      store::WriteReturning<RoleAssignment>(db(), [&](store::Transaction& tx) {
        return CreateRoleAssignment(tx, clock_, acme_id(), bob_, acme_.root_entity.id, "viewer",
                                    acme_.admin.id);
      });
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  Result<CreatedToken> token = store::WriteReturning<CreatedToken>(
      db(),
      [&](store::Transaction& tx) { return CreateToken(tx, clock_, acme_id(), bob_, "ci", bob_); });
  ASSERT_TRUE(token.ok());
  std::string reason;
  ASSERT_TRUE(AuthenticateSessionOf(session_.session, &reason).ok());

  ASSERT_TRUE(db().Write([&](store::Transaction& tx) {
                    return DeleteRoleAssignment(tx, clock_, acme_id(), role->id);
                  })
                  .ok());
  ExpectRejected(kReasonSessionRevoked);
  Result<authz::Principal> by_token =
      store::ReadReturning<authz::Principal>(db(), [&](store::Transaction& tx) {
        return AuthenticateToken(tx, token->value.Reveal(), &reason);
      });
  EXPECT_EQ(by_token.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(reason, kReasonTokenRevoked);
}

TEST_F(SessionRevocationTest, RefreshCredentialAuthenticates) {
  std::string reason;
  Result<Session> session = store::ReadReturning<Session>(db(), [&](store::Transaction& tx) {
    return AuthenticateRefreshCredential(tx, clock_, session_.refresh_credential.Reveal(), &reason);
  });
  ASSERT_TRUE(session.ok()) << reason;
  EXPECT_EQ(session->id, session_.session.id);

  std::string tampered = session_.refresh_credential.Reveal();
  tampered.back() = tampered.back() == 'a' ? 'b' : 'a';
  for (const auto& [value, expected] : std::vector<std::pair<std::string, std::string_view>>{
           {tampered, kReasonRefreshMismatch},
           {"csr_short", kReasonTokenMalformed},
           {tampered.substr(0, 4) + std::string(22, 'Z') + tampered.substr(26),
            kReasonSessionUnknown}}) {
    Result<Session> rejected = store::ReadReturning<Session>(db(), [&](store::Transaction& tx) {
      return AuthenticateRefreshCredential(tx, clock_, value, &reason);
    });
    EXPECT_EQ(rejected.status().code(), ErrorCode::kUnauthenticated) << value;
    EXPECT_EQ(reason, expected) << value;
  }
}

}  // namespace
}  // namespace custody::identity
