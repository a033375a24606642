"""A SimpleSAMLphp identity provider on 127.0.0.1 for tests, and a browser stand-in that signs
in at it.

Needs Debian's simplesamlphp and php8.2-cli, php8.2-xml and php8.2-mbstring (see
scripts/install-deps.sh). The IdP runs under `php -S` in its own process group, so that stop()
ends the server and its worker processes together.

    idp = SamlIdp.start()
    idp.register_sp(entity_id, acs_url)
    post = idp.sign_in(redirect_url, "alice", "alice-mfa")   # post.saml_response, post.acs_url
    idp.stop()
"""

import dataclasses
import html
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

SUPPORT_DIR = os.path.dirname(os.path.abspath(__file__))
SIMPLESAMLPHP_WWW = "/usr/share/simplesamlphp/www"

PASSWORD_ONLY = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
REFEDS_MFA = "https://refeds.org/profile/mfa"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclasses.dataclass
class IdpPost:
    """The HTTP-POST binding form that the IdP returns to the browser."""

    acs_url: str
    saml_response: str  # base64, as posted
    relay_state: str

    def xml(self):
        import base64

        return base64.b64decode(self.saml_response).decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A cookie jar and the two openers that a sign-in needs."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        cookie_handler = urllib.request.HTTPCookieProcessor(self.cookies)
        self.follow = urllib.request.build_opener(cookie_handler)
        self.no_follow = urllib.request.build_opener(cookie_handler, _NoRedirect())

    def get_redirect(self, url):
        """GET `url` and return the Location of its redirect."""
        try:
            response = self.no_follow.open(url, timeout=10)
        except urllib.error.HTTPError as error:
            if error.code in (301, 302, 303, 307):
                return urllib.parse.urljoin(url, error.headers["Location"])
            raise
        raise AssertionError(f"expected a redirect from {url}, got {response.status}")

    def get(self, url):
        with self.follow.open(url, timeout=10) as response:
            return response.read().decode()

    def post_form(self, url, fields):
        data = urllib.parse.urlencode(fields).encode()
        with self.follow.open(url, data=data, timeout=10) as response:
            return response.read().decode()


def parse_post_form(page):
    """Reads the ACS URL, SAMLResponse and RelayState of the IdP's auto-submitting form."""
    response = re.search(r'name="SAMLResponse"\s+value="([^"]+)"', page)
    if response is None:
        raise AssertionError("the IdP page has no SAMLResponse (wrong password?):\n" + page[:2000])
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    relay = re.search(r'name="RelayState"\s+value="([^"]*)"', page)
    return IdpPost(
        acs_url=html.unescape(action.group(1)),
        saml_response=html.unescape(response.group(1)),
        relay_state=html.unescape(relay.group(1)) if relay else "",
    )


class SamlIdp:
    def __init__(self, directory, port, process):
        self.directory = directory
        self.port = port
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}/"
        self.entity_id = self.base_url + "simplesaml/saml2/idp/metadata.php"
        self.sso_url = self.base_url + "simplesaml/saml2/idp/SSOService.php"
        self._providers = []

    @classmethod
    def start(cls, timeout=20):
        if not os.path.isdir(SIMPLESAMLPHP_WWW) or shutil.which("php") is None:
            raise RuntimeError("simplesamlphp and php-cli are required (scripts/install-deps.sh)")
        directory = tempfile.mkdtemp(prefix="custody-saml-idp-")
        for sub in ("cert", "log", "data", "tmp", "www"):
            os.makedirs(os.path.join(directory, sub))
        os.symlink(SIMPLESAMLPHP_WWW, os.path.join(directory, "www", "simplesaml"))
        cls._make_certificate(os.path.join(directory, "cert"))
        port = free_port()

        environment = dict(
            os.environ,
            SIMPLESAMLPHP_CONFIG_DIR=os.path.join(SUPPORT_DIR, "config"),
            SAML_IDP_BASE_URL=f"http://127.0.0.1:{port}/",
            SAML_IDP_DIR=directory,
            PHP_CLI_SERVER_WORKERS="2",
        )
        log = open(os.path.join(directory, "log", "php.log"), "wb")
        process = subprocess.Popen(
            ["php", "-S", f"127.0.0.1:{port}", "-t", os.path.join(directory, "www")],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        idp = cls(directory, port, process)
        deadline = time.monotonic() + timeout
        while True:
            try:
                idp.metadata_xml()
                return idp
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or process.poll() is not None:
                    idp.stop()
                    raise RuntimeError("the SimpleSAMLphp IdP did not start; see php.log")
                time.sleep(0.05)

    @staticmethod
    def _make_certificate(cert_dir):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=custody-test-idp",
             "-keyout", os.path.join(cert_dir, "idp.key"),
             "-out", os.path.join(cert_dir, "idp.crt")],
            check=True,
            capture_output=True,
        )

    def stop(self):
        """Ends the server and its workers (one process group) and removes the directory."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def certificate_pem(self):
        with open(os.path.join(self.directory, "cert", "idp.crt")) as file:
            return file.read()

    def metadata_xml(self):
        with urllib.request.urlopen(self.entity_id, timeout=5) as response:
            return response.read().decode()

    def register_sp(self, entity_id, acs_url, assertion_lifetime=300):
        self._providers.append(
            {"entity_id": entity_id, "acs_url": acs_url, "assertion_lifetime": assertion_lifetime}
        )
        with open(os.path.join(self.directory, "sp.json"), "w") as file:
            json.dump(self._providers, file)

    def _log_in(self, browser, start_url, user, password):
        login_url = browser.get_redirect(start_url)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(login_url).query)
        auth_state = query["AuthState"][0]
        browser.get(login_url)
        page = browser.post_form(
            login_url.split("?")[0],
            {"username": user, "password": password, "AuthState": auth_state},
        )
        return parse_post_form(page)

    def sign_in(self, redirect_url, user, password, browser=None):
        """Follows an SP's redirect to the IdP and logs in; returns the IdP's POST form."""
        return self._log_in(browser or Browser(), redirect_url, user, password)

    def sign_in_idp_initiated(self, sp_entity_id, user, password, browser=None):
        """Starts at the IdP (no AuthnRequest), so the response has no InResponseTo."""
        url = self.sso_url + "?" + urllib.parse.urlencode({"spentityid": sp_entity_id})
        return self._log_in(browser or Browser(), url, user, password)
