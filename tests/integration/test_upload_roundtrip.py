"""An upload and a download through the `custody` CLI, checked against S3 with botocore."""

import hashlib
import os
import unittest

import cli
import support

FILE_SIZE = 12 * 1024 * 1024
# The CLI sends JSON metadata only; the file's bytes go straight to S3.
MAX_SERVER_BODY_BYTES = 64 * 1024


@support.requires_s3
@support.requires_binary("CUSTODY_CLI")
class UploadRoundtripTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Roundtrip engagement", "audit_engagement", root)
        cls.evidence = cls.admin.create_evidence(cls.entity["id"], "Firewall rule export")
        cls.contributor, token = cls.admin.create_user_with_role(
            "contributor", cls.entity["id"], "contributor"
        )
        cls.cli = cli.Cli(os.environ["CUSTODY_CLI"], cls.server.base_url, token,
                          cls.server.directory)

        cls.data = os.urandom(FILE_SIZE)
        cls.file_name = "firewall-rules.bin"
        cls.path = os.path.join(cls.server.directory, cls.file_name)
        with open(cls.path, "wb") as upload_file:
            upload_file.write(cls.data)

        cls.body_bytes_before = cls.read_body_bytes()
        cls.upload = cls.cli.run(
            "upload", cls.path, "--entity", cls.entity["id"], "--evidence", cls.evidence["id"]
        )
        cls.body_bytes_after = cls.read_body_bytes()

    @classmethod
    def read_body_bytes(cls):
        """Return custody_http_request_body_bytes_total, or the error text if it is missing."""
        try:
            return cls.admin.metric("custody_http_request_body_bytes_total")
        except AssertionError as error:
            return str(error)

    def require_upload(self):
        if self.upload.returncode != 0:
            self.fail("custody upload failed: " + cli.describe(self.upload))

    def stored_object_key(self) -> str:
        keys = support.list_object_keys(self.bucket)
        self.assertEqual(len(keys), 1, f"objects in bucket {self.bucket}: {keys}")
        return keys[0]

    def test_upload_exits_zero(self):
        self.assertEqual(self.upload.returncode, 0, cli.describe(self.upload))

    def test_version_is_stored(self):
        self.require_upload()
        versions = self.admin.versions(self.evidence["id"])
        self.assertEqual(len(versions), 1, versions)
        version = versions[0]
        self.assertEqual(version["status"], "stored")
        self.assertEqual(version["size"], FILE_SIZE)
        self.assertEqual(version["sha256"], hashlib.sha256(self.data).hexdigest())
        self.assertEqual(version["file_name"], self.file_name)
        self.assertEqual(version["created_by"], self.contributor["id"])
        self.assertIsNotNone(version["stored_at"])

    def test_object_bytes_match_file(self):
        self.require_upload()
        key = self.stored_object_key()
        self.assertTrue(key.startswith("evidence/"), key)
        stored = support.s3_client().get_object(Bucket=self.bucket, Key=key)["Body"].read()
        self.assertEqual(len(stored), FILE_SIZE)
        self.assertTrue(stored == self.data, "the object's bytes differ from the file")

    def test_object_encrypted_with_org_key(self):
        self.require_upload()
        head = support.s3_client().head_object(Bucket=self.bucket, Key=self.stored_object_key())
        self.assertEqual(head.get("ServerSideEncryption"), "aws:kms")
        self.assertEqual(head.get("SSEKMSKeyId"), os.environ.get("S3_KMS_KEY_ID", "testkey-1"))
        self.assertEqual(head["ContentLength"], FILE_SIZE)

    def test_download_returns_same_bytes(self):
        self.require_upload()
        output = os.path.join(self.server.directory, "downloaded.bin")
        result = self.cli.run("download", self.evidence["id"], "--output", output)
        self.assertEqual(result.returncode, 0, cli.describe(result))
        with open(output, "rb") as downloaded:
            content = downloaded.read()
        self.assertEqual(len(content), FILE_SIZE)
        self.assertTrue(content == self.data, "the downloaded bytes differ from the file")

    def test_download_url_returns_attachment(self):
        self.require_upload()
        version = self.admin.versions(self.evidence["id"])[0]
        path = f"/api/v1/evidence/{self.evidence['id']}/versions/{version['id']}/download"
        download = self.admin.expect(200, "POST", path)
        self.assertEqual(download["method"], "GET")
        self.assertTrue(download["expires_at"])
        response = support.presigned_get(download["url"])
        self.assertEqual(response.status, 200, response.describe())
        disposition = response.header("Content-Disposition") or ""
        self.assertTrue(disposition.startswith("attachment"), disposition)
        self.assertIn(self.file_name, disposition)
        self.assertTrue(response.body == self.data, "the presigned GET returned other bytes")

    def test_ls_lists_evidence(self):
        self.require_upload()
        result = self.cli.run("ls", "--entity", self.entity["id"])
        self.assertEqual(result.returncode, 0, cli.describe(result))
        self.assertIn(self.evidence["id"], result.stdout, cli.describe(result))

    def test_server_reads_no_file_bytes(self):
        self.require_upload()
        for value in (self.body_bytes_before, self.body_bytes_after):
            if isinstance(value, str):
                self.fail(value)
        read = self.body_bytes_after - self.body_bytes_before
        self.assertGreater(read, 0, "the upload sent no request body to custodyd")
        self.assertLess(read, MAX_SERVER_BODY_BYTES,
                        f"custodyd read {read} bytes of request bodies for a {FILE_SIZE}-byte file")


if __name__ == "__main__":
    unittest.main()
