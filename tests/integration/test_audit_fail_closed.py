"""Failing closed when the audit log cannot be written: a database locked by the sqlite3 shell
and a full file system. A request that acts returns 503, changes nothing and leaves no record,
and the log still verifies afterwards. (test_lifecycle covers a read-only database folder.)"""

import errno
import os
import shutil
import subprocess
import sys
import time
import unittest

import audit_support
import support

# A write waits for SQLite's busy timeout and its retries before it gives up on a lock.
LOCKED_WRITE_TIMEOUT_SECONDS = 60


class AuditFailClosedTest(unittest.TestCase):
    def setUp(self):
        self.server = support.CustodyServer("audit-fail-closed")
        self.passed = False
        self.addCleanup(self.cleanup)
        self.org = self.server.init_organization("Fail Closed Org")

    def cleanup(self):
        if not self.passed:
            print("custodyd log:\n" + self.server.log_tail(), file=sys.stderr)
        self.server.cleanup(keep=not self.passed)

    def start(self, **kwargs):
        self.server.start(**kwargs)
        self.server.describe_organization(self.org)
        self.api = self.server.api(self.org.token)

    def create_entity(self, name: str, request_id: str):
        return self.api.post("/api/v1/entities",
                             {"name": name, "kind": "business_unit",
                              "parent_id": self.org.root_entity_id},
                             request_id=request_id, timeout=LOCKED_WRITE_TIMEOUT_SECONDS)

    def assert_nothing_recorded(self, name: str, request_id: str):
        """Check that the entity does not exist, that no record names the request, and that
        the log verifies against a new checkpoint."""
        names = [entity["name"] for entity in self.api.list_all("/api/v1/entities")]
        self.assertNotIn(name, names)
        signed = self.api.post("/api/v1/audit/checkpoints")
        self.assertIn(signed.status, (200, 201), signed.describe())
        keys = self.api.expect(200, "GET", "/api/v1/audit/verifier-keys")
        checkpoint = audit_support.open_checkpoint(signed.json()["signed_note"],
                                                   self.server.verifier_key, keys["origin"])
        entries = audit_support.fetch_entries(self.api, checkpoint.size)
        hashes = audit_support.check_entries(entries)
        self.assertEqual(audit_support.root_from_leaf_hashes(hashes), checkpoint.root)
        request_ids = {audit_support.decode_record(audit_support.b64(entry["leaf"])).request_id
                       for entry in entries}
        self.assertNotIn(request_id, request_ids, "the refused request left a record")

    def test_database_locked_by_sqlite3_shell(self):
        if not shutil.which("sqlite3"):
            self.skipTest("needs the sqlite3 shell")
        self.start()
        shell = subprocess.Popen(["sqlite3", self.server.db_path], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(shell.kill)
        shell.stdin.write(".timeout 30000\nBEGIN EXCLUSIVE;\nSELECT 'locked';\n")
        shell.stdin.flush()
        self.assertEqual(shell.stdout.readline().strip(), "locked", "the shell took no lock")

        request_id = support.new_request_id()
        response = self.create_entity("Written while locked", request_id)
        self.assertEqual(response.status, 503, response.describe())
        self.assertEqual(support.problem(response).get("status"), 503)
        signing = self.api.post("/api/v1/audit/checkpoints",
                                timeout=LOCKED_WRITE_TIMEOUT_SECONDS)
        self.assertEqual(signing.status, 503, signing.describe())

        shell.stdin.write("ROLLBACK;\n.quit\n")
        shell.stdin.flush()
        shell.wait(30)
        self.assert_nothing_recorded("Written while locked", request_id)
        self.passed = True

    def test_file_system_full(self):
        # The database folder becomes a small tmpfs in a private mount namespace of custodyd,
        # which this test fills through /proc/<pid>/root.
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) to mount a small tmpfs")
        probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest(f"unshare --mount is not permitted here: {probe.stderr!r}")
        folder = self.server.data_directory
        stash = os.path.join(self.server.directory, "stash")
        os.mkdir(stash)
        mount_tmpfs = (
            f'cp -a "{folder}/." "{stash}/" && '
            f'mount -t tmpfs -o size=8m custody-full "{folder}" && '
            f'cp -a "{stash}/." "{folder}/" && exec "$@"'
        )
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount_tmpfs, "sh"]
        self.start(command_prefix=prefix)
        filler = f"/proc/{self.server.process.pid}/root{folder}/filler"
        block = b"\0" * 65536
        with open(filler, "wb", buffering=0) as out:
            try:
                while True:
                    out.write(block)
            except OSError as error:
                self.assertEqual(error.errno, errno.ENOSPC, error)
        # Smaller writes take the last partial blocks.
        with open(filler + "-tail", "wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 512)
            except OSError as error:
                self.assertEqual(error.errno, errno.ENOSPC, error)

        request_id = support.new_request_id()
        response = self.create_entity("Written to a full disk", request_id)
        self.assertEqual(response.status, 503, response.describe())
        self.assertEqual(support.problem(response).get("status"), 503)

        os.remove(filler)
        os.remove(filler + "-tail")
        deadline = time.monotonic() + 30
        self.server.wait_ready(deadline)
        self.assert_nothing_recorded("Written to a full disk", request_id)
        self.passed = True


if __name__ == "__main__":
    unittest.main()
