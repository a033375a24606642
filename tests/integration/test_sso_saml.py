"""SAML sign-in against a real SimpleSAMLphp IdP on 127.0.0.1.

The IdP signs the Response and the Assertion with RSA-SHA256. Its test users choose the
authentication context by password: "alice-pw" asserts PasswordProtectedTransport and
"alice-mfa" asserts REFEDS MFA (tests/support/saml-idp/config/authsources.php).

The test acts as the browser: it follows custodyd's redirect to the IdP, logs in, and
posts the IdP's form to the ACS itself, so a response can be changed on the way.
"""

import base64
import os
import re
import sys
import unittest
import urllib.parse
import zlib

import support

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "saml-idp")
)
import idp as saml_idp  # noqa: E402

REQUEST_COOKIE = "custody_saml_request"


def saml_request_xml(location: str) -> str:
    """Decodes the SAMLRequest of an HTTP-Redirect binding URL."""
    query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
    return zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()


def encode(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def cookie_from(response: support.Response, name: str) -> str:
    for key, value in response.headers:
        if key.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";")[0].split("=", 1)[1]
    return ""


class SamlSignInTest(support.ServerTestCase):
    idp: saml_idp.SamlIdp

    @classmethod
    def set_up_data(cls) -> None:
        try:
            cls.idp = saml_idp.SamlIdp.start()
        except RuntimeError as error:
            raise unittest.SkipTest(str(error))
        org_id = cls.org.organization_id
        cls.settings = cls.admin.expect(
            200, "PUT", "/api/v1/sso/saml", {"idp_metadata_xml": cls.idp.metadata_xml()}
        )
        cls.idp.register_sp(cls.settings["sp_entity_id"], cls.settings["acs_url"])
        cls.acs_path = f"/sso/saml/{org_id}/acs"
        # The first sign-in links by e-mail; later ones by the bound NameID.
        cls.admin.expect(200, "PUT", "/api/v1/sso/policy", {"link_by": "email"})
        cls.alice = cls.admin.expect(
            201, "POST", "/api/v1/users",
            {"email": "alice@example.test", "display_name": "Alice Admin"},
        )
        cls.bob = cls.admin.expect(
            201, "POST", "/api/v1/users", {"email": "bob@example.test", "display_name": "Bob"}
        )

    @classmethod
    def tearDownClass(cls) -> None:
        if getattr(cls, "idp", None) is not None:
            cls.idp.stop()
        super().tearDownClass()

    def setUp(self) -> None:
        self.set_policy(require_mfa=False)
        self.set_idp_initiated(False)

    # --- helpers

    def set_policy(self, **fields) -> None:
        self.admin.expect(200, "PUT", "/api/v1/sso/policy", fields)

    def set_idp_initiated(self, allowed: bool) -> None:
        self.admin.expect(
            200, "PUT", "/api/v1/sso/saml",
            {"idp_metadata_xml": self.idp.metadata_xml(), "allow_idp_initiated": allowed},
        )

    def start_login(self) -> tuple[str, str]:
        """GET /sso/saml/{org}/login: returns the IdP redirect URL and the request cookie."""
        response = support.Api(self.server.port).get(
            f"/sso/saml/{self.org.organization_id}/login"
        )
        self.assertStatus(response, 302, "login start")
        cookie = cookie_from(response, REQUEST_COOKIE)
        self.assertTrue(cookie, "the login start sets the request cookie")
        return response.header("Location"), cookie

    def idp_response(self, user: str, password: str) -> tuple[saml_idp.IdpPost, str]:
        location, cookie = self.start_login()
        return self.idp.sign_in(location, user, password), cookie

    def post_acs(self, saml_response: str, cookie: str = "") -> support.Response:
        body = urllib.parse.urlencode({"SAMLResponse": saml_response}).encode()
        headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if cookie:
            headers.append(("Cookie", f"{REQUEST_COOKIE}={cookie}"))
        request_id = support.new_request_id()
        headers.append(("X-Request-Id", request_id))
        response = support.http_request(
            "127.0.0.1", self.server.port, "POST", self.acs_path, headers, body
        )
        response.request_id = request_id
        return response

    def deny_reason(self, response: support.Response) -> str:
        """The reason of the deny record that the ACS request wrote."""
        records = support.records_for_request(self.admin.audit_records(), response.request_id)
        denials = [record for record in records if record["decision"] == "deny"]
        self.assertEqual(len(denials), 1, f"one deny record for {response.request_id}: {records}")
        return denials[0]["reason"]

    def assertSignedIn(self, response: support.Response, user: dict) -> None:
        self.assertStatus(response, 303, "ACS")
        cookies = [value for key, value in response.headers if key.lower() == "set-cookie"]
        self.assertTrue(
            any("custody-session=" in cookie for cookie in cookies),
            f"the ACS sets the session cookie: {cookies}",
        )
        records = support.records_for_request(self.admin.audit_records(), response.request_id)
        sign_ins = [r for r in records if r["action"] == "auth.sign_in.saml"]
        self.assertEqual(len(sign_ins), 1, f"one sign-in record: {records}")
        self.assertEqual(sign_ins[0]["decision"], "allow")
        self.assertEqual(sign_ins[0]["actor"], user["id"])

    def assertRejected(self, response: support.Response, status: int, reason: str) -> None:
        self.assertStatus(response, status, f"ACS rejection ({reason})")
        self.assertEqual(self.deny_reason(response), reason)
        self.assertNotIn(b"SAMLResponse", response.body)

    # --- tests

    def test_sp_metadata_served(self):
        response = support.Api(self.server.port).get(
            f"/sso/saml/{self.org.organization_id}/metadata"
        )
        self.assertStatus(response, 200, "metadata")
        self.assertIn(f'entityID="{self.settings["sp_entity_id"]}"'.encode(), response.body)
        self.assertIn(f'Location="{self.settings["acs_url"]}"'.encode(), response.body)

    def test_unknown_organization_not_found(self):
        response = support.Api(self.server.port).get(
            f"/sso/saml/{support.random_id('org_')}/login"
        )
        self.assertStatus(response, 404, "login of an unknown organization")

    def test_full_sign_in(self):
        post, cookie = self.idp_response("alice", "alice-pw")
        self.assertEqual(post.acs_url, self.settings["acs_url"])
        response = self.post_acs(post.saml_response, cookie)
        self.assertSignedIn(response, self.alice)
        self.assertEqual(response.header("Location"), "/")
        # The session cookie authenticates the browser's API calls as alice.
        session = [
            value.split(";")[0]
            for key, value in response.headers
            if key.lower() == "set-cookie" and "custody-session=" in value
        ][0]
        me = support.http_request(
            "127.0.0.1", self.server.port, "GET", "/api/v1/me", [("Cookie", session)]
        )
        self.assertStatus(me, 200, "GET /api/v1/me with the session cookie")
        self.assertEqual(me.json()["user"]["id"], self.alice["id"])

    def test_return_to_kept(self):
        response = support.Api(self.server.port).get(
            f"/sso/saml/{self.org.organization_id}/login?return_to=%2Fevidence%3Fpage%3D2"
        )
        self.assertStatus(response, 302, "login start")
        post = self.idp.sign_in(response.header("Location"), "alice", "alice-pw")
        signed_in = self.post_acs(post.saml_response, cookie_from(response, REQUEST_COOKIE))
        self.assertSignedIn(signed_in, self.alice)
        self.assertEqual(signed_in.header("Location"), "/evidence?page=2")

    def test_sso_start_chooses_saml(self):
        """/auth/start, which the web app's sign-in form opens, sends a SAML-only
        organization to its SAML login, keeping the page to return to."""
        api = support.Api(self.server.port)
        start = api.get(
            f"/auth/start?organization_id={self.org.organization_id}"
            "&return_to=%2Fevidence%2Fevd_x%3Fq%3Da%26b"
        )
        self.assertStatus(start, 302, "SSO start")
        self.assertEqual(
            start.header("Location"),
            f"/sso/saml/{self.org.organization_id}/login?return_to=%2Fevidence%2Fevd_x%3Fq%3Da%26b",
        )
        response = api.get(start.header("Location"))
        self.assertStatus(response, 302, "login start")
        post = self.idp.sign_in(response.header("Location"), "alice", "alice-pw")
        signed_in = self.post_acs(post.saml_response, cookie_from(response, REQUEST_COOKIE))
        self.assertSignedIn(signed_in, self.alice)
        self.assertEqual(signed_in.header("Location"), "/evidence/evd_x?q=a&b")

    def test_sso_start_rejects_foreign_return_to(self):
        response = support.Api(self.server.port).get(
            f"/auth/start?organization_id={self.org.organization_id}"
            "&return_to=%2F%2Fevil.example%2F"
        )
        details = self.assertProblem(response, 400, "SSO start with another site's return_to")
        self.assertEqual(details.get("field"), "return_to")

    def test_foreign_return_to_ignored(self):
        response = support.Api(self.server.port).get(
            f"/sso/saml/{self.org.organization_id}/login?return_to=%2F%2Fevil.example%2F"
        )
        self.assertStatus(response, 302, "login start")
        post = self.idp.sign_in(response.header("Location"), "alice", "alice-pw")
        signed_in = self.post_acs(post.saml_response, cookie_from(response, REQUEST_COOKIE))
        self.assertSignedIn(signed_in, self.alice)
        self.assertEqual(signed_in.header("Location"), "/")

    def test_mfa_policy_rejects_password_only(self):
        self.set_policy(require_mfa=True)
        location, _ = self.start_login()
        request = saml_request_xml(location)
        self.assertIn("RequestedAuthnContext", request)
        self.assertIn(saml_idp.REFEDS_MFA, request)

        post, cookie = self.idp_response("bob", "bob-pw")
        self.assertIn(saml_idp.PASSWORD_ONLY, post.xml())
        rejected = self.post_acs(post.saml_response, cookie)
        self.assertStatus(rejected, 403, "password-only sign-in under an MFA policy")
        self.assertIn(b"Multi-factor authentication required", rejected.body)
        self.assertIn(f"/sso/saml/{self.org.organization_id}/login".encode(), rejected.body)

        post, cookie = self.idp_response("bob", "bob-mfa")
        self.assertIn(saml_idp.REFEDS_MFA, post.xml())
        self.assertSignedIn(self.post_acs(post.saml_response, cookie), self.bob)

    def test_changed_attribute_rejected(self):
        post, cookie = self.idp_response("alice", "alice-pw")
        xml = post.xml()
        changed = xml.replace(">Alice Admin<", ">Mallory Admin<", 1)
        self.assertNotEqual(changed, xml)
        self.assertRejected(self.post_acs(encode(changed), cookie), 401, "saml_signature_invalid")

    def test_removed_signatures_rejected(self):
        post, cookie = self.idp_response("alice", "alice-pw")
        stripped = re.sub(r"<ds:Signature.*?</ds:Signature>", "", post.xml(), flags=re.DOTALL)
        self.assertNotIn("SignatureValue", stripped)
        self.assertRejected(self.post_acs(encode(stripped), cookie), 401, "saml_unsigned")

    def test_replayed_response_rejected(self):
        post, cookie = self.idp_response("alice", "alice-pw")
        self.assertSignedIn(self.post_acs(post.saml_response, cookie), self.alice)
        # The request cookie was spent by the first post.
        self.assertRejected(self.post_acs(post.saml_response, cookie), 401, "saml_in_response_to")
        # A fresh login's cookie does not make the old response match its request.
        _, fresh_cookie = self.start_login()
        self.assertRejected(
            self.post_acs(post.saml_response, fresh_cookie), 401, "saml_in_response_to"
        )

    def test_replayed_idp_initiated_response_rejected(self):
        self.set_idp_initiated(True)
        post = self.idp.sign_in_idp_initiated(self.settings["sp_entity_id"], "alice", "alice-pw")
        self.assertSignedIn(self.post_acs(post.saml_response), self.alice)
        self.assertRejected(self.post_acs(post.saml_response), 401, "saml_replayed")

    def test_idp_initiated_rejected_by_default(self):
        post = self.idp.sign_in_idp_initiated(self.settings["sp_entity_id"], "alice", "alice-pw")
        self.assertNotIn("InResponseTo", post.xml())
        self.assertRejected(self.post_acs(post.saml_response), 401, "saml_unsolicited")

    def test_other_audience_rejected(self):
        # The IdP has a second SP with the same ACS URL, and its assertions name that SP.
        other_entity = self.settings["sp_entity_id"] + "/other"
        self.idp.register_sp(other_entity, self.settings["acs_url"])
        self.set_idp_initiated(True)
        post = self.idp.sign_in_idp_initiated(other_entity, "alice", "alice-pw")
        self.assertRejected(self.post_acs(post.saml_response), 401, "saml_audience")

    def test_expired_response_rejected(self):
        # An SP entry whose assertions expired 10 minutes before they were issued, far beyond
        # the 90 s clock skew.
        expired_entity = self.settings["sp_entity_id"] + "/expired"
        self.idp.register_sp(expired_entity, self.settings["acs_url"], assertion_lifetime=-600)
        self.set_idp_initiated(True)
        post = self.idp.sign_in_idp_initiated(expired_entity, "alice", "alice-pw")
        self.assertRejected(self.post_acs(post.saml_response), 401, "saml_expired")

    def test_comment_inside_name_id_keeps_whole_value(self):
        # Exclusive canonicalization drops comments, so the signature still verifies. The
        # NameID must still read "bob@example.test", not "bob".
        post, cookie = self.idp_response("bob", "bob-pw")
        xml = post.xml()
        commented = xml.replace(">bob@example.test</saml:NameID>",
                                ">bob<!---->@example.test</saml:NameID>", 1)
        self.assertNotEqual(commented, xml)
        self.assertSignedIn(self.post_acs(encode(commented), cookie), self.bob)


if __name__ == "__main__":
    unittest.main()
