"""Multipart uploads through the API, as a browser makes them, against the test RGW.

The server starts the upload in S3 and signs one URL per part. The client PUTs each part
straight to S3, and the server checks the parts and completes the upload."""

import hashlib
import os

import cli
import support

PART_SIZE = 5 * 1024 * 1024  # S3's minimum part size
# Three parts: two full ones and a short last part.
FILE_SIZE = 2 * PART_SIZE + 1000


def multipart_body(data: bytes, file_name: str = "large.bin") -> dict:
    body = support.version_body(data, file_name)
    body["part_size"] = PART_SIZE
    body["part_md5s"] = [
        hashlib.md5(data[start:start + PART_SIZE]).hexdigest()
        for start in range(0, len(data), PART_SIZE)
    ]
    return body


def part_bytes(data: bytes, part_number: int) -> bytes:
    start = (part_number - 1) * PART_SIZE
    return data[start:start + PART_SIZE]


@support.requires_s3
class MultipartUploadTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def prepare_database(cls):
        cls.other_org = cls.server.init_organization("Other Org")

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Multipart engagement", "audit_engagement", root)
        cls.evidence = cls.admin.create_evidence(cls.entity["id"], "Database export")
        _, token = cls.admin.create_user_with_role("uploader", cls.entity["id"], "contributor")
        cls.contributor = cls.server.api(token)
        _, viewer_token = cls.admin.create_user_with_role("viewer", cls.entity["id"], "viewer")
        cls.viewer = cls.server.api(viewer_token)
        other = cls.server.describe_organization(cls.other_org)
        cls.other_admin = cls.server.api(other.token)
        cls.other_admin.set_aws_connection(cls.bucket)
        cls.data = os.urandom(FILE_SIZE)

    def versions_path(self) -> str:
        return f"/api/v1/evidence/{self.evidence['id']}/versions"

    def version_path(self, version_id: str) -> str:
        return f"{self.versions_path()}/{version_id}"

    def call(self, method: str, version_id: str, action: str, body=None) -> dict:
        """Send `method` to the version's `action` as the contributor and expect 200."""
        return self.contributor.expect(200, method, f"{self.version_path(version_id)}/{action}",
                                       body)

    def create_multipart(self) -> dict:
        return self.contributor.expect(201, "POST", self.versions_path(),
                                       multipart_body(self.data))

    def part_urls(self, version_id: str, numbers: list[int]) -> dict[int, dict]:
        listed = self.call("POST", version_id, "part-urls", {"part_numbers": numbers})
        return {part["part_number"]: part for part in listed["parts"]}

    def upload_parts(self, version_id: str, numbers: list[int]) -> None:
        for number, part in self.part_urls(version_id, numbers).items():
            put = support.presigned_put(part, part_bytes(self.data, number))
            self.assertStatus(put, 200, f"PUT of part {number}")

    def version(self, version_id: str) -> dict:
        return {v["id"]: v for v in self.contributor.versions(self.evidence["id"])}[version_id]

    def test_upload_resume_complete_download(self):
        created = self.create_multipart()
        version = created["version"]
        self.assertEqual(created["upload"],
                         {"method": "MULTIPART", "part_size": PART_SIZE, "part_count": 3})
        self.assertEqual(version["part_size"], PART_SIZE)
        self.assertEqual(version["part_count"], 3)
        self.assertEqual(version["status"], "pending")
        version_id = version["id"]

        # A client that knows only the version id learns the method from upload-url.
        renewed = self.call("POST", version_id, "upload-url")
        self.assertEqual(renewed["upload"], created["upload"])

        first = self.part_urls(version_id, [1])[1]
        self.assertEqual(first["method"], "PUT")
        self.assertEqual(first["headers"]["Content-MD5"],
                         support.content_md5(part_bytes(self.data, 1)))
        self.assertIn("expires_at", first)
        self.assertStatus(support.presigned_put(first, part_bytes(self.data, 1)), 200, "part 1")

        parts = self.call("GET", version_id, "parts")
        self.assertEqual(parts, {"part_size": PART_SIZE, "part_count": 3,
                                 "uploaded": [{"part_number": 1, "size": PART_SIZE}]})

        self.upload_parts(version_id, [2, 3])
        completed = self.call("POST", version_id, "complete")
        self.assertEqual(completed["status"], "stored")
        self.assertEqual(completed["part_count"], 3)

        download = self.call("POST", version_id, "download")
        fetched = support.presigned_get(download["url"])
        self.assertStatus(fetched, 200, "presigned GET")
        self.assertEqual(hashlib.sha256(fetched.body).hexdigest(),
                         hashlib.sha256(self.data).hexdigest())

        key = support.object_key_from_url(download["url"], self.bucket)
        head = support.s3_client().head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        self.assertEqual(head["SSEKMSKeyId"], os.environ.get("S3_KMS_KEY_ID", "testkey-1"))
        self.assertEqual(head["ContentLength"], FILE_SIZE)

    def test_complete_with_missing_part_stays_pending(self):
        version_id = self.create_multipart()["version"]["id"]
        self.upload_parts(version_id, [1, 3])
        response = self.contributor.post(self.version_path(version_id) + "/complete")
        details = self.assertProblem(response, 409, "complete without part 2")
        self.assertIn("part 2", details.get("detail", ""))
        version = self.version(version_id)
        self.assertEqual(version["status"], "pending")
        self.assertEqual(version["failure_reason"], "parts_missing")

        self.upload_parts(version_id, [2])
        completed = self.call("POST", version_id, "complete")
        self.assertEqual(completed["status"], "stored")
        self.assertIsNone(completed["failure_reason"])

    def test_tampered_part_rejected_by_s3(self):
        version_id = self.create_multipart()["version"]["id"]
        url = self.part_urls(version_id, [1])[1]
        other_bytes = bytearray(part_bytes(self.data, 1))
        other_bytes[0] ^= 0xFF
        same_length = support.presigned_put(url, bytes(other_bytes))
        self.assertTrue(400 <= same_length.status < 500, same_length.describe())
        # Without the signed Content-Length, the request states the real, longer length.
        unsigned_length = {name: value for name, value in url["headers"].items()
                           if name.lower() != "content-length"}
        longer = support.presigned_put(url, part_bytes(self.data, 1) + b"x",
                                       headers=unsigned_length)
        self.assertTrue(400 <= longer.status < 500, longer.describe())
        # Part 2's URL does not accept part 1's bytes either.
        second = self.part_urls(version_id, [2])[2]
        moved = support.presigned_put(second, part_bytes(self.data, 1))
        self.assertTrue(400 <= moved.status < 500, moved.describe())
        parts = self.call("GET", version_id, "parts")
        self.assertEqual(parts["uploaded"], [])

    def test_viewer_cannot_get_part_urls(self):
        version_id = self.create_multipart()["version"]["id"]
        path = self.version_path(version_id)
        self.assertProblem(self.viewer.post(path + "/part-urls", {"part_numbers": [1]}), 403,
                           "viewer part-urls")
        self.assertProblem(self.viewer.get(path + "/parts"), 403, "viewer parts")

    def test_other_organization_ids_not_found(self):
        version_id = self.create_multipart()["version"]["id"]
        path = self.version_path(version_id)
        for method, suffix, body in (("POST", "/part-urls", {"part_numbers": [1]}),
                                     ("GET", "/parts", None),
                                     ("POST", "/complete", None),
                                     ("POST", "/upload-url", None)):
            response = self.other_admin.request(method, path + suffix, json_body=body)
            self.assertProblem(response, 404, f"other organization {method} {suffix}")

    def test_invalid_requests_name_field(self):
        only_size = support.version_body(self.data)
        only_size["part_size"] = PART_SIZE
        details = self.assertProblem(self.contributor.post(self.versions_path(), only_size), 400,
                                     "part_size alone")
        self.assertIn("part_md5s", details.get("detail", ""))

        short = multipart_body(self.data)
        short["part_md5s"].pop()
        details = self.assertProblem(self.contributor.post(self.versions_path(), short), 400,
                                     "one part MD5 missing")
        self.assertIn("part_md5s", details.get("detail", ""))

        version_id = self.create_multipart()["version"]["id"]
        for numbers in ([], [0], [4], [1, 1]):
            response = self.contributor.post(self.version_path(version_id) + "/part-urls",
                                             {"part_numbers": numbers})
            self.assertProblem(response, 400, f"part_numbers {numbers}")

        single = self.contributor.create_version(self.evidence["id"], b"small file")
        response = self.contributor.post(self.version_path(single["version"]["id"]) + "/part-urls",
                                         {"part_numbers": [1]})
        details = self.assertProblem(response, 409, "part-urls of a single upload")
        self.assertIn("not a multipart upload", details.get("detail", ""))
        self.assertIsNone(single["version"]["part_size"])
        self.assertIsNone(single["version"]["part_count"])


