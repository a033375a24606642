"""Presigned upload URLs: S3 (RGW) rejects every PUT that deviates from what Custody signed.

RGW accepts unsigned extra x-amz-* headers and ignores x-amz-checksum-sha256, unlike AWS S3,
so the signed header list is also checked on the URL itself.
"""

import base64
import hashlib
import os
import time
import unittest
import urllib.parse

import botocore.exceptions

import support

REQUIRED_SIGNED_HEADERS = {
    "host",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "content-md5",
    "x-amz-checksum-sha256",
    "content-length",
}


def header_value(headers: dict, name: str):
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def without_headers(headers: dict, *names: str) -> dict:
    return {key: value for key, value in headers.items() if key.lower() not in names}


def with_header(headers: dict, name: str, value: str) -> dict:
    result = without_headers(headers, name)
    result[name] = value
    return result


def query_parameters(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


@support.requires_s3
class PresignRejectionTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Presign engagement", "audit_engagement", root)
        cls.evidence = cls.admin.create_evidence(cls.entity["id"], "Access review")
        _, token = cls.admin.create_user_with_role("contributor", cls.entity["id"], "contributor")
        cls.contributor = cls.server.api(token)

    def new_version(self, size: int = 4096):
        data = os.urandom(size)
        created = self.contributor.create_version(self.evidence["id"], data, "review.csv")
        return data, created

    def object_key(self, created: dict) -> str:
        return support.object_key_from_url(created["upload"]["url"], self.bucket)

    def assertRejected(self, response: support.Response, context: str):
        self.assertTrue(400 <= response.status < 500,
                        f"{context}: S3 accepted the PUT: {response.describe()}")

    def assertObjectAbsent(self, key: str):
        with self.assertRaises(botocore.exceptions.ClientError, msg=f"object {key} exists"):
            support.s3_client().head_object(Bucket=self.bucket, Key=key)

    def assertCompleteConflicts(self, created: dict, failure_reason: str = "object_missing"):
        version_id = created["version"]["id"]
        response = self.contributor.complete_version(self.evidence["id"], version_id)
        self.assertProblem(response, 409, "complete after a rejected upload")
        versions = {v["id"]: v for v in self.contributor.versions(self.evidence["id"])}
        version = versions[version_id]
        self.assertEqual(version["status"], "pending")
        self.assertEqual(version["failure_reason"], failure_reason)
        self.assertIsNone(version["stored_at"])

    def test_signed_headers_cover_encryption_and_checksums(self):
        data, created = self.new_version()
        upload = created["upload"]
        parameters = query_parameters(upload["url"])
        signed = set(parameters.get("X-Amz-SignedHeaders", "").split(";"))
        missing = REQUIRED_SIGNED_HEADERS - signed
        self.assertFalse(missing, f"X-Amz-SignedHeaders lacks {sorted(missing)}: {sorted(signed)}")
        self.assertEqual(parameters.get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256")
        expires = int(parameters.get("X-Amz-Expires", "0"))
        self.assertGreater(expires, 0)
        self.assertLessEqual(expires, 3600)
        self.assertIn("X-Amz-Security-Token", parameters,
                      "the URL is not signed with temporary (AssumeRole) credentials")
        self.assertEqual(upload["method"], "PUT")

        headers = upload["headers"]
        self.assertEqual(header_value(headers, "x-amz-server-side-encryption"), "aws:kms")
        self.assertEqual(header_value(headers, "x-amz-server-side-encryption-aws-kms-key-id"),
                         os.environ.get("S3_KMS_KEY_ID", "testkey-1"))
        self.assertEqual(header_value(headers, "content-md5"), support.content_md5(data))
        self.assertEqual(header_value(headers, "x-amz-checksum-sha256"),
                         base64.b64encode(hashlib.sha256(data).digest()).decode("ascii"))
        self.assertEqual(str(header_value(headers, "content-length")), str(len(data)))

    def test_put_with_signed_headers_accepted(self):
        data, created = self.new_version()
        response = support.presigned_put(created["upload"], data)
        self.assertEqual(response.status, 200, response.describe())
        completed = self.contributor.complete_version(self.evidence["id"], created["version"]["id"])
        self.assertStatus(completed, 200, "complete after a correct upload")
        self.assertEqual(completed.json()["status"], "stored")

    def test_put_without_sse_headers_rejected(self):
        data, created = self.new_version()
        headers = without_headers(
            created["upload"]["headers"],
            "x-amz-server-side-encryption",
            "x-amz-server-side-encryption-aws-kms-key-id",
        )
        response = support.presigned_put(created["upload"], data, headers=headers)
        self.assertRejected(response, "PUT without SSE headers")
        self.assertObjectAbsent(self.object_key(created))
        self.assertCompleteConflicts(created)

    def test_put_with_other_kms_key_rejected(self):
        data, created = self.new_version()
        headers = with_header(
            created["upload"]["headers"], "x-amz-server-side-encryption-aws-kms-key-id", "testkey-2"
        )
        response = support.presigned_put(created["upload"], data, headers=headers)
        self.assertRejected(response, "PUT with KMS key testkey-2")
        self.assertObjectAbsent(self.object_key(created))
        self.assertCompleteConflicts(created)

    def test_put_with_tampered_signature_rejected(self):
        data, created = self.new_version()
        url = created["upload"]["url"]
        signature = query_parameters(url)["X-Amz-Signature"]
        flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
        tampered = url.replace(f"X-Amz-Signature={signature}", f"X-Amz-Signature={flipped}")
        self.assertNotEqual(tampered, url)
        response = support.presigned_put(created["upload"], data, url=tampered)
        self.assertRejected(response, "PUT with a tampered X-Amz-Signature")
        self.assertObjectAbsent(self.object_key(created))
        self.assertCompleteConflicts(created)

    def test_put_to_other_object_key_rejected(self):
        data, created = self.new_version()
        _, other = self.new_version()
        url = urllib.parse.urlsplit(created["upload"]["url"])
        other_path = urllib.parse.urlsplit(other["upload"]["url"]).path
        self.assertNotEqual(url.path, other_path)
        swapped = urllib.parse.urlunsplit(url._replace(path=other_path))
        response = support.presigned_put(created["upload"], data, url=swapped)
        self.assertRejected(response, "PUT with the path of another version's URL")
        self.assertObjectAbsent(self.object_key(created))
        self.assertObjectAbsent(self.object_key(other))
        self.assertCompleteConflicts(created)

    def test_put_with_other_body_rejected(self):
        data, created = self.new_version()
        other_body = bytes(byte ^ 0xFF for byte in data)
        response = support.presigned_put(created["upload"], other_body)
        self.assertRejected(response, "PUT of a body whose MD5 differs from Content-MD5")
        self.assertObjectAbsent(self.object_key(created))
        self.assertCompleteConflicts(created)

    def test_complete_without_upload_conflicts(self):
        _, created = self.new_version()
        self.assertCompleteConflicts(created)

    def test_complete_after_unencrypted_object_conflicts(self):
        # Someone with direct bucket access writes the key without SSE-KMS: the declared size
        # matches, the encryption does not.
        data, created = self.new_version()
        key = self.object_key(created)
        support.s3_client().put_object(Bucket=self.bucket, Key=key, Body=data)
        self.assertCompleteConflicts(created, "not_kms_encrypted")

    def test_complete_after_object_with_other_key_conflicts(self):
        data, created = self.new_version()
        key = self.object_key(created)
        support.s3_client().put_object(
            Bucket=self.bucket, Key=key, Body=data,
            ServerSideEncryption="aws:kms", SSEKMSKeyId="testkey-2",
        )
        self.assertCompleteConflicts(created, "kms_key_mismatch")

    def test_complete_after_object_of_other_size_conflicts(self):
        data, created = self.new_version()
        key = self.object_key(created)
        support.s3_client().put_object(
            Bucket=self.bucket, Key=key, Body=data + b"extra",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=os.environ.get("S3_KMS_KEY_ID", "testkey-1"),
        )
        self.assertCompleteConflicts(created, "size_mismatch")

    def test_fresh_upload_url_accepted(self):
        # A client whose URL expired requests a new one. The new URL differs from the old one
        # and stores the version under the same key.
        data, created = self.new_version()
        evidence_id, version_id = self.evidence["id"], created["version"]["id"]
        path = f"/api/v1/evidence/{evidence_id}/versions/{version_id}/upload-url"
        time.sleep(1.1)  # X-Amz-Date has one-second resolution.
        renewed = self.contributor.expect(200, "POST", path)
        self.assertEqual(renewed["version"]["id"], version_id)
        self.assertNotEqual(renewed["upload"]["url"], created["upload"]["url"])
        self.assertEqual(self.object_key(renewed), self.object_key(created))
        put = support.presigned_put(renewed["upload"], data)
        self.assertEqual(put.status, 200, put.describe())
        completed = self.contributor.complete_version(evidence_id, version_id)
        self.assertStatus(completed, 200, "complete after an upload through a fresh URL")
        again = self.contributor.post(path)
        self.assertProblem(again, 409, "upload-url for a stored version")


if __name__ == "__main__":
    unittest.main()
