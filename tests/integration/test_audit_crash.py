"""Crash consistency of the audit log: custodyd is killed with SIGKILL at a random moment
under concurrent writes, many times over one database. After each restart every request that
was acknowledged (2xx) has its record, the log verifies against a newly signed checkpoint, and
every earlier checkpoint is consistent with it."""

import random
import signal
import threading
import time
import unittest

import audit_support
import support

ROUNDS = 15
WRITERS = 4
# Writes before the kill: long enough for several group commits, short enough for 15 rounds.
MIN_RUN_SECONDS = 0.3
MAX_RUN_SECONDS = 1.5


class AuditCrashTest(unittest.TestCase):
    def setUp(self):
        # Checkpoints every few records and every second, so that kills land around signing.
        self.server = support.CustodyServer(
            "audit-crash",
            audit_settings={"checkpoint_every_records": 7, "checkpoint_interval_seconds": 1},
        )
        self.addCleanup(self.cleanup)
        self.org = self.server.init_organization("Crash Org")
        self.acknowledged: list[str] = []
        self.lock = threading.Lock()
        self.passed = False

    def cleanup(self):
        if not self.passed:
            print("custodyd log:\n" + self.server.log_tail())
        self.server.cleanup(keep=not self.passed)

    def writer(self, api: support.Api, root: str, stop: threading.Event, label: str):
        number = 0
        while not stop.is_set():
            number += 1
            request_id = support.new_request_id()
            try:
                response = api.post("/api/v1/entities",
                                    {"name": f"{label} {number}", "kind": "business_unit",
                                     "parent_id": root},
                                    request_id=request_id, timeout=10)
            except OSError:
                continue  # refused or reset by the kill: not acknowledged
            if 200 <= response.status < 300:
                with self.lock:
                    self.acknowledged.append(request_id)

    def run_round(self, round_number: int, root: str):
        self.server.start()
        api = self.server.api(self.org.token)
        stop = threading.Event()
        threads = [
            threading.Thread(target=self.writer,
                             args=(api, root, stop, f"round {round_number} writer {index}"))
            for index in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(MIN_RUN_SECONDS, MAX_RUN_SECONDS))
        self.server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(30)

    def verify_log(self, context: str):
        self.server.start()
        api = self.server.api(self.org.token)
        verifier_keys = api.expect(200, "GET", "/api/v1/audit/verifier-keys")
        origin = verifier_keys["origin"]
        verifier_key = verifier_keys["keys"][0]["verifier_key"]
        self.assertEqual(verifier_key, self.server.verifier_key, context)

        # Sign the current size; later requests append after it, so it is the size to check.
        latest = api.post("/api/v1/audit/checkpoints")
        self.assertIn(latest.status, (200, 201), f"{context}: {latest.describe()}")
        checkpoint = audit_support.open_checkpoint(latest.json()["signed_note"], verifier_key,
                                                   origin)
        entries = audit_support.fetch_entries(api, checkpoint.size)
        hashes = audit_support.check_entries(entries)
        self.assertEqual(audit_support.root_from_leaf_hashes(hashes), checkpoint.root,
                         f"{context}: the entries do not rebuild the checkpoint's root")

        recorded = set()
        for entry in entries:
            record = audit_support.decode_record(audit_support.b64(entry["leaf"]))
            if record.action == "entity.create" and record.decision == "allow":
                recorded.add(record.request_id)
        missing = [request_id for request_id in self.acknowledged if request_id not in recorded]
        self.assertEqual(missing, [], f"{context}: acknowledged requests without a record")

        earlier = api.expect(200, "GET", "/api/v1/audit/checkpoints?after_size=0")["items"]
        self.assertTrue(earlier, f"{context}: no checkpoint is listed")
        for item in earlier:
            if item["tree_size"] > checkpoint.size:
                continue
            old = audit_support.open_checkpoint(item["signed_note"], verifier_key, origin)
            self.assertEqual(old.root, audit_support.root_from_leaf_hashes(hashes[:old.size]),
                             f"{context}: checkpoint {old.size} does not match the log")
            if old.size == checkpoint.size:
                continue
            proof = api.expect(
                200, "GET",
                f"/api/v1/audit/proofs/consistency?from={old.size}&to={checkpoint.size}")
            audit_support.verify_consistency(old.size, checkpoint.size, old.root,
                                             checkpoint.root,
                                             [audit_support.b64(p) for p in proof["proof"]])
        self.server.stop()

    def test_kill_during_writes_keeps_log_whole(self):
        self.server.start()
        self.server.describe_organization(self.org)
        root = self.org.root_entity_id
        self.server.stop()
        started = time.monotonic()
        for round_number in range(ROUNDS):
            self.run_round(round_number, root)
            self.verify_log(f"after kill {round_number + 1}")
        self.assertGreater(len(self.acknowledged), ROUNDS, "too few writes were acknowledged")
        print(f"{ROUNDS} kills, {len(self.acknowledged)} acknowledged writes, "
              f"{time.monotonic() - started:.1f} s")
        self.passed = True


if __name__ == "__main__":
    unittest.main()
