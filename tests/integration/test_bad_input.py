"""Invalid requests: each returns a 4xx problem+json naming the bad value, changes nothing,
leaves a deny audit record and leaves the server running."""

import json
import unittest
from dataclasses import dataclass
from typing import Any

import support

GIB = 1024 * 1024 * 1024


@dataclass
class Case:
    name: str
    method: str
    path: str  # str.format template over the fixture's ids
    body: Any = None  # a JSON value, or bytes sent as they are
    status: int = 400
    # The problem's `field` or `detail` must contain one of these; empty: any detail.
    names: tuple[str, ...] = ()
    content_type: str | None = "application/json"
    # Whether the request must leave a deny audit record.
    audited: bool = True


def evidence_case(name: str, body: Any, *names: str, **options) -> Case:
    return Case(name, "POST", "/api/v1/entities/{entity}/evidence", body, names=names, **options)


GENERAL_CASES = [
    evidence_case("malformed JSON", b'{"title": "x",'),
    evidence_case("JSON array body", [1, 2]),
    evidence_case("invalid UTF-8", b'{"title": "\xff\xfe", "description": ""}'),
    evidence_case("title of wrong type", {"title": 5, "description": ""}, "title"),
    evidence_case("description of wrong type", {"title": "x", "description": ["a"]},
                  "description"),
    evidence_case("title missing", {"description": "no title"}, "title"),
    evidence_case("unknown field", {"title": "x", "description": "", "colour": "red"}, "colour"),
    evidence_case("title with a line break", {"title": "a\nb", "description": ""}, "title"),
    evidence_case("no Content-Type", {"title": "x", "description": ""}, status=415,
                  content_type=None),
    evidence_case("text/plain Content-Type", {"title": "x", "description": ""}, status=415,
                  content_type="text/plain"),
    evidence_case("body over 512 KiB", {"title": "x", "description": "a" * 600_000}, status=413),
    Case("entity kind unknown", "POST", "/api/v1/entities",
         {"name": "x", "kind": "planet", "parent_id": "{entity}"}, names=("kind",)),
    Case("entity name of wrong type", "POST", "/api/v1/entities",
         {"name": 7, "kind": "business_unit", "parent_id": "{entity}"}, names=("name",)),
    Case("entity parent_id malformed", "POST", "/api/v1/entities",
         {"name": "x", "kind": "business_unit", "parent_id": "ent_!!"}, names=("parent_id",)),
    Case("entity parent_id of wrong type", "POST", "/api/v1/entities",
         {"name": "x", "kind": "business_unit", "parent_id": 12}, names=("parent_id",)),
    Case("user email invalid", "POST", "/api/v1/users",
         {"email": "not-an-email", "display_name": "x"}, names=("email",)),
    Case("user unknown field", "POST", "/api/v1/users",
         {"email": "valid@example.test", "display_name": "x", "admin": True}, names=("admin",)),
    Case("role unknown", "POST", "/api/v1/role-assignments",
         {"user_id": "{user}", "entity_id": "{entity}", "role": "superuser"}, names=("role",)),
    Case("role assignment user_id malformed", "POST", "/api/v1/role-assignments",
         {"user_id": "usr_../../x", "entity_id": "{entity}", "role": "viewer"},
         names=("user_id",)),
    Case("token name of wrong type", "POST", "/api/v1/tokens", {"name": 12}, names=("name",)),
    Case("entity id not an id", "GET", "/api/v1/entities/not-an-id",
         names=("entity_id", "not-an-id")),
    Case("entity id too short", "GET", "/api/v1/entities/ent_short",
         names=("entity_id", "ent_short")),
    Case("entity id with an evidence prefix", "GET",
         "/api/v1/entities/evd_AAAAAAAAAAAAAAAAAAAAAA",
         names=("entity_id", "evd_AAAAAAAAAAAAAAAAAAAAAA")),
    Case("entity id too long", "GET", "/api/v1/entities/ent_" + "a" * 300, names=("entity_id",)),
    Case("evidence id with a bad character", "GET",
         "/api/v1/evidence/evd_AAAAAAAAAAAAAAAAAAAAA%21", names=("evidence_id",)),
    Case("user id with a dot segment", "GET", "/api/v1/users/usr_%2E%2E",
         names=("user_id",)),
    Case("entity id with an encoded slash", "GET",
         "/api/v1/entities/ent_AAAAAAAAAA%2FAAAAAAAAAAA", names=("entity_id",)),
    Case("entity id with an encoded NUL", "GET", "/api/v1/entities/ent_%00AAAAAAAAAAAAAAAAAAAAA"),
    Case("limit out of range", "GET", "/api/v1/entities?limit=0", names=("limit",)),
    Case("limit not a number", "GET", "/api/v1/entities?limit=ten", names=("limit",)),
    Case("limit repeated", "GET", "/api/v1/entities?limit=1&limit=2", names=("limit",)),
    Case("unknown query parameter", "GET", "/api/v1/entities?colour=red", names=("colour",)),
    Case("query parameter on a single resource", "GET", "/api/v1/me?limit=5", names=("limit",)),
    Case("cursor malformed", "GET", "/api/v1/entities?after=%FF%FE", names=("after",)),
    # docs/api.md lists the statuses whose requests are audited, and 405 is not among them.
    Case("method not allowed", "DELETE", "/api/v1/me", status=405, audited=False),
]


