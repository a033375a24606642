"""OIDC sign-in against a real OpenID Provider (npm oidc-provider) on 127.0.0.1.

tests/support/oidc-idp/idp.mjs is the provider. It signs id_tokens with RS256 or ES256 per
client, and its login form chooses the "amr" of a sign-in. It rotates its keys on request and
can change the claims or the key of its next id_token, so the refusal cases use real responses.

The test is the browser: it follows redirects itself with one cookie jar per "browser", posts
the provider's login form, and reads custodyd's cookies.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import support

IDP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "oidc-idp")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: N802
        return None


class Browser:
    """A cookie jar and an opener that returns redirects instead of following them."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url: str, data: bytes | None = None, headers: dict | None = None,
                method: str | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        request.add_header("Accept", "text/html")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def cookie(self, name: str) -> str | None:
        for cookie in self.jar:
            if cookie.name == name:
                return cookie.value
        return None


class OidcProvider:
    """idp.mjs in a child process."""

    def __init__(self, rp_base: str):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.directory = support.tempfile.mkdtemp(prefix="custody-it-oidc-idp-")
        callback = f"{rp_base}/auth/oidc/callback"
        signed_out = f"{rp_base}/auth/signed-out"
        clients = [
            {
                "client_id": "custody-rs256", "client_secret": "rs256-client-secret",
                "redirect_uris": [callback], "post_logout_redirect_uris": [signed_out],
                "grant_types": ["authorization_code"], "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_basic",
                "id_token_signed_response_alg": "RS256",
            },
            {
                "client_id": "custody-es256", "client_secret": "es256-client-secret",
                "redirect_uris": [callback], "post_logout_redirect_uris": [signed_out],
                "grant_types": ["authorization_code"], "response_types": ["code"],
                "token_endpoint_auth_method": "client_secret_post",
                "id_token_signed_response_alg": "ES256",
            },
        ]
        clients_path = os.path.join(self.directory, "clients.json")
        with open(clients_path, "w", encoding="utf-8") as file:
            json.dump(clients, file)
        self.log = open(os.path.join(self.directory, "idp.log"), "wb")
        self.process = subprocess.Popen(
            ["node", os.path.join(IDP_DIR, "idp.mjs"), str(self.port), clients_path],
            cwd=IDP_DIR, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.issuer}/test/health", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("the test OIDC provider did not start")
                time.sleep(0.1)

    def control(self, path: str, body: dict | None = None) -> None:
        data = json.dumps(body or {}).encode()
        request = urllib.request.Request(f"{self.issuer}{path}", data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class OidcCustodyServer(support.CustodyServer):
    """custodyd on a port chosen before start, so that its public URL is known to the IdP."""

    def __init__(self, label: str):
        self.fixed_port = free_port()
        super().__init__(label)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.fixed_port}"

    def write_config(self) -> None:
        super().write_config()
        with open(self.config_path, encoding="utf-8") as config:
            text = config.read()
        listen = 'listen = "127.0.0.1:0"'
        if listen not in text:
            raise AssertionError("the base configuration has no listen line to replace")
        text = text.replace(
            listen,
            f'listen = "127.0.0.1:{self.fixed_port}"\npublic_url = "{self.public_url}"',
        )
        text += "\n".join([
            "",
            "[auth]",
            "cookie_secure = false",
            "allow_insecure_loopback = true",
            "jwks_refetch_seconds = 1",
            "step_up_minutes = 10",
            "",
        ])
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write(text)


