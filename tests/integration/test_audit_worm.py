"""The audit log end to end: WORM export to RGW with Object Lock, the reconciler, and the CLI.

custodyd exports an organization's signed checkpoints and records to a bucket created with
Object Lock. The test checks that RGW protects the exported versions, that
`custodyd audit reconcile` reads them back, and that `custody audit export`, `verify` and
`monitor` accept the live log.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
import unittest
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from cli import Cli, describe
from support import CustodyServer, requires_binary, requires_s3, s3_client

# How long to wait for the export job, which runs every export_interval_seconds (1 s here).
EXPORT_TIMEOUT_SECONDS = 60


class WormServer(CustodyServer):
    """custodyd with [audit.worm] pointing at `bucket` in the test RGW."""

    def __init__(self, label: str, bucket: str):
        self.bucket = bucket
        super().__init__(label)

    def write_config(self) -> None:
        super().write_config()
        lines = [
            "",
            "[audit.worm]",
            f"bucket = {json.dumps(self.bucket)}",
            f"endpoint = {json.dumps(os.environ['S3_ENDPOINT'])}",
            f"region = {json.dumps(os.environ.get('AWS_DEFAULT_REGION', 'us-east-1'))}",
            'key_prefix = "custody/"',
            "export_interval_seconds = 1",
            "reconcile_interval_seconds = 3600",
            "",
        ]
        with open(self.config_path, "a", encoding="utf-8") as config:
            config.write("\n".join(lines))

    def run_command(self, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.binary, "--config", self.config_path, *arguments],
            capture_output=True, text=True, env=self.environment(), timeout=120,
            stdin=subprocess.DEVNULL,
        )


@requires_s3
@requires_binary("CUSTODYD")
@requires_binary("CUSTODY_CLI")
class AuditWormTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = s3_client()
        cls.bucket = f"custody-it-worm-{secrets.token_hex(4)}"
        cls.s3.create_bucket(Bucket=cls.bucket, ObjectLockEnabledForBucket=True)
        cls.server = WormServer("audit-worm", cls.bucket)
        cls.organization = cls.server.init_organization("Worm Org")
        cls.server.start()
        cls.server.describe_organization(cls.organization)
        cls.api = cls.server.api(cls.organization.token)
        cls.api.expect(201, "POST", "/api/v1/audit/checkpoints", {})
        cls.objects = cls.wait_for_export()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    @classmethod
    def wait_for_export(cls) -> list[dict]:
        """Return the exported object versions of the organization's log, once there are two."""
        prefix = f"custody/audit/{cls.organization.organization_id}/"
        deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
        while True:
            listing = cls.s3.list_object_versions(Bucket=cls.bucket, Prefix=prefix)
            versions = listing.get("Versions", [])
            if len(versions) >= 2:
                return versions
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no export under {prefix} in time:\n" + cls.server.log_tail()
                )
            time.sleep(0.5)

    def cli(self) -> Cli:
        return Cli(os.environ["CUSTODY_CLI"], self.server.base_url, self.organization.token,
                   self.server.directory)

    def verifier_key(self) -> str:
        keys = self.api.expect(200, "GET", "/api/v1/audit/verifier-keys")["keys"]
        return keys[0]["verifier_key"]

    def test_exported_objects_locked_in_compliance(self):
        keys = sorted(version["Key"] for version in self.objects)
        self.assertTrue(any("/records/" in key and key.endswith(".jsonl") for key in keys), keys)
        self.assertTrue(any("/checkpoints/" in key and key.endswith(".note") for key in keys), keys)
        for version in self.objects:
            head = self.s3.head_object(Bucket=self.bucket, Key=version["Key"],
                                       VersionId=version["VersionId"])
            self.assertEqual(head.get("ObjectLockMode"), "COMPLIANCE", version["Key"])
            retain_until = head["ObjectLockRetainUntilDate"]
            self.assertGreater(retain_until, datetime.now(timezone.utc) + timedelta(days=364))

    def test_locked_version_resists_delete_and_shortening(self):
        version = self.objects[0]
        with self.assertRaises(ClientError):
            self.s3.delete_object(Bucket=self.bucket, Key=version["Key"],
                                  VersionId=version["VersionId"])
        with self.assertRaises(ClientError):
            self.s3.put_object_retention(
                Bucket=self.bucket, Key=version["Key"], VersionId=version["VersionId"],
                Retention={"Mode": "COMPLIANCE",
                           "RetainUntilDate": datetime.now(timezone.utc) + timedelta(days=1)},
            )
        head = self.s3.head_object(Bucket=self.bucket, Key=version["Key"],
                                   VersionId=version["VersionId"])
        self.assertEqual(head["ContentLength"], version["Size"])

    def test_reconcile_ignores_overwrite_and_delete_marker(self):
        checkpoint = next(v for v in self.objects if v["Key"].endswith(".note"))
        self.s3.put_object(Bucket=self.bucket, Key=checkpoint["Key"], Body=b"forged\n")
        self.s3.delete_object(Bucket=self.bucket, Key=checkpoint["Key"])

        result = self.server.run_command("audit", "reconcile")
        self.assertEqual(result.returncode, 0, describe(result))
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertGreaterEqual(summary["checked"], 2, summary)
        self.assertEqual(summary["problems"], [], summary)
        self.assertGreaterEqual(self.api.metric("custody_audit_worm_objects_exported_total"), 2)

    def test_cli_exports_and_verifies_live_log(self):
        cli = self.cli()
        key = self.verifier_key()
        export_path = os.path.join(self.server.directory, "trail.json")
        exported = cli.run("audit", "export", "--out", export_path)
        self.assertEqual(exported.returncode, 0, describe(exported))

        verified = cli.run("audit", "verify", export_path, "--key", key)
        self.assertEqual(verified.returncode, 0, describe(verified))
        self.assertIn(f"/audit/{self.organization.organization_id}:", verified.stdout)

        live = cli.run("audit", "verify", "--server", "--key", key, "--pinned", export_path)
        self.assertEqual(live.returncode, 0, describe(live))

        with open(export_path, encoding="utf-8") as bundle_file:
            bundle = json.load(bundle_file)
        bundle["entries"].pop(1)
        tampered_path = os.path.join(self.server.directory, "tampered.json")
        with open(tampered_path, "w", encoding="utf-8") as tampered:
            json.dump(bundle, tampered)
        failed = cli.run("audit", "verify", tampered_path, "--key", key)
        self.assertEqual(failed.returncode, 5, describe(failed))
        self.assertIn("record 1 is missing", failed.stderr)

    def test_cli_monitor_follows_checkpoints(self):
        cli = self.cli()
        key = self.verifier_key()
        state = os.path.join(self.server.directory, "monitor-state")
        first = cli.run("audit", "monitor", "--state", state, "--key", key, "--once")
        self.assertEqual(first.returncode, 0, describe(first))
        self.assertIn("first checkpoint saved", first.stdout)

        # The monitor's own request is an audit record, so the log has grown since.
        signed = self.api.post("/api/v1/audit/checkpoints", {})
        self.assertIn(signed.status, (200, 201), signed.describe())
        second = cli.run("audit", "monitor", "--state", state, "--key", key, "--once")
        self.assertEqual(second.returncode, 0, describe(second))
        self.assertIn("consistent with tree size", second.stdout)


if __name__ == "__main__":
    unittest.main()
