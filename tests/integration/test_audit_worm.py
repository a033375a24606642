"""The audit log end to end: WORM export to RGW with Object Lock, the reconciler, and the CLI.

AuditWormTest (needs RGW): custodyd exports an organization's signed checkpoints and records to
a bucket created with Object Lock. It checks that RGW protects the exported versions, that
`custodyd audit reconcile` reads them back, and that `custody audit export`, `verify` and
`monitor` accept the live log.

AuditTamperTest: changes audit rows in the database file while custodyd is stopped, and checks
that `custody audit verify --server` names the first bad record.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import time
import unittest
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from cli import Cli, describe
from support import CustodyServer, Organization, requires_binary, requires_s3, s3_client

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
        try:
            cls.organization = cls.server.init_organization("Worm Org")
            cls.server.start()
            cls.server.describe_organization(cls.organization)
            cls.api = cls.server.api(cls.organization.token)
            cls.api.expect(201, "POST", "/api/v1/audit/checkpoints", {})
            cls.objects = cls.wait_for_export()
        except BaseException:
            cls.server.cleanup(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup(keep=False)

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

    def test_auditor_may_monitor_but_not_export(self):
        _, token = self.api.create_user_with_role(
            "auditor", self.organization.root_entity_id, "auditor")
        cli = Cli(os.environ["CUSTODY_CLI"], self.server.base_url, token, self.server.directory)
        state = os.path.join(self.server.directory, "auditor-monitor-state")
        monitored = cli.run("audit", "monitor", "--state", state, "--key", self.verifier_key(),
                            "--once")
        self.assertEqual(monitored.returncode, 0, describe(monitored))
        exported = cli.run("audit", "export", "--out",
                           os.path.join(self.server.directory, "auditor-trail.json"))
        self.assertEqual(exported.returncode, 3, describe(exported))

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


@requires_binary("CUSTODYD")
@requires_binary("CUSTODY_CLI")
class AuditTamperTest(unittest.TestCase):
    """Changes the audit records behind custodyd's back, as someone with the database file
    could, and checks that `custody audit verify --server` names the first bad record."""

    def setUp(self):
        self.server = CustodyServer("audit-tamper")
        # CUSTODY_TEST_KEEP=1 keeps the server's directory for a failure's post-mortem.
        self.addCleanup(self.server.cleanup, False)
        self.organization: Organization = self.server.init_organization("Tamper Org")
        self.server.start()
        self.server.describe_organization(self.organization)
        api = self.server.api(self.organization.token)
        for index in range(4):
            api.create_entity(f"Unit {index}", "business_unit", self.organization.root_entity_id)
        signed = api.post("/api/v1/audit/checkpoints", {})
        self.assertIn(signed.status, (200, 201), signed.describe())
        self.key = api.expect(200, "GET", "/api/v1/audit/verifier-keys")["keys"][0]["verifier_key"]
        self.pinned = os.path.join(self.server.directory, "pinned.json")
        exported = self.cli().run("audit", "export", "--out", self.pinned)
        self.assertEqual(exported.returncode, 0, describe(exported))
        self.server.stop()

    def cli(self) -> Cli:
        return Cli(os.environ["CUSTODY_CLI"], self.server.base_url, self.organization.token,
                   self.server.directory)

    def tamper(self, *statements: tuple[str, tuple]) -> None:
        """Drop the audit tables' triggers and run `statements` on the stopped server's file."""
        connection = sqlite3.connect(self.server.db_path)
        try:
            triggers = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_records'"
            ).fetchall()
            for (name,) in triggers:
                connection.execute(f'DROP TRIGGER "{name}"')
            for sql, parameters in statements:
                connection.execute(sql, parameters)
            connection.commit()
        finally:
            connection.close()

    def record(self, seq: int) -> tuple[bytes, bytes]:
        connection = sqlite3.connect(self.server.db_path)
        try:
            return connection.execute(
                "SELECT encoded, leaf_hash FROM audit_records WHERE organization_id = ? AND seq = ?",
                (self.organization.organization_id, seq),
            ).fetchone()
        finally:
            connection.close()

    def verify_live(self, *extra: str):
        self.server.start(wait_ready=False)
        return self.cli().run("audit", "verify", "--server", "--key", self.key, *extra)

    def assert_named(self, result, problem: str) -> None:
        self.assertEqual(result.returncode, 5, describe(result))
        self.assertIn(problem, result.stderr, describe(result))

    def test_flipped_byte_names_record(self):
        encoded, _ = self.record(3)
        flipped = encoded[:-1] + bytes([encoded[-1] ^ 1])
        self.tamper(("UPDATE audit_records SET encoded = ? WHERE organization_id = ? AND seq = 3",
                     (flipped, self.organization.organization_id)))
        self.assert_named(self.verify_live(), "record 3: leaf hash mismatch")

    def test_deleted_row_names_gap(self):
        self.tamper(("DELETE FROM audit_records WHERE organization_id = ? AND seq = 3",
                     (self.organization.organization_id,)))
        self.assert_named(self.verify_live(), "record 3 is missing")

    def test_swapped_rows_name_first(self):
        first, first_hash = self.record(2)
        second, second_hash = self.record(3)
        update = "UPDATE audit_records SET encoded = ?, leaf_hash = ? WHERE organization_id = ? AND seq = ?"
        organization_id = self.organization.organization_id
        self.tamper((update, (second, second_hash, organization_id, 2)),
                    (update, (first, first_hash, organization_id, 3)))
        self.assert_named(self.verify_live(), "record 2: its leaf contains seq 3")

    def test_rewritten_record_with_its_hash_named_by_pin(self):
        encoded, _ = self.record(3)
        rewritten = encoded[:-1] + bytes([encoded[-1] ^ 1])
        leaf_hash = hashlib.sha256(b"\x00" + rewritten).digest()
        self.tamper(("UPDATE audit_records SET encoded = ?, leaf_hash = ? "
                     "WHERE organization_id = ? AND seq = 3",
                     (rewritten, leaf_hash, self.organization.organization_id)))
        self.assert_named(self.verify_live(), "so at least one of records")
        self.server.stop()
        self.assert_named(self.verify_live("--pinned", self.pinned),
                          "record 3 differs from the pinned export")


if __name__ == "__main__":
    unittest.main()