# Just over the CLI's 64 MiB multipart threshold: eight 8 MiB parts and a short one.
CLI_FILE_SIZE = 64 * 1024 * 1024 + 4096


@support.requires_s3
@support.requires_binary("CUSTODY_CLI")
class CliMultipartUploadTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("CLI multipart engagement", "audit_engagement", root)
        _, token = cls.admin.create_user_with_role("cliuploader", cls.entity["id"],
                                                   "contributor")
        cls.cli = cli.Cli(os.environ["CUSTODY_CLI"], cls.server.base_url, token,
                          cls.server.directory)
        cls.data = os.urandom(CLI_FILE_SIZE)
        cls.path = os.path.join(cls.server.directory, "database-dump.bin")
        with open(cls.path, "wb") as upload_file:
            upload_file.write(cls.data)
        cls.upload = cls.cli.run("upload", cls.path, "--entity", cls.entity["id"])

    def test_large_file_uploads_in_parts(self):
        self.assertEqual(self.upload.returncode, 0, cli.describe(self.upload))
        keys = support.list_object_keys(self.bucket)
        self.assertEqual(len(keys), 1, keys)
        head = support.s3_client().head_object(Bucket=self.bucket, Key=keys[0])
        self.assertTrue(head["ETag"].strip('"').endswith("-9"), head["ETag"])
        self.assertEqual(head["ServerSideEncryption"], "aws:kms")
        stored = support.s3_client().get_object(Bucket=self.bucket, Key=keys[0])["Body"].read()
        self.assertEqual(hashlib.sha256(stored).hexdigest(), hashlib.sha256(self.data).hexdigest())


if __name__ == "__main__":
    import unittest

    unittest.main()
