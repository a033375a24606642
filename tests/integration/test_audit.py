"""The audit log: one record per acting request, contiguous sequence numbers, deny records,
and a database that rejects UPDATE and DELETE on audit tables."""

import json
import shutil
import sqlite3
import subprocess
import unittest

import support


def mentions(value, identifier: str) -> bool:
    """Return whether a record field (a string or a JSON object) contains `identifier`."""
    return identifier in (value if isinstance(value, str) else json.dumps(value))


class AuditLogTest(support.ServerTestCase):
    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.unit = cls.admin.create_entity("Audited unit", "business_unit", root)["id"]
        cls.viewer, viewer_token = cls.admin.create_user_with_role("viewer", cls.unit, "viewer")
        cls.viewer_api = cls.server.api(viewer_token)

    def record_for(self, request_id: str) -> list[dict]:
        return support.records_for_request(self.admin.audit_records(), request_id)

    def assertRecorded(self, request_id: str, actor: str, resource: str, decisions: set[str],
                       context: str):
        records = self.record_for(request_id)
        self.assertTrue(records, f"{context}: no audit record with request_id {request_id}")
        matching = [
            record for record in records
            if mentions(record.get("actor"), actor)
            and mentions(record.get("resource"), resource)
            and record.get("decision") in decisions
        ]
        self.assertTrue(
            matching,
            f"{context}: no record with actor {actor}, resource {resource}, decision in "
            f"{sorted(decisions)}: {records}",
        )
        record = matching[0]
        self.assertTrue(record.get("action"), f"{context}: record has no action: {record}")
        self.assertTrue(record.get("time"), f"{context}: record has no time: {record}")
        self.assertIsInstance(record.get("seq"), int, f"{context}: {record}")

    def test_acting_requests_recorded(self):
        admin_id = self.org.admin_user_id
        admin = self.admin
        allow = support.ALLOW_DECISIONS

        request_id = support.new_request_id()
        entity = admin.expect(201, "POST", "/api/v1/entities",
                              {"name": "Audited child", "kind": "subsidiary",
                               "parent_id": self.unit}, request_id=request_id)
        self.assertRecorded(request_id, admin_id, entity["id"], allow, "create entity")

        request_id = support.new_request_id()
        evidence = admin.expect(201, "POST", f"/api/v1/entities/{entity['id']}/evidence",
                                {"title": "Audited evidence", "description": ""},
                                request_id=request_id)
        self.assertRecorded(request_id, admin_id, evidence["id"], allow, "create evidence")

        request_id = support.new_request_id()
        user = admin.expect(201, "POST", "/api/v1/users",
                            {"email": support.unique_email("audited"), "display_name": "A"},
                            request_id=request_id)
        self.assertRecorded(request_id, admin_id, user["id"], allow, "create user")

        request_id = support.new_request_id()
        assignment = admin.expect(201, "POST", "/api/v1/role-assignments",
                                  {"user_id": user["id"], "entity_id": entity["id"],
                                   "role": "auditor"}, request_id=request_id)
        self.assertRecorded(request_id, admin_id, assignment["id"], allow, "assign role")

        request_id = support.new_request_id()
        token = admin.expect(201, "POST", "/api/v1/tokens",
                             {"name": "audited", "user_id": user["id"]}, request_id=request_id)
        self.assertRecorded(request_id, admin_id, token["id"], allow, "create token")
        for record in self.record_for(request_id):
            self.assertNotIn(token["token"], json.dumps(record), "a token secret is in the log")

        request_id = support.new_request_id()
        self.assertStatus(admin.delete(f"/api/v1/tokens/{token['id']}", request_id=request_id),
                          204, "revoke token")
        self.assertRecorded(request_id, admin_id, token["id"], allow, "revoke token")

        request_id = support.new_request_id()
        self.assertStatus(admin.delete(f"/api/v1/role-assignments/{assignment['id']}",
                                       request_id=request_id), 204, "delete role assignment")
        self.assertRecorded(request_id, admin_id, assignment["id"], allow,
                            "delete role assignment")

        request_id = support.new_request_id()
        admin.expect(200, "POST", f"/api/v1/users/{user['id']}/deactivate",
                     request_id=request_id)
        self.assertRecorded(request_id, admin_id, user["id"], allow, "deactivate user")

    def test_denied_request_recorded(self):
        request_id = support.new_request_id()
        response = self.viewer_api.post(f"/api/v1/entities/{self.unit}/evidence",
                                        {"title": "Not allowed", "description": ""},
                                        request_id=request_id)
        self.assertProblem(response, 403, "viewer creates evidence")
        self.assertRecorded(request_id, self.viewer["id"], self.unit, support.DENY_DECISIONS,
                            "denied evidence creation")

    def test_out_of_scope_request_recorded(self):
        request_id = support.new_request_id()
        root = self.org.root_entity_id
        response = self.viewer_api.get(f"/api/v1/entities/{root}", request_id=request_id)
        self.assertProblem(response, 404, "viewer of a unit reads the root entity")
        self.assertRecorded(request_id, self.viewer["id"], root, support.DENY_DECISIONS,
                            "read outside scope")

    def test_seq_contiguous_from_zero(self):
        # Each organization's log numbers its records from 0 without gaps.
        self.admin.create_entity("Another audited unit", "business_unit", self.unit)
        records = self.admin.audit_records()
        sequence = [record["seq"] for record in records]
        self.assertTrue(sequence, "the audit log is empty")
        self.assertEqual(sequence, list(range(len(sequence))),
                         "seq is not 0, 1, 2, ... in list order")

    def test_audit_records_paginate_in_order(self):
        for index in range(3):
            self.admin.create_entity(f"Paged unit {index}", "business_unit", self.unit)
        everything = self.admin.audit_records()
        paged = self.admin.list_all("/api/v1/audit-records", limit=2)
        self.assertEqual([r["seq"] for r in paged][: len(everything)],
                         [r["seq"] for r in everything])

    def audit_tables(self, connection: sqlite3.Connection) -> list[str]:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%audit%'"
        ).fetchall()
        tables = [name for (name,) in rows]
        self.assertTrue(tables, "the database has no table whose name contains 'audit'")
        return tables

    def test_database_rejects_audit_update_and_delete(self):
        connection = sqlite3.connect(self.server.db_path, timeout=30, isolation_level=None)
        self.addCleanup(connection.close)
        checked = 0
        for table in self.audit_tables(connection):
            count = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            if count == 0:
                continue
            checked += 1
            column = connection.execute(f'PRAGMA table_info("{table}")').fetchall()[0][1]
            statements = {
                "UPDATE": f'UPDATE "{table}" SET "{column}" = "{column}"',
                "DELETE": f'DELETE FROM "{table}"',
            }
            if table == "audit_retention":
                # The retention policy is configuration: custodyd updates it at start, and only
                # deleting its rows is refused.
                del statements["UPDATE"]
            for kind, statement in statements.items():
                with self.subTest(table=table, statement=kind, client="python sqlite3"):
                    with self.assertRaises(sqlite3.DatabaseError, msg=statement):
                        connection.execute(statement)
                if shutil.which("sqlite3"):
                    with self.subTest(table=table, statement=kind, client="sqlite3 shell"):
                        result = subprocess.run(
                            ["sqlite3", "-bail", "-cmd", ".timeout 30000",
                             self.server.db_path, statement + ";"],
                            capture_output=True, text=True, timeout=60,
                        )
                        self.assertNotEqual(result.returncode, 0,
                                            f"sqlite3 ran {statement!r}: {result.stdout}")
            after = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            self.assertEqual(after, count, f"rows of {table} changed")
        self.assertGreater(checked, 0, "no audit table has rows")


if __name__ == "__main__":
    unittest.main()
