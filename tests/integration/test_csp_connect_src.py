"""The web app's connect-src per session, with two organizations on one custodyd.

An app page (index.html) requested with the cookies of a live sign-in session lists, besides
server.web_connect_src, the origin of the presigned URLs of that session's organization: its
AWS connection's S3 endpoint. Organization A uses an S3-compatible endpoint on loopback and
organization B the AWS S3 of eu-west-1. Nothing here contacts either endpoint, so the test
needs no RGW. Users sign in through the test OIDC provider (tests/support/oidc-idp).
"""

from __future__ import annotations

import os
import re
import shutil
import unittest
import urllib.error
import urllib.parse
import urllib.request

import support
from test_sso_oidc import IDP_DIR, Browser, OidcCustodyServer, OidcProvider, free_port

CONFIGURED_SOURCE = "https://configured-s3.example"
ASSET_PATH = "/assets/app-1a2b3c.js"


class CspCustodyServer(OidcCustodyServer):
    """custodyd serving a minimal app folder, with one configured connect-src source."""

    def __init__(self, label: str):
        self.web_root = support.tempfile.mkdtemp(prefix="custody-it-csp-web-")
        os.mkdir(os.path.join(self.web_root, "assets"))
        with open(os.path.join(self.web_root, "index.html"), "w", encoding="utf-8") as page:
            page.write("<!doctype html><title>Custody</title>")
        with open(self.web_root + ASSET_PATH, "w", encoding="utf-8") as script:
            script.write("console.log('app');")
        super().__init__(label)

    def write_config(self) -> None:
        super().write_config()
        with open(self.config_path, encoding="utf-8") as config:
            text = config.read()
        line = f'public_url = "{self.public_url}"'
        if line not in text:
            raise AssertionError("the configuration has no public_url line to extend")
        web = [line, f'web_root = "{self.web_root}"', f'web_connect_src = ["{CONFIGURED_SOURCE}"]']
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write(text.replace(line, "\n".join(web), 1))


def connect_sources(policy: str) -> list[str]:
    """The sources of the connect-src directive of a Content-Security-Policy value."""
    match = re.search(r"(?:^|;)\s*connect-src ([^;]*)", policy)
    if match is None:
        raise AssertionError(f"the policy has no connect-src: {policy}")
    return match.group(1).split()