@support.requires_binary("CUSTODYD")
class OidcSignInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("node") is None or not os.path.isdir(os.path.join(IDP_DIR, "node_modules")):
            raise unittest.SkipTest(
                "node or tests/support/oidc-idp/node_modules is missing; run scripts/install-deps.sh"
            )
        cls.server = OidcCustodyServer("oidc")
        cls.idp = OidcProvider(cls.server.public_url)
        try:
            cls.org = cls.server.init_organization("OIDC Org")
            cls.server.start()
        except Exception:
            cls.idp.stop()
            raise
        cls.admin = cls.server.api(cls.org.token)
        cls.org_id = cls.admin.me()["organization"]["id"]
        cls.root_id = cls.admin.me()["organization"]["root_entity_id"]
        cls.bob = cls.admin.expect(
            201, "POST", "/api/v1/users",
            {"email": "bob@example.test", "display_name": "Bob Example"},
        )
        cls.admin.assign_role(cls.bob["id"], cls.root_id, "viewer")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.idp.stop()

    def setUp(self):
        self.configure_provider("custody-rs256", "rs256-client-secret", ["RS256"])
        self.set_policy({"link_by": "email", "require_mfa": False})

    # --- helpers

    def configure_provider(self, client_id: str, secret: str, algs: list[str]) -> None:
        body = {
            "issuer": self.idp.issuer,
            "client_id": client_id,
            "client_secret": secret,
            "client_auth": "client_secret_basic" if client_id.endswith("rs256")
            else "client_secret_post",
            "allowed_algs": algs,
            "mfa_acr_values": "urn:custody-test:mfa",
        }
        # API tokens are exempt from step-up (docs/sso.md), so the admin's token can do this.
        self.admin.expect(200, "PUT", "/api/v1/sso/oidc", body)

    def set_policy(self, policy: dict) -> None:
        self.admin.expect(200, "PUT", "/api/v1/sso/policy", policy)

    def start_sign_in(self, browser: Browser, extra: str = "") -> str:
        status, headers, body = browser.request(
            f"{self.server.public_url}/auth/oidc/start?organization_id={self.org_id}{extra}"
        )
        self.assertEqual(status, 302, body)
        return headers["Location"]

    def sign_in(self, browser: Browser, user: str = "bob", amr: str = "pwd",
                acr: str = "urn:custody-test:password", extra: str = "",
                start_url: str | None = None) -> tuple[int, dict, bytes, str]:
        """Runs the whole flow; returns custodyd's callback response and the callback URL."""
        if start_url is None:
            location = self.start_sign_in(browser, extra)
        else:
            status, headers, body = browser.request(start_url)
            self.assertEqual(status, 302, body)
            location = headers["Location"]
        for _ in range(10):
            status, headers, body = browser.request(location)
            if location.startswith(f"{self.server.public_url}/auth/oidc/callback"):
                return status, headers, body, location
            if status == 200 and b"<form" in body:
                form = urllib.parse.urlencode({
                    "login": user, "password": f"{user}-password", "amr": amr, "acr": acr,
                }).encode()
                action = location.split("?")[0].rstrip("/") + "/login"
                status, headers, body = browser.request(action, data=form)
            self.assertIn(status, (302, 303), body)
            location = urllib.parse.urljoin(location, headers["Location"])
        self.fail("the sign-in did not come back to custodyd")

    def signed_in_browser(self, **kwargs) -> Browser:
        browser = Browser()
        status, headers, body, _ = self.sign_in(browser, **kwargs)
        self.assertEqual(status, 303, body)
        self.assertIsNotNone(browser.cookie("custody-session"))
        return browser

    def me_with_cookie(self, browser: Browser) -> int:
        status, _, _ = browser.request(f"{self.server.public_url}/api/v1/me")
        return status

    def last_record(self, action: str) -> dict:
        records = [r for r in self.admin.audit_records() if r["action"] == action]
        self.assertTrue(records, f"no {action} record")
        return records[-1]

    def callback_denied(self, status: int, body: bytes, reason: str) -> None:
        self.assertEqual(status, 401, body)
        record = self.last_record("auth.sign_in.oidc")
        self.assertEqual(record["decision"], "deny")
        self.assertEqual(record["reason"], reason)

    # --- sign-in

    def test_rs256_sign_in_authenticates_api(self):
        browser = self.signed_in_browser()
        self.assertEqual(self.me_with_cookie(browser), 200)
        # The CSRF cookie is readable by scripts and the refresh cookie is not.
        self.assertIsNotNone(browser.cookie("custody-csrf"))
        self.assertIsNotNone(browser.cookie("custody-refresh"))
        record = self.last_record("session.create")
        self.assertEqual(record["decision"], "allow")
        self.assertEqual(record["actor"], self.bob["id"])

    def test_sso_start_chooses_oidc(self):
        """/auth/start, which the web app's sign-in form opens, sends an organization with an
        OIDC provider to the OIDC start, keeping the page to return to."""
        response = support.Api(self.server.port).get(
            f"/auth/start?organization_id={self.org_id}&return_to=%2Fentities%2Fent_x"
        )
        self.assertEqual(response.status, 302, response.body)
        self.assertEqual(
            response.header("Location"),
            f"/auth/oidc/start?organization_id={self.org_id}&return_to=%2Fentities%2Fent_x",
        )
        unknown = support.Api(self.server.port).get(
            f"/auth/start?organization_id={support.random_id('org_')}"
        )
        self.assertEqual(unknown.status, 302, unknown.body)
        self.assertIn("/auth/oidc/start?", unknown.header("Location"))

    def test_es256_sign_in(self):
        self.configure_provider("custody-es256", "es256-client-secret", ["ES256"])
        browser = self.signed_in_browser()
        self.assertEqual(self.me_with_cookie(browser), 200)

    def test_algorithm_pinned_per_provider(self):
        # The ES256 client's id_tokens are rejected when only RS256 is allowed.
        self.configure_provider("custody-es256", "es256-client-secret", ["RS256"])
        status, _, body, _ = self.sign_in(Browser())
        self.callback_denied(status, body, "jws_algorithm_rejected")

    def test_refresh_returns_bearer_token(self):
        browser = self.signed_in_browser()
        csrf = browser.cookie("custody-csrf")
        status, _, body = browser.request(
            f"{self.server.public_url}/auth/token", data=b"", method="POST",
            headers={"X-CSRF-Token": csrf},
        )
        self.assertEqual(status, 200, body)
        token = json.loads(body)["access_token"]
        self.assertEqual(self.server.api(token).get("/api/v1/me").status, 200)
        # Without the CSRF header the refresh cookie is not enough.
        status, _, body = browser.request(
            f"{self.server.public_url}/auth/token", data=b"", method="POST"
        )
        self.assertEqual(status, 403, body)

    def test_unsafe_cookie_request_needs_csrf(self):
        browser = self.signed_in_browser()
        url = f"{self.server.public_url}/api/v1/tokens"
        body = json.dumps({"name": "from browser"}).encode()
        status, _, _ = browser.request(url, data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(status, 403)
        status, _, response = browser.request(
            url, data=body,
            headers={"Content-Type": "application/json",
                     "X-CSRF-Token": browser.cookie("custody-csrf")},
        )
        # Bob may create his own token; step-up (10 minutes) needs MFA, which he did not do.
        self.assertEqual(status, 403, response)
        self.assertEqual(json.loads(response)["type"], "urn:custody:problem:step-up-required")

    # --- MFA

    def test_mfa_required_rejects_password_only(self):
        self.set_policy({"require_mfa": True})
        status, _, body, _ = self.sign_in(Browser(), amr="pwd")
        self.assertEqual(status, 403, body)
        self.assertIn(b"mfa=1", body)
        record = self.last_record("auth.sign_in.oidc")
        self.assertEqual(record["reason"], "mfa_required")

    def test_mfa_required_accepts_otp(self):
        self.set_policy({"require_mfa": True})
        browser = self.signed_in_browser(amr="pwd otp")
        self.assertEqual(self.me_with_cookie(browser), 200)

    def test_mfa_retry_sends_acr_values(self):
        self.set_policy({"require_mfa": True})
        location = self.start_sign_in(Browser(), "&mfa=1")
        query = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        self.assertEqual(query["acr_values"], ["urn:custody-test:mfa"])

    def test_step_up_after_mfa_sign_in(self):
        alice = self.admin.expect(
            201, "POST", "/api/v1/users",
            {"email": "alice@example.test", "display_name": "Alice Example"},
        )
        self.admin.assign_role(alice["id"], self.root_id, "admin")
        without_mfa = self.signed_in_browser(user="alice", amr="pwd")
        url = f"{self.server.public_url}/api/v1/sso/policy"
        body = json.dumps({"jit_provisioning": False}).encode()
        headers = {"Content-Type": "application/json",
                   "X-CSRF-Token": without_mfa.cookie("custody-csrf")}
        status, _, response = without_mfa.request(url, data=body, headers=headers, method="PUT")
        self.assertEqual(status, 403, response)
        self.assertEqual(json.loads(response)["type"], "urn:custody:problem:step-up-required")
        with_mfa = self.signed_in_browser(user="alice", amr="pwd hwk")
        headers["X-CSRF-Token"] = with_mfa.cookie("custody-csrf")
        status, _, response = with_mfa.request(url, data=body, headers=headers, method="PUT")
        self.assertEqual(status, 200, response)

    # --- refusals

    def test_key_rotation_mid_test(self):
        self.assertEqual(self.me_with_cookie(self.signed_in_browser()), 200)
        self.idp.control("/test/rotate")
        time.sleep(1.1)  # jwks_refetch_seconds = 1
        self.assertEqual(self.me_with_cookie(self.signed_in_browser()), 200)

    def test_wrong_nonce_rejected(self):
        self.idp.control("/test/next-id-token", {"claims": {"nonce": "not-the-nonce"}})
        status, _, body, _ = self.sign_in(Browser())
        self.callback_denied(status, body, "id_token_nonce")

    def test_expired_id_token_rejected(self):
        now = int(time.time())
        self.idp.control("/test/next-id-token", {"claims": {"exp": now - 3600, "iat": now - 3700}})
        status, _, body, _ = self.sign_in(Browser())
        self.callback_denied(status, body, "id_token_expired")

    def test_wrong_audience_rejected(self):
        self.idp.control("/test/next-id-token", {"claims": {"aud": "another-client"}})
        status, _, body, _ = self.sign_in(Browser())
        self.callback_denied(status, body, "id_token_audience")

    def test_other_key_rejected(self):
        self.idp.control("/test/next-id-token", {"sign_with": "other"})
        status, _, body, _ = self.sign_in(Browser())
        self.callback_denied(status, body, "jws_bad_signature")

    def test_replayed_state_rejected(self):
        browser = Browser()
        status, _, body, callback = self.sign_in(browser)
        self.assertEqual(status, 303, body)
        status, _, body = browser.request(callback)
        self.callback_denied(status, body, "oidc_state_replayed")

    def test_other_browser_rejected(self):
        # A state started in one browser and delivered to another is spent and rejected.
        location = self.start_sign_in(Browser())
        state = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["state"][0]
        status, _, body = Browser().request(
            f"{self.server.public_url}/auth/oidc/callback?state={state}&code=stolen"
        )
        self.callback_denied(status, body, "oidc_binding_mismatch")

    def test_unknown_user_rejected(self):
        # "erin" exists at the IdP but has no Custody user, and provisioning is off.
        status, _, body, _ = self.sign_in(Browser(), user="erin")
        self.assertEqual(status, 401, body)
        self.assertEqual(self.last_record("auth.sign_in.oidc")["reason"], "user_unknown")

    def test_subject_linking_ignores_email(self):
        # Under link_by=subject an e-mail match alone binds nothing.
        self.admin.expect(
            201, "POST", "/api/v1/users",
            {"email": "dave@example.test", "display_name": "Dave Example"},
        )
        self.set_policy({"link_by": "subject"})
        status, _, body, _ = self.sign_in(Browser(), user="dave")
        self.assertEqual(status, 401, body)
        self.set_policy({"link_by": "email"})
        self.assertEqual(self.me_with_cookie(self.signed_in_browser(user="dave")), 200)

    # --- revocation and sign-out

    def test_deactivation_ends_session(self):
        carol = self.admin.expect(
            201, "POST", "/api/v1/users",
            {"email": "carol@example.test", "display_name": "Carol Example"},
        )
        self.admin.assign_role(carol["id"], self.root_id, "viewer")
        browser = self.signed_in_browser(user="carol")
        self.assertEqual(self.me_with_cookie(browser), 200)
        self.admin.expect(200, "POST", f"/api/v1/users/{carol['id']}/deactivate", {})
        self.assertEqual(self.me_with_cookie(browser), 401)
        status, _, body, _ = self.sign_in(Browser(), user="carol")
        self.assertEqual(status, 401, body)

    def test_role_change_ends_session(self):
        browser = self.signed_in_browser()
        self.assertEqual(self.me_with_cookie(browser), 200)
        assignments = [a for a in self.admin.list_all("/api/v1/role-assignments")
                       if a["user_id"] == self.bob["id"]]
        self.admin.expect(204, "DELETE", f"/api/v1/role-assignments/{assignments[0]['id']}")
        self.assertEqual(self.me_with_cookie(browser), 401)
        self.admin.assign_role(self.bob["id"], self.root_id, "viewer")

    def test_admin_revokes_session(self):
        browser = self.signed_in_browser()
        sessions = self.admin.list_all(f"/api/v1/sessions?user_id={self.bob['id']}")
        live = [s for s in sessions if s["revoked_at"] is None]
        self.assertTrue(live)
        self.admin.expect(204, "DELETE", f"/api/v1/sessions/{live[0]['id']}")
        self.assertEqual(self.me_with_cookie(browser), 401)

    def test_sign_out_ends_session(self):
        browser = self.signed_in_browser()
        session_cookie = browser.cookie("custody-session")
        status, _, body = browser.request(
            f"{self.server.public_url}/auth/sign-out", data=b"", method="POST",
            headers={"X-CSRF-Token": browser.cookie("custody-csrf")},
        )
        self.assertEqual(status, 200, body)
        end_session = json.loads(body)["end_session_url"]
        self.assertTrue(end_session.startswith(self.idp.issuer), end_session)
        self.assertEqual(self.server.api(session_cookie).get("/api/v1/me").status, 401)
        self.assertEqual(self.last_record("auth.sign_out")["decision"], "allow")

    def test_cli_login_and_logout(self):
        cli = os.environ.get("CUSTODY_CLI")
        if not cli:
            self.skipTest("CUSTODY_CLI is not set: the custody binary is not built")
        home = support.tempfile.mkdtemp(prefix="custody-it-cli-home-")
        env = {k: v for k, v in os.environ.items()
               if k not in ("CUSTODY_TOKEN", "DISPLAY", "WAYLAND_DISPLAY")}
        env.update(XDG_CONFIG_HOME=home, XDG_STATE_HOME=home, HOME=home)
        server = ["--server", self.server.public_url]
        login = subprocess.Popen(
            [cli, *server, "login", "--org", self.org_id, "--no-browser"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, env=env,
        )
        try:
            login.stderr.readline()  # "Open this URL in your browser to sign in:"
            start_url = login.stderr.readline().strip()
            self.assertTrue(start_url.startswith(self.server.public_url), start_url)
            browser = Browser()
            status, headers, body, _ = self.sign_in(browser, start_url=start_url)
            self.assertEqual(status, 303, body)
            loopback = headers["Location"]
            self.assertTrue(loopback.startswith("http://127.0.0.1:"), loopback)
            status, _, _ = browser.request(loopback)
            self.assertEqual(status, 200)
            self.assertEqual(login.wait(30), 0, login.stderr.read())
        finally:
            if login.poll() is None:
                login.kill()
                login.wait()
            login.stdout.close()
            login.stderr.close()
        credential = os.path.join(home, "custody", "credentials.json")
        self.assertEqual(os.stat(credential).st_mode & 0o777, 0o600)
        with open(credential, encoding="utf-8") as file:
            self.assertTrue(json.load(file)["refresh_token"].startswith("csr_"))

        listing = [cli, *server, "ls", "--entity", self.root_id, "--json"]
        result = subprocess.run(listing, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = subprocess.run([cli, *server, "logout"], capture_output=True, text=True,
                                env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(credential))
        result = subprocess.run(listing, capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 3, result.stderr)

    # --- provider and policy settings

    def test_sso_settings_need_admin(self):
        oidc = self.admin.expect(200, "GET", "/api/v1/sso/oidc")
        self.assertEqual(oidc["client_id"], "custody-rs256")
        self.assertTrue(oidc["has_client_secret"])
        self.assertEqual(self.last_record("sso.oidc.read")["decision"], "allow")
        policy = self.admin.expect(200, "GET", "/api/v1/sso/policy")
        self.assertEqual(policy["link_by"], "email")
        self.assertEqual(self.last_record("sso.policy.read")["decision"], "allow")
        self.assertEqual(self.admin.get("/api/v1/sso/oidc?x=1").status, 400)

        # Bob is a viewer: he can neither read nor delete the settings.
        bob = self.server.api(self.admin.create_token(self.bob["id"], "bob's token")["token"])
        for method, path, action in (("GET", "/api/v1/sso/oidc", "sso.oidc.read"),
                                     ("GET", "/api/v1/sso/policy", "sso.policy.read"),
                                     ("DELETE", "/api/v1/sso/oidc", "sso.oidc.delete")):
            self.assertEqual(bob.request(method, path).status, 403, f"{method} {path}")
            record = self.last_record(action)
            self.assertEqual(record["decision"], "deny", action)
            self.assertEqual(record["actor"], self.bob["id"], action)

        # setUp configures the provider again for the next test.
        self.admin.expect(204, "DELETE", "/api/v1/sso/oidc")
        self.assertEqual(self.last_record("sso.oidc.delete")["decision"], "allow")
        self.admin.expect(404, "GET", "/api/v1/sso/oidc")

    def test_jwks_published(self):
        status, _, body = Browser().request(f"{self.server.public_url}/.well-known/jwks.json")
        self.assertEqual(status, 200)
        keys = json.loads(body)["keys"]
        self.assertEqual(keys[0]["kty"], "OKP")
        self.assertEqual(keys[0]["alg"], "EdDSA")


if __name__ == "__main__":
    unittest.main()
