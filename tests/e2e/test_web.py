"""The web app in a real browser: Debian's Chromium driven by Playwright (web_flow.mjs).

This module starts custodyd with the built app (web/dist), the test OIDC provider and a
bucket with the CORS rules that custodyd offers, then runs web_flow.mjs. The browser signs in
through the provider's login page, uploads a file of several MB in one PUT and one of about
20 MiB in parts straight to RGW, and downloads both again. custodyd's request body counter
must grow by less than the smaller file's size, because the bytes go to the bucket only. The
browser reaches RGW through tests/support/s3_proxy.py, which works around RGW's handling of
CORS preflights, and which the outage tests stop or tell to cut part uploads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "support"))

import support  # noqa: E402
from s3_proxy import S3Proxy  # noqa: E402
from test_sso_oidc import IDP_DIR, OidcCustodyServer, OidcProvider, free_port  # noqa: E402

WEB_DIST = os.path.join(REPO, "web", "dist")
CHROMIUM = "/usr/bin/chromium"
FILE_SIZE = 6 * 1024 * 1024
# Over the browser's 16 MiB multipart threshold: parts of 8 MiB, 8 MiB and 4 MiB + 12345 bytes.
LARGE_FILE_SIZE = 20 * 1024 * 1024 + 12345
LARGE_FILE_PARTS = 3
FLOW_TIMEOUT_SECONDS = 300


class WebCustodyServer(OidcCustodyServer):
    """custodyd serving web/dist, with the bucket's endpoint allowed in connect-src."""

    def __init__(self, label: str, s3_endpoint: str):
        self.s3_endpoint = s3_endpoint
        super().__init__(label)

    def write_config(self) -> None:
        super().write_config()
        with open(self.config_path, encoding="utf-8") as config:
            text = config.read()
        line = f'public_url = "{self.public_url}"'
        web = [
            line,
            f"web_root = {json.dumps(WEB_DIST)}",
            f"web_connect_src = [{json.dumps(self.s3_endpoint)}]",
        ]
        text = text.replace(line, "\n".join(web), 1)
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write(text)


def missing_requirement() -> str | None:
    if not os.environ.get("S3_ENDPOINT"):
        return "S3_ENDPOINT is not set: start the test RGW (scripts/test.sh does)"
    if shutil.which("node") is None:
        return "node is not installed"
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing; run scripts/install-deps.sh"
    if not os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return "tests/e2e/node_modules is missing; run scripts/install-deps.sh"
    if not os.path.isdir(os.path.join(IDP_DIR, "node_modules")):
        return "tests/support/oidc-idp/node_modules is missing; run scripts/install-deps.sh"
    if not os.path.isfile(os.path.join(WEB_DIST, "index.html")):
        return "web/dist is not built; run npm run build --prefix web"
    return None