def replace_character(text: str, index: int) -> str:
    """`text` with the character at `index` replaced by another letter."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index:][1:]


@support.requires_binary("CUSTODYD")
class ConnectSrcPerSessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("node") is None or not os.path.isdir(os.path.join(IDP_DIR, "node_modules")):
            raise unittest.SkipTest(
                "node or tests/support/oidc-idp/node_modules is missing; run scripts/install-deps.sh"
            )
        cls.server = CspCustodyServer("csp")
        cls.idp = OidcProvider(cls.server.public_url)
        try:
            organizations = {
                label: cls.server.init_organization(f"CSP Org {label}")
                for label in ("A", "B", "C")
            }
            cls.server.start()
            cls.setup_organizations(organizations)
        except Exception:
            cls.server.stop()
            cls.idp.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.idp.stop()
        shutil.rmtree(cls.server.web_root, ignore_errors=True)

    @classmethod
    def setup_organizations(cls, organizations: dict) -> None:
        # A: an S3-compatible endpoint. B: AWS, addressed virtual-hosted. C: no AWS connection.
        cls.origin_a = f"http://127.0.0.1:{free_port()}"
        cls.origin_b = "https://csp-org-b-evidence.s3.eu-west-1.amazonaws.com"
        connections = {
            "A": {
                "role_arn": "arn:aws:iam::111111111111:role/CustodyEvidence",
                "bucket": "csp-org-a-evidence", "region": "us-east-1",
                "kms_key_id": "testkey-1", "key_prefix": "evidence/", "endpoint": cls.origin_a,
            },
            "B": {
                "role_arn": "arn:aws:iam::222222222222:role/CustodyEvidence",
                "bucket": "csp-org-b-evidence", "region": "eu-west-1",
                "kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "key_prefix": "",
            },
        }
        users = {"A": "alice", "B": "carol", "C": "dave"}
        cls.admins = {}
        cls.organization_ids = {}
        cls.user_ids = {}
        for label, organization in organizations.items():
            admin = cls.server.api(organization.token)
            me = admin.me()
            cls.admins[label] = admin
            cls.organization_ids[label] = me["organization"]["id"]
            admin.expect(200, "PUT", "/api/v1/sso/oidc", {
                "issuer": cls.idp.issuer, "client_id": "custody-rs256",
                "client_secret": "rs256-client-secret", "client_auth": "client_secret_basic",
                "allowed_algs": ["RS256"],
            })
            admin.expect(200, "PUT", "/api/v1/sso/policy",
                         {"link_by": "email", "require_mfa": False})
            user = admin.expect(201, "POST", "/api/v1/users", {
                "email": f"{users[label]}@example.test", "display_name": users[label].title(),
            })
            admin.assign_role(user["id"], me["organization"]["root_entity_id"], "viewer")
            cls.user_ids[label] = user["id"]
            if label in connections:
                admin.expect(200, "PUT", "/api/v1/aws-connection", connections[label])

    # --- helpers

    def sign_in(self, label: str) -> Browser:
        """Signs in the user of organization `label` through the provider's login form."""
        user = {"A": "alice", "B": "carol", "C": "dave"}[label]
        browser = Browser()
        location = (f"{self.server.public_url}/auth/oidc/start?"
                    f"organization_id={self.organization_ids[label]}")
        for _ in range(10):
            status, headers, body = browser.request(location)
            if status == 200 and b"<form" in body:
                form = urllib.parse.urlencode({
                    "login": user, "password": f"{user}-password", "amr": "pwd",
                    "acr": "urn:custody-test:password",
                }).encode()
                action = location.split("?")[0].rstrip("/") + "/login"
                status, headers, body = browser.request(action, data=form)
            if location.startswith(f"{self.server.public_url}/auth/oidc/callback"):
                self.assertEqual(status, 303, body)
                self.assertIsNotNone(browser.cookie("custody-session"))
                self.assertIsNotNone(browser.cookie("custody-refresh"))
                return browser
            self.assertIn(status, (302, 303), body)
            location = urllib.parse.urljoin(location, headers["Location"])
        self.fail(f"the sign-in of {user} did not come back to custodyd")

    def page(self, path: str = "/", cookies: dict[str, str] | None = None) -> tuple[int, dict]:
        """GETs `path` with exactly `cookies` and returns the status and the headers."""
        request = urllib.request.Request(f"{self.server.public_url}{path}")
        if cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    def page_sources(self, path: str = "/", cookies: dict[str, str] | None = None) -> list[str]:
        status, headers = self.page(path, cookies)
        self.assertEqual(status, 200, path)
        return connect_sources(headers["Content-Security-Policy"])

    @staticmethod
    def cookies_of(browser: Browser, *names: str) -> dict[str, str]:
        return {name: browser.cookie(name) for name in names}

    # --- tests

    def test_anonymous_page_has_configured_sources(self):
        self.assertEqual(self.page_sources("/"), ["'self'", CONFIGURED_SOURCE])
        self.assertEqual(self.page_sources("/entities/ent_x"), ["'self'", CONFIGURED_SOURCE])

    def test_session_adds_own_organization_origin(self):
        for label, own, other in (("A", self.origin_a, self.origin_b),
                                  ("B", self.origin_b, self.origin_a)):
            browser = self.sign_in(label)
            cookies = self.cookies_of(browser, "custody-session", "custody-refresh")
            for path in ("/", "/index.html", "/evidence/evd_unknown"):
                sources = self.page_sources(path, cookies)
                self.assertEqual(sources, ["'self'", CONFIGURED_SOURCE, own], f"{label} {path}")
                self.assertNotIn(other, sources, f"{label} {path}")
            _, headers = self.page("/", cookies)
            self.assertEqual(headers.get("Vary"), "Cookie", label)

    def test_assets_keep_configured_sources(self):
        browser = self.sign_in("A")
        cookies = self.cookies_of(browser, "custody-session", "custody-refresh")
        self.assertEqual(self.page_sources(ASSET_PATH, cookies), ["'self'", CONFIGURED_SOURCE])

    def test_organization_without_connection(self):
        browser = self.sign_in("C")
        cookies = self.cookies_of(browser, "custody-session", "custody-refresh")
        self.assertEqual(self.page_sources("/", cookies), ["'self'", CONFIGURED_SOURCE])

    def test_refresh_cookie_alone_names_session(self):
        browser = self.sign_in("B")
        cookies = self.cookies_of(browser, "custody-refresh")
        self.assertEqual(self.page_sources("/", cookies),
                         ["'self'", CONFIGURED_SOURCE, self.origin_b])

    def test_invalid_cookies_get_configured_sources(self):
        browser = self.sign_in("A")
        session = browser.cookie("custody-session")
        refresh = browser.cookie("custody-refresh")
        # One changed character inside the signature or the secret breaks each credential. The
        # last character is avoided because its low bits may be base64url padding.
        forged_session = replace_character(session, -5)
        forged_refresh = replace_character(refresh, -5)
        for cookies in (
            {"custody-session": forged_session},
            {"custody-refresh": forged_refresh},
            {"custody-session": forged_session, "custody-refresh": forged_refresh},
            {"custody-session": "not-a-token", "custody-refresh": "csr_not_a_credential"},
        ):
            self.assertEqual(self.page_sources("/", cookies), ["'self'", CONFIGURED_SOURCE],
                             sorted(cookies))

    def test_revoked_session_gets_configured_sources(self):
        browser = self.sign_in("B")
        cookies = self.cookies_of(browser, "custody-session", "custody-refresh")
        self.assertIn(self.origin_b, self.page_sources("/", cookies))
        self.admins["B"].expect(200, "DELETE", f"/api/v1/users/{self.user_ids['B']}/sessions")
        self.assertEqual(self.page_sources("/", cookies), ["'self'", CONFIGURED_SOURCE])
        self.assertEqual(self.page_sources("/", {"custody-refresh": cookies["custody-refresh"]}),
                         ["'self'", CONFIGURED_SOURCE])


if __name__ == "__main__":
    unittest.main()