def version_case(name: str, changes: dict, *names: str, remove: tuple[str, ...] = ()) -> Case:
    body = support.version_body(b"bad input test payload", "report.pdf", "application/pdf")
    body.update(changes)
    for key in remove:
        del body[key]
    return Case(name, "POST", "/api/v1/evidence/{evidence}/versions", body, names=names)


VERSION_CASES = [
    version_case("file_name parent traversal", {"file_name": "../x"}, "file_name"),
    version_case("file_name with a slash", {"file_name": "a/b"}, "file_name"),
    version_case("file_name with a backslash", {"file_name": "a\\b"}, "file_name"),
    version_case("file_name dot dot", {"file_name": ".."}, "file_name"),
    version_case("file_name dot", {"file_name": "."}, "file_name"),
    version_case("file_name with NUL", {"file_name": "a\u0000b"}, "file_name"),
    version_case("file_name with a line break", {"file_name": "a\nb"}, "file_name"),
    version_case("file_name empty", {"file_name": ""}, "file_name"),
    version_case("file_name of 256 bytes", {"file_name": "a" * 256}, "file_name"),
    version_case("file_name of wrong type", {"file_name": 1}, "file_name"),
    version_case("size over 5 GiB", {"size": 5 * GIB + 1}, "size"),
    version_case("size beyond 64 bits", {"size": 10**30}, "size"),
    version_case("size negative", {"size": -1}, "size"),
    version_case("size zero", {"size": 0}, "size"),
    version_case("size fractional", {"size": 1.5}, "size"),
    version_case("size string", {"size": "12"}, "size"),
    version_case("size boolean", {"size": True}, "size"),
    version_case("size null", {"size": None}, "size"),
    version_case("size missing", {}, "size", remove=("size",)),
    version_case("sha256 upper case", {"sha256": "A" * 64}, "sha256"),
    version_case("sha256 too short", {"sha256": "a" * 63}, "sha256"),
    version_case("sha256 not hex", {"sha256": "g" * 64}, "sha256"),
    version_case("sha256 number", {"sha256": 123}, "sha256"),
    version_case("sha256 missing", {}, "sha256", remove=("sha256",)),
    version_case("md5 too short", {"md5": "a" * 31}, "md5"),
    version_case("md5 not hex", {"md5": "z" * 32}, "md5"),
    version_case("media_type invalid", {"media_type": "not a type"}, "media_type"),
    version_case("unknown field", {"acl": "public-read"}, "acl"),
]


def connection_case(name: str, changes: dict, *names: str) -> Case:
    return Case(name, "PUT", "/api/v1/aws-connection", {"__connection__": changes}, names=names)


CONNECTION_CASES = [
    connection_case("external_id set by the client", {"external_id": "chosen-by-client"},
                    "external_id"),
    connection_case("endpoint with another scheme", {"endpoint": "ftp://127.0.0.1:1/"},
                    "endpoint"),
    connection_case("role_arn of wrong type", {"role_arn": 5}, "role_arn"),
    connection_case("bucket empty", {"bucket": ""}, "bucket"),
    connection_case("key_prefix with parent traversal", {"key_prefix": "../"}, "key_prefix"),
]