@support.requires_binary("CUSTODYD")
class WebAppTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = missing_requirement()
        if reason:
            raise unittest.SkipTest(reason)
        rgw = urllib.parse.urlsplit(os.environ["S3_ENDPOINT"])
        cls.s3_proxy = S3Proxy(rgw.hostname, rgw.port or 80, free_port())
        cls.s3_proxy.start()
        cls.server = WebCustodyServer("web", cls.s3_proxy.url)
        cls.idp = OidcProvider(cls.server.public_url)
        try:
            cls.org = cls.server.init_organization("Web Org")
            cls.server.start()
            cls.setup = cls.set_up_organization()
        except Exception:
            cls.server.stop()
            cls.idp.stop()
            cls.s3_proxy.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.idp.stop()
        cls.s3_proxy.stop()
        cls.delete_bucket_objects()

    @classmethod
    def delete_bucket_objects(cls) -> None:
        """Delete the test's objects (files of up to 20 MiB), because the test RGW keeps them
        in memory for the rest of the CI run."""
        bucket = cls.setup["bucket"]
        client = support.s3_client()
        for key in support.list_object_keys(bucket):
            client.delete_object(Bucket=bucket, Key=key)
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        for upload in uploads:
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                          UploadId=upload["UploadId"])

    @classmethod
    def set_up_organization(cls) -> dict:
        admin = cls.server.api(cls.org.token)
        me = admin.me()
        root_id = me["organization"]["root_entity_id"]
        admin.expect(200, "PUT", "/api/v1/sso/oidc", {
            "issuer": cls.idp.issuer, "client_id": "custody-rs256",
            "client_secret": "rs256-client-secret", "client_auth": "client_secret_basic",
            "allowed_algs": ["RS256"],
        })
        admin.expect(200, "PUT", "/api/v1/sso/policy", {"link_by": "email", "require_mfa": False})

        visible = admin.create_entity("Finance", "business_unit", root_id)
        hidden = admin.create_entity("Legal", "business_unit", root_id)
        for label, role in (("alice", "contributor"), ("bob", "viewer"), ("carol", "manager")):
            user = admin.expect(201, "POST", "/api/v1/users", {
                "email": f"{label}@example.test", "display_name": f"{label.title()} Example",
            })
            admin.assign_role(user["id"], visible["id"], role)
        hidden_item = admin.create_evidence(hidden["id"], "Board minutes")

        bucket = support.create_bucket("web")
        # The browser reaches the bucket through the proxy (see s3_proxy.py), and so does
        # custodyd's check of the uploaded object.
        connection_body = support.aws_connection_body(bucket)
        connection_body["endpoint"] = cls.s3_proxy.url
        connection = admin.expect(200, "PUT", "/api/v1/aws-connection", connection_body)
        support.s3_client().put_bucket_cors(
            Bucket=bucket, CORSConfiguration=connection["bucket_cors"]
        )
        return {
            "admin": admin, "bucket": bucket, "organization_id": me["organization"]["id"],
            "entity": visible, "hidden_evidence_id": hidden_item["id"],
        }

    def flow_settings(self, phase: str, file_name: str, file_size: int = FILE_SIZE) -> dict:
        setup = self.setup
        work = support.tempfile.mkdtemp(prefix="custody-e2e-")
        self.addCleanup(shutil.rmtree, work, True)
        file_path = os.path.join(work, file_name)
        with open(file_path, "wb") as file:
            file.write(os.urandom(file_size))
        large_file_path = os.path.join(work, "large-" + file_name)
        if phase == "main":
            with open(large_file_path, "wb") as file:
                file.write(os.urandom(LARGE_FILE_SIZE))
        screenshot_dir = os.environ.get("CUSTODY_E2E_SCREENSHOTS") or os.path.join(work, "shots")
        os.makedirs(screenshot_dir, exist_ok=True)
        return {
            "phase": phase,
            "base_url": self.server.public_url,
            "organization_id": setup["organization_id"],
            "entity_id": setup["entity"]["id"],
            "entity_name": setup["entity"]["name"],
            "hidden_evidence_id": setup["hidden_evidence_id"],
            "file_path": file_path,
            "large_file_path": large_file_path,
            "screenshot_dir": screenshot_dir,
            "screenshot_prefix": "outage",
            "contributor": "alice",
            "viewer": "bob",
            "manager": "carol",
            "profile_dir": os.path.join(work, "profile"),
        }

    def run_flow(self, settings: dict) -> None:
        flow = subprocess.run(
            ["node", os.path.join(HERE, "web_flow.mjs"), json.dumps(settings)],
            cwd=HERE, capture_output=True, text=True, timeout=FLOW_TIMEOUT_SECONDS,
            stdin=subprocess.DEVNULL,
        )
        print(flow.stdout)
        self.assertEqual(flow.returncode, 0,
                         f"web_flow.mjs {settings['phase']} failed:\n{flow.stdout}\n{flow.stderr}\n"
                         f"custodyd log:\n{self.server.log_tail(60)}")

    def test_upload_download_and_roles_in_browser(self):
        setup = self.setup
        settings = self.flow_settings("main", "access-review.bin")
        # One more than a page of the app's list, for the search's paging.
        for number in range(26):
            setup["admin"].create_evidence(setup["entity"]["id"], f"Paging check {number:02d}")
        body_bytes_before = setup["admin"].metric("custody_http_request_body_bytes_total")
        self.run_flow(settings)
        body_bytes_after = setup["admin"].metric("custody_http_request_body_bytes_total")
        self.assertLess(body_bytes_after - body_bytes_before, FILE_SIZE,
                        "custodyd read request bodies as large as an uploaded file")

        self.assert_stored_with_kms(setup["entity"]["id"], "access-review.bin")
        head = self.assert_stored_with_kms(setup["entity"]["id"], "large-access-review.bin",
                                           LARGE_FILE_SIZE)
        self.assertTrue(head["ETag"].strip('"').endswith(f"-{LARGE_FILE_PARTS}"), head["ETag"])
        for name in ("sign-in", "entity", "evidence", "upload-progress", "evidence-multipart",
                     "sign-in-queued", "search", "not-found", "home", "viewer-entity"):
            path = os.path.join(settings["screenshot_dir"], f"{name}.png")
            self.assertTrue(os.path.isfile(path), name)

    def stored_version(self, entity_id: str, file_name: str) -> dict:
        admin = self.setup["admin"]
        items = admin.list_all(f"/api/v1/entities/{entity_id}/evidence")
        versions = [
            version for item in items for version in admin.versions(item["id"])
            if version["file_name"] == file_name and version["status"] == "stored"
        ]
        self.assertEqual(len(versions), 1, versions)
        return versions[0]

    def assert_stored_with_kms(self, entity_id: str, file_name: str,
                               size: int = FILE_SIZE) -> dict:
        """Check that the file's stored version is in the bucket with SSE-KMS; return its HEAD."""
        version = self.stored_version(entity_id, file_name)
        keys = [key for key in support.list_object_keys(self.setup["bucket"])
                if key.endswith(version["id"])]
        self.assertEqual(len(keys), 1, keys)
        head = support.s3_client().head_object(Bucket=self.setup["bucket"], Key=keys[0])
        self.assertEqual(head["ContentLength"], size)
        self.assertEqual(head.get("ServerSideEncryption"), "aws:kms")
        return head

    def test_outage_queues_upload_and_download(self):
        admin = self.setup["admin"]
        item = admin.create_evidence(self.setup["entity"]["id"], "Outage upload")
        settings = self.flow_settings("queue", "during-outage.bin")
        # A version stored before the outage, which the browser then tries to download.
        stored_path = os.path.join(os.path.dirname(settings["file_path"]), "before-outage.bin")
        with open(stored_path, "wb") as file:
            file.write(os.urandom(FILE_SIZE // 2))
        with open(stored_path, "rb") as file:
            admin.upload_version(item["id"], file.read(), "before-outage.bin")
        settings.update(outage_evidence_id=item["id"], outage_title="Outage upload",
                        download_file_name="before-outage.bin")
        self.s3_proxy.stop()
        try:
            self.run_flow(settings)
        finally:
            self.s3_proxy.start()
        self.assertEqual(admin.versions(item["id"])[0]["status"], "pending")
        settings.update(phase="resume", download_expected_path=stored_path)
        self.run_flow(settings)
        self.assert_stored_with_kms(self.setup["entity"]["id"], "during-outage.bin")

    def test_interrupted_multipart_upload_resumes(self):
        admin = self.setup["admin"]
        item = admin.create_evidence(self.setup["entity"]["id"], "Interrupted upload")
        settings = self.flow_settings("interrupt", "interrupted.bin", LARGE_FILE_SIZE)
        settings.update(outage_evidence_id=item["id"], outage_title="Interrupted upload",
                        screenshot_prefix="multipart")
        self.s3_proxy.limit_part_uploads(1)
        try:
            self.run_flow(settings)
        finally:
            self.s3_proxy.limit_part_uploads(None)
        version = admin.versions(item["id"])[0]
        self.assertEqual(version["status"], "pending")
        self.assertEqual(version.get("part_count"), LARGE_FILE_PARTS, version)
        before_resume = self.s3_proxy.forwarded_parts(version["id"])
        self.assertEqual(len(before_resume), 1, before_resume)

        # Two tabs of the profile share the queue, and only one may work on it.
        settings.update(phase="resume", two_tabs=True)
        self.run_flow(settings)
        self.assert_stored_with_kms(self.setup["entity"]["id"], "interrupted.bin", LARGE_FILE_SIZE)
        # The resume sent only the parts that RGW did not store yet, each once.
        forwarded = self.s3_proxy.forwarded_parts(version["id"])
        self.assertEqual(sorted(forwarded), list(range(1, LARGE_FILE_PARTS + 1)), forwarded)

    def test_app_headers_and_fallback(self):
        api = self.server.api()
        page = api.get("/evidence/evd_doesnotexist")
        self.assertEqual(page.status, 200)
        self.assertIn("text/html", page.header("Content-Type"))
        policy = page.header("Content-Security-Policy") or ""
        self.assertIn("script-src 'self';", policy)
        self.assertIn(f"connect-src 'self' {self.s3_proxy.url};", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertEqual(page.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(page.header("Referrer-Policy"), "no-referrer")
        self.assertIsNone(page.header("Strict-Transport-Security"))
        # The API keeps its 404 problem, and traversal finds nothing outside web/dist.
        self.assertEqual(api.get("/api/v1/nothing-here").status, 401)
        self.assertEqual(api.get("/auth/nothing-here").status, 404)
        for path in ("/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt",
                     "/assets/%2e%2e/%2e%2e/README.md", "/assets/missing.js"):
            response = api.get(path)
            # The server rejects some of these targets before routing (400), the app the rest.
            self.assertIn(response.status, (400, 404), path)
            self.assertNotIn(b"cmake_minimum_required", response.body, path)


if __name__ == "__main__":
    unittest.main()
