"""custodyd's process lifecycle: readiness, clean shutdown on signals, and failing closed
(503, nothing changed) when its database does not accept writes."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unittest

import support

SHUTDOWN_SECONDS = 10
# A write that waits for a locked database may wait for SQLite's busy timeout first.
LOCKED_WRITE_TIMEOUT_SECONDS = 60


class LifecycleTest(unittest.TestCase):
    """Each test starts its own custodyd. After a failure its log is printed and kept."""

    def run(self, result=None):
        self.servers = []
        result = result if result is not None else self.defaultTestResult()
        problems_before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        failed = len(result.failures) + len(result.errors) > problems_before
        for server in self.servers:
            if failed:
                print(f"\n--- custodyd log ({server.log_path}) ---\n" + server.log_tail(),
                      file=sys.stderr)
            server.cleanup(keep=failed)
        return outcome

    def start_server(self, label: str, with_organization: bool = True):
        """Start a custodyd and return it with an organization made by `custodyd init`."""
        server = support.CustodyServer(label)
        self.servers.append(server)
        self.addCleanup(server.stop)
        organization = None
        if with_organization:
            organization = server.init_organization("Lifecycle Org")
        server.start()
        if organization is not None:
            server.describe_organization(organization)
        return server, organization

    def entities(self, server: support.CustodyServer, organization: support.Organization):
        return server.api(organization.token).list_all("/api/v1/entities")

    def test_health_and_readiness_ok(self):
        server, _ = self.start_server("ready", with_organization=False)
        api = server.api()
        health = api.get("/healthz")
        self.assertEqual(health.status, 200, health.describe())
        self.assertEqual(health.json(), {"status": "ok"})
        readiness = api.get("/readyz")
        self.assertEqual(readiness.status, 200, readiness.describe())
        self.assertEqual(readiness.json(), {"status": "ready"})

    def test_responses_echo_request_id_without_date(self):
        server, _ = self.start_server("headers", with_organization=False)
        for path in ("/healthz", "/api/v1/me"):
            with self.subTest(path=path):
                response = server.api().get(path, request_id="lifecycle.1-A_b")
                self.assertEqual(response.header("X-Request-Id"), "lifecycle.1-A_b")
                self.assertIsNone(response.header("Date"))
                generated = support.http_request("127.0.0.1", server.port, "GET", path)
                self.assertTrue(generated.header("X-Request-Id"), "no X-Request-Id was generated")

    def check_signal_exits_zero(self, sig: int):
        server, _ = self.start_server(f"signal-{sig}", with_organization=False)
        self.assertEqual(server.api().get("/healthz").status, 200)
        process = server.process
        started = time.monotonic()
        exit_code = server.stop(sig, timeout=SHUTDOWN_SECONDS)
        elapsed = time.monotonic() - started
        self.assertIsNotNone(exit_code,
                             f"custodyd did not exit within {SHUTDOWN_SECONDS} s of signal {sig}")
        self.assertEqual(exit_code, 0, f"custodyd exit code after signal {sig}:\n"
                         + server.log_tail(40))
        self.assertLess(elapsed, SHUTDOWN_SECONDS)
        self.assertIsNotNone(process.returncode)
        with self.assertRaises(OSError, msg="the port still accepts connections"):
            support.http_request("127.0.0.1", server.port, "GET", "/healthz", timeout=2)

    def test_sigterm_exits_zero(self):
        self.check_signal_exits_zero(signal.SIGTERM)

    def test_sigint_exits_zero(self):
        self.check_signal_exits_zero(signal.SIGINT)

    def lock_database(self, server: support.CustodyServer) -> sqlite3.Connection:
        """Take the database's write lock on another connection until the test ends."""
        blocker = sqlite3.connect(server.db_path, timeout=30, isolation_level=None)
        self.addCleanup(blocker.close)
        blocker.execute("BEGIN EXCLUSIVE")
        return blocker

    def test_locked_database_not_ready(self):
        # Another connection holds the write lock, so custodyd cannot write (SQLITE_BUSY).
        server, _ = self.start_server("locked-ready", with_organization=False)
        blocker = self.lock_database(server)
        readiness = server.api().get("/readyz", timeout=LOCKED_WRITE_TIMEOUT_SECONDS)
        self.assertEqual(readiness.status, 503, readiness.describe())
        self.assertEqual(readiness.json().get("status"), "unavailable")
        self.assertIn("database", readiness.json().get("failed", []))
        self.assertEqual(server.api().get("/healthz").status, 200)

        blocker.execute("ROLLBACK")
        server.wait_ready(time.monotonic() + 30)

    def test_locked_database_rejects_writes(self):
        server, organization = self.start_server("locked-write")
        api = server.api(organization.token)
        before = self.entities(server, organization)

        blocker = self.lock_database(server)
        response = api.post(
            "/api/v1/entities",
            {"name": "Written while locked", "kind": "business_unit",
             "parent_id": organization.root_entity_id},
            timeout=LOCKED_WRITE_TIMEOUT_SECONDS,
        )
        blocker.execute("ROLLBACK")

        self.assertEqual(response.status, 503, response.describe())
        self.assertEqual(support.problem(response).get("status"), 503)
        self.assertEqual(self.entities(server, organization), before)

    def test_read_only_database_fails_closed(self):
        # The database folder is mounted read-only (a bind mount in a private mount namespace
        # of custodyd), which applies to root too. custodyd may exit at start or return 503,
        # but it must not report ready or accept a write.
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) to mount the database folder read-only")
        probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
        if probe.returncode != 0:
            self.skipTest(f"unshare --mount is not permitted here: {probe.stderr!r}")

        server, organization = self.start_server("read-only")
        before = self.entities(server, organization)
        self.assertEqual(server.stop(), 0)

        folder = server.data_directory
        mount_read_only = (
            f'mount --bind "{folder}" "{folder}" && '
            f'mount -o remount,bind,ro "{folder}" && exec "$@"'
        )
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  mount_read_only, "sh"]
        started = True
        try:
            server.start(wait_ready=False, timeout=30, command_prefix=prefix)
        except AssertionError:
            started = False
        if started:
            api = server.api(organization.token)
            self.assertEqual(server.api().get("/readyz").status, 503,
                             "/readyz with a read-only database")
            response = api.post(
                "/api/v1/entities",
                {"name": "Written to a read-only database", "kind": "business_unit",
                 "parent_id": organization.root_entity_id},
                timeout=LOCKED_WRITE_TIMEOUT_SECONDS,
            )
            self.assertEqual(response.status, 503, response.describe())
            support.problem(response)
            server.stop()
        else:
            process_exit = server.process.returncode if server.process else None
            server.stop()
            self.assertNotEqual(process_exit, 0, "custodyd exited 0 on a read-only database")

        server.start()
        self.assertEqual(self.entities(server, organization), before)

    @unittest.expectedFailure
    def test_chmod_read_only_database_answers_503(self):
        # Expected to fail: SQLite keeps the database and WAL files open, so a chmod after
        # the start does not stop its writes, and root ignores file modes anyway. The mount
        # in test_read_only_database_fails_closed is the reliable check of this property.
        server, organization = self.start_server("chmod")
        os.chmod(server.db_path, 0o444)
        os.chmod(server.data_directory, 0o555)
        self.addCleanup(os.chmod, server.data_directory, 0o755)
        self.addCleanup(os.chmod, server.db_path, 0o644)
        response = server.api(organization.token).post(
            "/api/v1/entities",
            {"name": "Written after chmod", "kind": "business_unit",
             "parent_id": organization.root_entity_id},
            timeout=LOCKED_WRITE_TIMEOUT_SECONDS,
        )
        self.assertEqual(response.status, 503, response.describe())


if __name__ == "__main__":
    unittest.main()