class BadInputMixin:
    """Sends the cases and checks their effects. Subclasses define `fixture_ids`."""

    server: support.CustodyServer
    admin: support.Api

    def fixture_ids(self) -> dict:
        raise NotImplementedError

    def snapshot(self) -> dict:
        ids = self.fixture_ids()
        state = {
            "entities": self.admin.list_all("/api/v1/entities"),
            "evidence": self.admin.list_all(f"/api/v1/entities/{ids['entity']}/evidence"),
            "users": self.admin.list_all("/api/v1/users"),
            "role assignments": self.admin.list_all("/api/v1/role-assignments"),
            "tokens": self.admin.list_all("/api/v1/tokens"),
        }
        if "evidence" in ids:
            state["versions"] = self.admin.list_all(f"/api/v1/evidence/{ids['evidence']}/versions")
        connection = self.admin.get("/api/v1/aws-connection")
        state["aws connection"] = (connection.status, connection.body.decode("utf-8", "replace"))
        return state

    def body_for(self, case: Case, ids: dict) -> tuple[bytes | None, Any]:
        if isinstance(case.body, bytes):
            return case.body, None
        if isinstance(case.body, dict) and "__connection__" in case.body:
            body = support.aws_connection_body(getattr(self, "bucket", "") or "bucket")
            body.update(case.body["__connection__"])
            return json.dumps(body).encode("utf-8"), body
        if case.body is None:
            return None, None
        body = json.loads(json.dumps(case.body).replace("{entity}", ids["entity"])
                          .replace("{user}", ids["user"]))
        return json.dumps(body).encode("utf-8"), body

    def check_cases(self, cases: list[Case]):
        ids = self.fixture_ids()
        for case in cases:
            with self.subTest(case=case.name):
                before = self.snapshot()
                body, _ = self.body_for(case, ids)
                response = self.admin.request(
                    case.method, case.path.format(**ids), body=body,
                    content_type=case.content_type,
                )
                details = self.assertProblem(response, case.status, case.name)
                if case.status == 405:
                    self.assertTrue(response.header("Allow"), f"{case.name}: no Allow header")
                detail = str(details.get("detail") or "")
                self.assertTrue(detail, f"{case.name}: the problem has no detail: {details}")
                if case.names:
                    text = str(details.get("field") or "") + " " + detail
                    self.assertTrue(
                        any(name in text for name in case.names),
                        f"{case.name}: neither field nor detail names {case.names}: {details}",
                    )

                self.assertEqual(self.snapshot(), before, f"{case.name} changed stored data")

                records = support.records_for_request(self.admin.audit_records(),
                                                      response.request_id)
                decisions = {record.get("decision") for record in records}
                if case.audited:
                    self.assertTrue(decisions & support.DENY_DECISIONS,
                                    f"{case.name}: no deny audit record for request "
                                    f"{response.request_id}: {records}")
                self.assertFalse(decisions & support.ALLOW_DECISIONS,
                                 f"{case.name}: an allow audit record: {records}")

                self.assertEqual(self.admin.get("/healthz").status, 200,
                                 f"/healthz after {case.name}")


class BadInputTest(BadInputMixin, support.ServerTestCase):
    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Bad input unit", "business_unit", root)["id"]
        cls.user = cls.admin.create_user("bad-input-user")["id"]

    def fixture_ids(self):
        return {"entity": self.entity, "user": self.user}

    def test_invalid_requests_rejected(self):
        self.check_cases(GENERAL_CASES)

    def test_authentication_checked_before_input(self):
        # Without a valid token even a malformed request gets 401, so the validation of
        # parameters and bodies is not reachable anonymously.
        anonymous = self.server.api(None)
        names = {"malformed JSON", "unknown field", "entity id not an id", "unknown query parameter"}
        for case in [case for case in GENERAL_CASES if case.name in names]:
            with self.subTest(case=case.name):
                body, _ = self.body_for(case, self.fixture_ids())
                response = anonymous.request(case.method, case.path.format(**self.fixture_ids()),
                                             body=body, content_type=case.content_type)
                self.assertProblem(response, 401, f"anonymous {case.name}")

    def test_aws_connection_absent_before_put(self):
        response = self.admin.get("/api/v1/aws-connection")
        self.assertProblem(response, 404, "GET /api/v1/aws-connection before any PUT")


@support.requires_s3
class BadVersionInputTest(BadInputMixin, support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Bad version unit", "business_unit", root)["id"]
        cls.evidence = cls.admin.create_evidence(cls.entity, "Bad versions")["id"]
        cls.user = cls.admin.create_user("bad-version-user")["id"]

    def fixture_ids(self):
        return {"entity": self.entity, "user": self.user, "evidence": self.evidence}

    def test_invalid_version_metadata_rejected(self):
        self.check_cases(VERSION_CASES)

    def test_invalid_aws_connection_rejected(self):
        self.check_cases(CONNECTION_CASES)

    def test_external_id_unchanged_by_rejected_body(self):
        before = self.admin.expect(200, "GET", "/api/v1/aws-connection")
        self.assertGreaterEqual(len(before["external_id"]), 32)
        body = support.aws_connection_body(self.bucket)
        body["external_id"] = before["external_id"]
        response = self.admin.put("/api/v1/aws-connection", body)
        self.assertProblem(response, 400, "external_id equal to the current one")
        after = self.admin.expect(200, "GET", "/api/v1/aws-connection")
        self.assertEqual(after["external_id"], before["external_id"])


if __name__ == "__main__":
    unittest.main()
