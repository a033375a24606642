"""The audit log proofs API (/api/v1/audit): per-organization logs, signed checkpoints that
verify with the published key, inclusion and consistency proofs checked by an independent
RFC 9162 implementation, roles, and errors."""

import unittest

import audit_support
import support


class AuditProofsTest(support.ServerTestCase):
    server_options = {"audit_settings": {"checkpoint_interval_seconds": 1}}

    @classmethod
    def prepare_database(cls):
        cls.other_org = cls.server.init_organization("Other Audit Org")

    @classmethod
    def set_up_data(cls):
        cls.server.describe_organization(cls.other_org)
        root = cls.org.root_entity_id
        for index in range(5):
            cls.admin.create_entity(f"Proof unit {index}", "business_unit", root)
        cls.auditor, auditor_token = cls.admin.create_user_with_role("auditor", root, "auditor")
        cls.auditor_api = cls.server.api(auditor_token)
        cls.viewer, viewer_token = cls.admin.create_user_with_role("viewer", root, "viewer")
        cls.viewer_api = cls.server.api(viewer_token)
        cls.other_admin = cls.server.api(cls.other_org.token)

    def keys(self, api: support.Api) -> tuple[str, str]:
        body = api.expect(200, "GET", "/api/v1/audit/verifier-keys")
        self.assertEqual(len(body["keys"]), 1, body)
        self.assertEqual(body["keys"][0]["status"], "active")
        return body["origin"], body["keys"][0]["verifier_key"]

    def sign(self, api: support.Api) -> audit_support.Checkpoint:
        response = api.post("/api/v1/audit/checkpoints")
        self.assertStatus(response, {200, 201}, "sign a checkpoint")
        origin, key = self.keys(api)
        return audit_support.open_checkpoint(response.json()["signed_note"], key, origin)

    def test_verifier_key_and_origin(self):
        origin, key = self.keys(self.admin)
        self.assertEqual(key, self.server.verifier_key)
        self.assertEqual(origin, f"127.0.0.1/audit/{self.org.organization_id}")
        self.assertTrue(key.startswith("127.0.0.1/audit+"), key)
        other_origin, other_key = self.keys(self.other_admin)
        self.assertEqual(other_key, key, "one key signs every organization's log")
        self.assertEqual(other_origin, f"127.0.0.1/audit/{self.other_org.organization_id}")

    def test_checkpoint_verifies_and_matches_entries(self):
        checkpoint = self.sign(self.admin)
        entries = audit_support.fetch_entries(self.admin, checkpoint.size)
        hashes = audit_support.check_entries(entries)
        self.assertEqual(audit_support.root_from_leaf_hashes(hashes), checkpoint.root)
        for entry in entries:
            record = audit_support.decode_record(audit_support.b64(entry["leaf"]))
            self.assertEqual(record.organization_id, self.org.organization_id)
            self.assertIn(entry["event_class"], ("security", "operational"))

        latest = self.admin.expect(200, "GET", "/api/v1/audit/checkpoint")
        self.assertGreaterEqual(latest["tree_size"], checkpoint.size)
        exact = self.admin.expect(200, "GET",
                                  f"/api/v1/audit/checkpoint?tree_size={checkpoint.size}")
        self.assertEqual(audit_support.b64(exact["root_hash"]), checkpoint.root)
        self.assertTrue(exact["created_at"].endswith("Z"), exact)

    def test_inclusion_proof_of_every_record(self):
        checkpoint = self.sign(self.admin)
        entries = audit_support.fetch_entries(self.admin, checkpoint.size)
        for entry in entries:
            proof = self.auditor_api.expect(
                200, "GET",
                f"/api/v1/audit/proofs/inclusion?seq={entry['seq']}&tree_size={checkpoint.size}")
            self.assertEqual(proof["leaf_hash"], entry["leaf_hash"])
            audit_support.verify_inclusion(audit_support.b64(proof["leaf_hash"]), entry["seq"],
                                           checkpoint.size,
                                           [audit_support.b64(p) for p in proof["proof"]],
                                           checkpoint.root)

    def test_consistency_between_checkpoints(self):
        first = self.sign(self.admin)
        self.admin.create_entity("Grows the log", "business_unit", self.org.root_entity_id)
        second = self.sign(self.admin)
        self.assertGreater(second.size, first.size)
        proof = self.auditor_api.expect(
            200, "GET", f"/api/v1/audit/proofs/consistency?from={first.size}&to={second.size}")
        audit_support.verify_consistency(first.size, second.size, first.root, second.root,
                                         [audit_support.b64(p) for p in proof["proof"]])
        same = self.auditor_api.expect(
            200, "GET", f"/api/v1/audit/proofs/consistency?from={second.size}&to={second.size}")
        self.assertEqual(same["proof"], [])

        listed = self.admin.expect(200, "GET",
                                   f"/api/v1/audit/checkpoints?after_size={first.size - 1}")
        sizes = [item["tree_size"] for item in listed["items"]]
        self.assertEqual(sizes, sorted(sizes))
        self.assertIn(first.size, sizes)
        self.assertIn(second.size, sizes)

    def test_same_size_signed_once(self):
        # Nothing else writes to the other organization's log between these two requests
        # except their own records, which come after the signed size.
        response = self.other_admin.post("/api/v1/audit/checkpoints")
        self.assertStatus(response, {200, 201})
        size = response.json()["tree_size"]
        again = self.other_admin.expect(200, "GET", f"/api/v1/audit/checkpoint?tree_size={size}")
        self.assertEqual(again["signed_note"], response.json()["signed_note"])

    def test_logs_are_separate_per_organization(self):
        mine = audit_support.fetch_entries(self.admin, 3)
        theirs = audit_support.fetch_entries(self.other_admin, 3)
        for entry in theirs:
            record = audit_support.decode_record(audit_support.b64(entry["leaf"]))
            self.assertEqual(record.organization_id, self.other_org.organization_id)
        self.assertNotEqual([e["leaf_hash"] for e in mine], [e["leaf_hash"] for e in theirs])

    def test_roles(self):
        # Auditors verify; entries and signing stay with admins; viewers get neither.
        self.auditor_api.expect(200, "GET", "/api/v1/audit/checkpoint")
        self.auditor_api.expect(200, "GET", "/api/v1/audit/verifier-keys")
        for method, path in (("GET", "/api/v1/audit/entries"),
                             ("GET", "/api/v1/audit/checkpoints"),
                             ("POST", "/api/v1/audit/checkpoints")):
            self.assertProblem(self.auditor_api.request(method, path), 403, f"auditor {path}")
        for path in ("/api/v1/audit/checkpoint", "/api/v1/audit/verifier-keys",
                     "/api/v1/audit/proofs/inclusion?seq=0&tree_size=1"):
            self.assertProblem(self.viewer_api.get(path), 403, f"viewer {path}")
        self.assertProblem(support.Api(self.server.port).get("/api/v1/audit/checkpoint"), 401,
                           "no token")

    def test_invalid_parameters(self):
        size = self.sign(self.admin).size
        cases = [
            ("/api/v1/audit/proofs/inclusion", "seq"),
            (f"/api/v1/audit/proofs/inclusion?seq={size}&tree_size={size}", "seq"),
            ("/api/v1/audit/proofs/inclusion?seq=0&tree_size=100000000", "tree_size"),
            ("/api/v1/audit/proofs/inclusion?seq=-1&tree_size=1", "seq"),
            ("/api/v1/audit/proofs/consistency?from=0&to=1", "from"),
            ("/api/v1/audit/proofs/consistency?from=3&to=2", "from"),
            ("/api/v1/audit/proofs/consistency?from=1&to=100000000", "to"),
            ("/api/v1/audit/proofs/consistency?from=1", "to"),
            ("/api/v1/audit/entries?limit=0", "limit"),
            ("/api/v1/audit/entries?limit=1001", "limit"),
            ("/api/v1/audit/entries?start=x", "start"),
            ("/api/v1/audit/checkpoint?tree_size=1e3", "tree_size"),
            ("/api/v1/audit/checkpoint?size=3", "size"),
        ]
        for path, field in cases:
            with self.subTest(path=path):
                details = self.assertProblem(self.admin.get(path), 400, path)
                self.assertEqual(details.get("field"), field, details)
        details = self.assertProblem(
            self.admin.get("/api/v1/audit/checkpoint?tree_size=99999999"), 404, "unsigned size")
        self.assertNotIn("signed_note", details)

    def test_entries_past_end_are_empty(self):
        page = self.admin.expect(200, "GET", "/api/v1/audit/entries?start=100000000&limit=5")
        self.assertEqual(page["entries"], [])
        self.assertGreater(page["tree_size"], 0)


if __name__ == "__main__":
    unittest.main()
