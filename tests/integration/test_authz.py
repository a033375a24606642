"""Authorization: every endpoint of docs/api.md, for every role, in and out of scope.

The organization's tree is root -> business unit A -> engagement A1, and root -> business
unit B. Five users hold one role each on A; a sixth caller is the organization's first admin
(admin on the root). A second organization contains the "other organization" resources.

Each endpoint is called with a resource in the caller's scope, in the sibling unit B, in the
other organization and with a well-formed id that does not exist. A resource the caller may
not see returns 404, and that 404 must be the same bytes as the 404 for the nonexistent id
(same X-Request-Id, ids replaced by a placeholder because the detail may name the id).
"""

import unittest
from dataclasses import dataclass, field
from typing import Any

import support
from support import ROLES

# Minimum role per endpoint, as docs/api.md states it. Roles include the ones before them
# (viewer < auditor < contributor < manager < admin) and cover the entity's descendants.
# "org_admin" is admin on the organization's root entity (organization-wide actions);
# "any" is every authenticated caller.
MINIMUM_ROLE = {
    "GET /api/v1/me": "any",
    "POST /api/v1/entities": "admin",
    "GET /api/v1/entities": "any",
    "GET /api/v1/entities/{id}": "viewer",
    "POST /api/v1/users": "org_admin",
    "GET /api/v1/users": "org_admin",
    "GET /api/v1/users/{id}": "org_admin",
    "POST /api/v1/users/{id}/deactivate": "org_admin",
    "POST /api/v1/role-assignments": "org_admin",
    "GET /api/v1/role-assignments": "org_admin",
    "DELETE /api/v1/role-assignments/{id}": "org_admin",
    "POST /api/v1/tokens (own)": "any",
    "POST /api/v1/tokens (other user)": "org_admin",
    "GET /api/v1/tokens": "any",
    "DELETE /api/v1/tokens/{id} (own)": "any",
    "DELETE /api/v1/tokens/{id} (other user)": "org_admin",
    "PUT /api/v1/aws-connection": "org_admin",
    "GET /api/v1/aws-connection": "org_admin",
    "POST /api/v1/entities/{id}/evidence": "contributor",
    "GET /api/v1/entities/{id}/evidence": "viewer",
    "GET /api/v1/evidence/{id}": "viewer",
    "POST /api/v1/evidence/{id}/versions": "contributor",
    "POST /api/v1/evidence/{id}/versions/{id}/upload-url": "contributor",
    "POST /api/v1/evidence/{id}/versions/{id}/complete": "contributor",
    "GET /api/v1/evidence/{id}/versions": "viewer",
    "POST /api/v1/evidence/{id}/versions/{id}/download": "viewer",
    "GET /api/v1/audit-records": "org_admin",
}

# Endpoints where a non-admin may act only on their own resource: anyone else's answers the 404
# of a nonexistent id, so that ids cannot be probed.
OWNER_ONLY_FOR_NON_ADMINS = {"DELETE /api/v1/tokens/{id} (other user)"}

IN_SCOPE, SIBLING, OTHER_ORG, MISSING = "in scope", "sibling unit", "other organization", "missing"
LOCATIONS = (IN_SCOPE, SIBLING, OTHER_ORG, MISSING)
ORG_ADMIN = "org_admin"
CALLERS = ROLES + (ORG_ADMIN,)
RANK = {role: index for index, role in enumerate(ROLES)}


@dataclass
class Endpoint:
    key: str  # the MINIMUM_ROLE key
    method: str
    path: str  # str.format template over the resource's values
    body: Any = None  # JSON template: "{name}" strings are replaced by the resource's values
    # The resource kind that the location selects, or None for endpoints without one.
    resource: str | None = None
    # The status when the caller is allowed. The version resources are stored versions, so
    # completing one or asking for its upload URL is allowed but returns 409 conflict.
    allowed_status: int = 200
    scope: str = field(init=False)

    def __post_init__(self):
        minimum = MINIMUM_ROLE[self.key]
        self.scope = {"any": "caller", ORG_ADMIN: "organization"}.get(minimum, "entity")


VERSION_METADATA = support.version_body(b"authorization matrix payload", "matrix.txt")

ENDPOINTS = [
    Endpoint("GET /api/v1/me", "GET", "/api/v1/me"),
    Endpoint("POST /api/v1/entities", "POST", "/api/v1/entities",
             {"name": "Child unit", "kind": "business_unit", "parent_id": "{entity}"},
             resource="parent", allowed_status=201),
    Endpoint("GET /api/v1/entities", "GET", "/api/v1/entities"),
    Endpoint("GET /api/v1/entities/{id}", "GET", "/api/v1/entities/{entity}", resource="entity"),
    Endpoint("POST /api/v1/users", "POST", "/api/v1/users",
             {"email": "{new_email}", "display_name": "New user"}, allowed_status=201),
    Endpoint("GET /api/v1/users", "GET", "/api/v1/users"),
    Endpoint("GET /api/v1/users/{id}", "GET", "/api/v1/users/{user}", resource="user"),
    Endpoint("POST /api/v1/users/{id}/deactivate", "POST", "/api/v1/users/{user}/deactivate",
             resource="fresh user"),
    Endpoint("POST /api/v1/role-assignments", "POST", "/api/v1/role-assignments",
             {"user_id": "{user}", "entity_id": "{entity}", "role": "auditor"},
             resource="role entity", allowed_status=201),
    Endpoint("GET /api/v1/role-assignments", "GET", "/api/v1/role-assignments"),
    Endpoint("DELETE /api/v1/role-assignments/{id}", "DELETE",
             "/api/v1/role-assignments/{role_assignment}", resource="fresh role assignment",
             allowed_status=204),
    Endpoint("POST /api/v1/tokens (own)", "POST", "/api/v1/tokens", {"name": "own token"},
             allowed_status=201),
    Endpoint("POST /api/v1/tokens (other user)", "POST", "/api/v1/tokens",
             {"name": "token for another user", "user_id": "{user}"}, resource="user",
             allowed_status=201),
    Endpoint("GET /api/v1/tokens", "GET", "/api/v1/tokens"),
    Endpoint("DELETE /api/v1/tokens/{id} (own)", "DELETE", "/api/v1/tokens/{token}",
             resource="own token", allowed_status=204),
    Endpoint("DELETE /api/v1/tokens/{id} (other user)", "DELETE", "/api/v1/tokens/{token}",
             resource="fresh token", allowed_status=204),
    Endpoint("PUT /api/v1/aws-connection", "PUT", "/api/v1/aws-connection", "{aws_connection}"),
    Endpoint("GET /api/v1/aws-connection", "GET", "/api/v1/aws-connection"),
    Endpoint("POST /api/v1/entities/{id}/evidence", "POST", "/api/v1/entities/{entity}/evidence",
             {"title": "Matrix evidence", "description": ""}, resource="entity",
             allowed_status=201),
    Endpoint("GET /api/v1/entities/{id}/evidence", "GET", "/api/v1/entities/{entity}/evidence",
             resource="entity"),
    Endpoint("GET /api/v1/evidence/{id}", "GET", "/api/v1/evidence/{evidence}",
             resource="evidence"),
    Endpoint("POST /api/v1/evidence/{id}/versions", "POST",
             "/api/v1/evidence/{evidence}/versions", VERSION_METADATA, resource="evidence",
             allowed_status=201),
    Endpoint("POST /api/v1/evidence/{id}/versions/{id}/upload-url", "POST",
             "/api/v1/evidence/{evidence}/versions/{version}/upload-url", resource="version",
             allowed_status=409),
    Endpoint("POST /api/v1/evidence/{id}/versions/{id}/complete", "POST",
             "/api/v1/evidence/{evidence}/versions/{version}/complete", resource="version",
             allowed_status=409),
    Endpoint("GET /api/v1/evidence/{id}/versions", "GET", "/api/v1/evidence/{evidence}/versions",
             resource="evidence"),
    Endpoint("POST /api/v1/evidence/{id}/versions/{id}/download", "POST",
             "/api/v1/evidence/{evidence}/versions/{version}/download", resource="version"),
    Endpoint("GET /api/v1/audit-records", "GET", "/api/v1/audit-records"),
]


def expected_statuses(endpoint: Endpoint, caller: str, location: str | None) -> set[int]:
    """Return the statuses docs/api.md allows for one call."""
    if endpoint.scope == "caller":
        return {endpoint.allowed_status}
    if caller == ORG_ADMIN:
        if location in (None, IN_SCOPE, SIBLING):
            return {endpoint.allowed_status}
        return {404}
    # The caller has the role `caller` on business unit A only.
    if endpoint.key in OWNER_ONLY_FOR_NON_ADMINS:
        return {404}
    if endpoint.scope == "organization":
        # Users, role assignments and tokens of the caller's organization are visible to
        # every member, so a caller without the organization-wide role gets 403 for them.
        # For another organization's id or a nonexistent one, the server may check the role
        # (403) or look the id up (404) first, and both responses must be identical.
        if location in (None, IN_SCOPE, SIBLING):
            return {403}
        return {403, 404}
    if location == IN_SCOPE:
        return {endpoint.allowed_status} if RANK[caller] >= RANK[MINIMUM_ROLE[endpoint.key]] else {403}
    return {404}


def hidden_locations(endpoint: Endpoint, caller: str) -> tuple[str, ...]:
    """Return the locations whose response must equal the nonexistent-id response."""
    if endpoint.resource in (None, "own token"):
        return ()
    if endpoint.key in OWNER_ONLY_FOR_NON_ADMINS and caller != ORG_ADMIN:
        return (IN_SCOPE, SIBLING, OTHER_ORG)
    if endpoint.scope == "entity" and caller != ORG_ADMIN:
        return (SIBLING, OTHER_ORG)
    return (OTHER_ORG,)


def fill(template: Any, values: dict) -> Any:
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        return template.format(**values)
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    return template


def normalized(response: support.Response, ids: list[str]) -> bytes:
    raw = response.raw
    for identifier in ids:
        raw = raw.replace(identifier.encode("utf-8"), b"<id>")
    return raw


@support.requires_s3
class AuthorizationMatrixTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def prepare_database(cls):
        cls.other_org = cls.server.init_organization("Other Org")

    @classmethod
    def set_up_data(cls):
        admin = cls.admin
        other = cls.server.describe_organization(cls.other_org)
        other_admin = cls.server.api(other.token)
        other_admin.set_aws_connection(cls.bucket)
        cls.other_admin = other_admin

        root = cls.org.root_entity_id
        cls.unit_a = admin.create_entity("Business unit A", "business_unit", root)["id"]
        cls.engagement_a1 = admin.create_entity("Engagement A1", "audit_engagement",
                                                cls.unit_a)["id"]
        cls.unit_b = admin.create_entity("Business unit B", "business_unit", root)["id"]
        cls.other_unit = other_admin.create_entity("Other unit", "business_unit",
                                                   other.root_entity_id)["id"]

        payload = b"stored evidence for the authorization matrix"
        cls.evidence = {
            IN_SCOPE: admin.create_evidence(cls.engagement_a1, "In scope")["id"],
            SIBLING: admin.create_evidence(cls.unit_b, "Sibling")["id"],
            OTHER_ORG: other_admin.create_evidence(cls.other_unit, "Other organization")["id"],
        }
        cls.versions = {
            location: admin.upload_version(evidence_id, payload)["id"]
            for location, evidence_id in cls.evidence.items() if location != OTHER_ORG
        }
        cls.versions[OTHER_ORG] = other_admin.upload_version(cls.evidence[OTHER_ORG], payload)["id"]

        cls.callers = {ORG_ADMIN: (cls.org.admin_user_id, cls.org.token)}
        for role in ROLES:
            user, token = admin.create_user_with_role(f"{role}-on-a", cls.unit_a, role)
            cls.callers[role] = (user["id"], token)

        cls.user_a1 = admin.create_user_with_role("viewer-on-a1", cls.engagement_a1, "viewer")[0]
        cls.user_b = admin.create_user_with_role("viewer-on-b", cls.unit_b, "viewer")[0]
        cls.other_user = other_admin.create_user("other-org-user")
        cls.other_role_assignment = other_admin.assign_role(
            cls.other_user["id"], cls.other_unit, "viewer")["id"]
        cls.other_token = other_admin.create_token(cls.other_user["id"])["id"]

    # Resources per location. "fresh" resources are made anew for every call because a
    # successful call deactivates or deletes them.

    def entity_at(self, location: str, parent: bool = False) -> str:
        return {
            IN_SCOPE: self.unit_a if parent else self.engagement_a1,
            SIBLING: self.unit_b,
            OTHER_ORG: self.other_unit,
            MISSING: support.random_id("ent_"),
        }[location]

    def user_at(self, location: str) -> str:
        return {
            IN_SCOPE: self.user_a1["id"],
            SIBLING: self.user_b["id"],
            OTHER_ORG: self.other_user["id"],
            MISSING: support.random_id("usr_"),
        }[location]

    def fresh_user_at(self, location: str) -> str:
        if location in (IN_SCOPE, SIBLING):
            entity = self.engagement_a1 if location == IN_SCOPE else self.unit_b
            return self.admin.create_user_with_role("to-deactivate", entity, "viewer")[0]["id"]
        return self.user_at(location)

    def fresh_role_assignment_at(self, location: str) -> str:
        if location in (IN_SCOPE, SIBLING):
            entity = self.engagement_a1 if location == IN_SCOPE else self.unit_b
            user = self.admin.create_user("assignment-holder")
            return self.admin.assign_role(user["id"], entity, "viewer")["id"]
        if location == OTHER_ORG:
            return self.other_role_assignment
        return support.random_id("ra_")

    def fresh_token_at(self, location: str) -> str:
        if location in (IN_SCOPE, SIBLING):
            return self.admin.create_token(self.user_at(location), "to-revoke")["id"]
        if location == OTHER_ORG:
            return self.other_token
        return support.random_id("tok_")

    def values_for(self, endpoint: Endpoint, caller: str, location: str | None) -> dict:
        values = {
            "new_email": support.unique_email("matrix"),
            "aws_connection": support.aws_connection_body(self.bucket),
        }
        resource = endpoint.resource
        if resource is None:
            return values
        if resource in ("entity", "parent"):
            values["entity"] = self.entity_at(location, parent=resource == "parent")
        elif resource == "role entity":
            # A user holds one role per entity (docs/data-model.md), so each call assigns a
            # role to a user without one.
            values["entity"] = self.entity_at(location)
            values["user"] = self.admin.create_user("role-holder")["id"]
        elif resource == "evidence":
            values["evidence"] = self.evidence.get(location) or support.random_id("evd_")
        elif resource == "version":
            values["evidence"] = self.evidence.get(location) or support.random_id("evd_")
            values["version"] = self.versions.get(location) or support.random_id("ver_")
        elif resource == "user":
            values["user"] = self.user_at(location)
        elif resource == "fresh user":
            values["user"] = self.fresh_user_at(location)
        elif resource == "fresh role assignment":
            values["role_assignment"] = self.fresh_role_assignment_at(location)
        elif resource == "fresh token":
            values["token"] = self.fresh_token_at(location)
        elif resource == "own token":
            _, token = self.callers[caller]
            values["token"] = self.server.api(token).create_token(name="own, to revoke")["id"]
        else:
            raise ValueError(f"unknown resource kind {resource}")
        return values

    def call(self, endpoint: Endpoint, caller: str, location: str | None,
             request_id: str | None = None) -> tuple[support.Response, list[str]]:
        values = self.values_for(endpoint, caller, location)
        _, token = self.callers[caller]
        api = self.server.api(token)
        body = fill(endpoint.body, values) if endpoint.body is not None else None
        response = api.request(endpoint.method, endpoint.path.format(**values), body,
                               request_id=request_id)
        ids = [value for value in values.values()
               if isinstance(value, str) and value.startswith(support.ID_PREFIXES)]
        return response, ids

    def check_endpoint(self, endpoint: Endpoint):
        locations = (None,) if endpoint.resource in (None, "own token") else LOCATIONS
        for caller in CALLERS:
            for location in locations:
                with self.subTest(caller=caller, location=location):
                    response, _ = self.call(endpoint, caller, location)
                    expected = expected_statuses(endpoint, caller, location)
                    context = f"{endpoint.key} as {caller}, resource {location}"
                    self.assertStatus(response, expected, context)
                    if response.status >= 400:
                        self.assertProblem(response, response.status, context)

            for location in hidden_locations(endpoint, caller):
                with self.subTest(caller=caller, compare=location):
                    request_id = support.new_request_id()
                    missing, missing_ids = self.call(endpoint, caller, MISSING, request_id)
                    hidden, hidden_ids = self.call(endpoint, caller, location, request_id)
                    self.assertEqual(
                        normalized(hidden, hidden_ids).decode("utf-8", "replace"),
                        normalized(missing, missing_ids).decode("utf-8", "replace"),
                        f"{endpoint.key} as {caller}: the response for a resource in the "
                        f"{location} differs from the one for a nonexistent id",
                    )

    # Lists and sessions.

    def subtree(self, entity_id: str) -> set[str]:
        entities = self.admin.list_all("/api/v1/entities")
        members = {entity_id}
        changed = True
        while changed:
            changed = False
            for entity in entities:
                if entity["parent_id"] in members and entity["id"] not in members:
                    members.add(entity["id"])
                    changed = True
        return members

    def test_entity_list_contains_scope_only(self):
        scope = self.subtree(self.unit_a)
        for role in ROLES:
            with self.subTest(role=role):
                api = self.server.api(self.callers[role][1])
                listed = {entity["id"] for entity in api.list_all("/api/v1/entities")}
                self.assertLessEqual(listed, scope, f"{role} on A lists entities outside A")
                self.assertIn(self.unit_a, listed)
                self.assertIn(self.engagement_a1, listed)
                self.assertNotIn(self.unit_b, listed)
                self.assertNotIn(self.org.root_entity_id, listed)
                self.assertNotIn(self.other_unit, listed)

    def test_org_admin_entity_list_excludes_other_org(self):
        listed = {entity["id"] for entity in self.admin.list_all("/api/v1/entities")}
        self.assertIn(self.org.root_entity_id, listed)
        self.assertIn(self.unit_b, listed)
        self.assertIn(self.engagement_a1, listed)
        self.assertNotIn(self.other_unit, listed)

    def test_evidence_list_contains_entity_only(self):
        api = self.server.api(self.callers["viewer"][1])
        items = api.list_all(f"/api/v1/entities/{self.engagement_a1}/evidence")
        self.assertIn(self.evidence[IN_SCOPE], [item["id"] for item in items])
        for item in items:
            self.assertEqual(item["entity_id"], self.engagement_a1, item)

    def test_version_list_contains_evidence_only(self):
        api = self.server.api(self.callers["viewer"][1])
        items = api.list_all(f"/api/v1/evidence/{self.evidence[IN_SCOPE]}/versions")
        self.assertIn(self.versions[IN_SCOPE], [item["id"] for item in items])
        for item in items:
            self.assertEqual(item["evidence_id"], self.evidence[IN_SCOPE], item)

    def test_token_list_contains_own_tokens_only(self):
        for role in ROLES:
            with self.subTest(role=role):
                user_id, token = self.callers[role]
                items = self.server.api(token).list_all("/api/v1/tokens")
                self.assertTrue(items, f"{role} does not see its own token")
                for item in items:
                    self.assertEqual(item["user_id"], user_id, item)
                    self.assertNotIn("token", item, "a token list shows a token secret")

    def test_org_admin_token_list_excludes_other_org(self):
        ids = {item["id"] for item in self.admin.list_all("/api/v1/tokens")}
        self.assertNotIn(self.other_token, ids)

    def test_org_admin_user_list_excludes_other_org(self):
        ids = {item["id"] for item in self.admin.list_all("/api/v1/users")}
        self.assertIn(self.user_b["id"], ids)
        self.assertNotIn(self.other_user["id"], ids)

    def test_me_shows_own_role_assignments(self):
        for role in ROLES:
            with self.subTest(role=role):
                user_id, token = self.callers[role]
                me = self.server.api(token).me()
                self.assertEqual(me["user"]["id"], user_id)
                self.assertEqual(me["organization"]["root_entity_id"], self.org.root_entity_id)
                assignments = me["role_assignments"]
                self.assertEqual([(a["entity_id"], a["role"]) for a in assignments],
                                 [(self.unit_a, role)])

    def test_pending_versions_hidden_below_contributor(self):
        evidence_id = self.evidence[IN_SCOPE]
        pending = self.admin.create_version(evidence_id, b"a draft")["version"]["id"]
        for role in ROLES:
            with self.subTest(role=role):
                api = self.server.api(self.callers[role][1])
                listed = {item["id"]: item for item in
                          api.list_all(f"/api/v1/evidence/{evidence_id}/versions")}
                self.assertIn(self.versions[IN_SCOPE], listed)
                if RANK[role] >= RANK["contributor"]:
                    self.assertIn(pending, listed, f"{role} does not see a pending version")
                else:
                    self.assertNotIn(pending, listed, f"{role} sees a pending version")
                item = api.expect(200, "GET", f"/api/v1/evidence/{evidence_id}")
                self.assertEqual(item["latest_version"]["id"], self.versions[IN_SCOPE])

    def assertCursorRejectedLikeMalformed(self, api, path: str, cursor: str, context: str):
        request_id = support.new_request_id()
        malformed = api.get(f"{path}?after=not-a-cursor", request_id=request_id)
        rejected = api.get(f"{path}?after={cursor}", request_id=request_id)
        self.assertProblem(rejected, 400, context)
        self.assertEqual(rejected.raw.decode("utf-8", "replace"),
                         malformed.raw.decode("utf-8", "replace"),
                         f"{context}: differs from the response for a malformed cursor")

    def test_list_cursors_do_not_cross_organizations(self):
        # A cursor must not be a global row number, and another organization's cursor must be
        # rejected exactly like a malformed one. The audit log is left out of the second check:
        # each organization has its own log numbered from 0, so a position taken from another
        # organization's page is an ordinary position in the caller's own log and tells nothing.
        paged = self.admin.create_evidence(self.engagement_a1, "Two versions")["id"]
        for payload in (b"first", b"second"):
            self.admin.upload_version(paged, payload)
        for path in ("/api/v1/entities", "/api/v1/users", "/api/v1/tokens",
                     "/api/v1/role-assignments", "/api/v1/audit-records",
                     f"/api/v1/entities/{self.engagement_a1}/evidence",
                     f"/api/v1/evidence/{paged}/versions"):
            with self.subTest(path=path):
                page = self.admin.expect(200, "GET", f"{path}?limit=1")
                cursor = page["next_cursor"]
                self.assertIsInstance(cursor, str, f"{path} has no second page")
                self.assertFalse(cursor.isdigit(), f"{path} cursor {cursor} is a row number")
                other_path = {
                    f"/api/v1/entities/{self.engagement_a1}/evidence":
                        f"/api/v1/entities/{self.other_unit}/evidence",
                    f"/api/v1/evidence/{paged}/versions":
                        f"/api/v1/evidence/{self.evidence[OTHER_ORG]}/versions",
                }.get(path, path)
                if path == "/api/v1/audit-records":
                    continue
                self.assertCursorRejectedLikeMalformed(
                    self.other_admin, other_path, cursor, f"{path} cursor in another organization")

    def test_pending_version_cursor_rejected_below_contributor(self):
        evidence_id = self.evidence[IN_SCOPE]
        self.admin.create_version(evidence_id, b"a draft for the cursor")
        path = f"/api/v1/evidence/{evidence_id}/versions"
        page = self.admin.expect(200, "GET", f"{path}?limit=1")
        cursor = page["next_cursor"]
        self.assertEqual(page["items"][0]["status"], "pending")
        for role in ("viewer", "auditor"):
            with self.subTest(role=role):
                api = self.server.api(self.callers[role][1])
                self.assertCursorRejectedLikeMalformed(api, path, cursor,
                                                       f"a pending version's cursor as {role}")

    def test_pending_version_looks_missing_below_contributor(self):
        evidence_id = self.evidence[IN_SCOPE]
        pending = self.admin.create_version(evidence_id, b"a draft to probe")["version"]["id"]
        path = "/api/v1/evidence/{}/versions/{}/download"
        for role in ("viewer", "auditor"):
            with self.subTest(role=role):
                api = self.server.api(self.callers[role][1])
                request_id = support.new_request_id()
                missing_version = support.random_id("ver_")
                missing = api.post(path.format(evidence_id, missing_version),
                                   request_id=request_id)
                hidden = api.post(path.format(evidence_id, pending), request_id=request_id)
                self.assertProblem(hidden, 404, f"a pending version as {role}")
                self.assertEqual(normalized(hidden, [pending]),
                                 normalized(missing, [missing_version]))
        for role in ("contributor", "manager", "admin"):
            with self.subTest(role=role):
                api = self.server.api(self.callers[role][1])
                response = api.post(path.format(evidence_id, pending))
                self.assertProblem(response, 409, f"a pending version as {role}")

    def test_second_role_on_entity_conflicts(self):
        user = self.admin.create_user("two-roles")
        self.admin.assign_role(user["id"], self.unit_b, "viewer")
        response = self.admin.post("/api/v1/role-assignments",
                                   {"user_id": user["id"], "entity_id": self.unit_b,
                                    "role": "manager"})
        self.assertProblem(response, 409, "a second role on the same entity")

    def test_other_org_version_under_own_evidence_not_found(self):
        # A version id of another organization under an evidence id of one's own.
        own_evidence = self.evidence[IN_SCOPE]
        request_id = support.new_request_id()
        path = "/api/v1/evidence/{}/versions/{}/download"
        missing_version = support.random_id("ver_")
        missing = self.admin.post(path.format(own_evidence, missing_version),
                                  request_id=request_id)
        foreign = self.admin.post(path.format(own_evidence, self.versions[OTHER_ORG]),
                                  request_id=request_id)
        self.assertProblem(foreign, 404, "another organization's version")
        self.assertEqual(normalized(foreign, [self.versions[OTHER_ORG]]),
                         normalized(missing, [missing_version]))

    def test_sibling_version_under_in_scope_evidence_not_found(self):
        api = self.server.api(self.callers["admin"][1])
        path = f"/api/v1/evidence/{self.evidence[IN_SCOPE]}/versions/{self.versions[SIBLING]}"
        response = api.post(path + "/download")
        self.assertProblem(response, 404, "a version of evidence in B under evidence in A1")

    def test_unauthenticated_requests_rejected(self):
        valid = self.admin.create_token(name="to mangle")
        token, token_id = valid["token"], valid["id"]
        # The token is cst_<token id without tok_>_<secret> (docs/data-model.md).
        id_part = token_id.removeprefix("tok_")
        self.assertIn(id_part, token)
        unknown_id_part = support.random_id("tok_").removeprefix("tok_")
        cases = {
            "no token": None,
            "malformed token": "not-a-token",
            "unknown token id": token.replace(id_part, unknown_id_part),
            "wrong secret": token[:-1] + ("A" if token[-1] != "A" else "B"),
        }
        for name, bad_token in cases.items():
            for method, path, body in (
                ("GET", "/api/v1/me", None),
                ("POST", "/api/v1/entities",
                 {"name": "x", "kind": "business_unit", "parent_id": self.unit_a}),
            ):
                with self.subTest(case=name, method=method):
                    response = self.server.api(bad_token).request(method, path, body)
                    self.assertProblem(response, 401, f"{method} {path} with {name}")
                    challenge = response.header("WWW-Authenticate") or ""
                    self.assertTrue(challenge.startswith("Bearer"),
                                    f"WWW-Authenticate is {challenge!r}")

    def test_revoked_token_unauthenticated(self):
        user, token = self.admin.create_user_with_role("revoked", self.engagement_a1, "viewer")
        api = self.server.api(token)
        self.assertStatus(api.get("/api/v1/me"), 200, "before revocation")
        token_id = [item["id"] for item in api.list_all("/api/v1/tokens")][0]
        self.assertStatus(self.admin.delete(f"/api/v1/tokens/{token_id}"), 204, "revoke")
        self.assertProblem(api.get("/api/v1/me"), 401, "a revoked token")
        self.assertProblem(api.get(f"/api/v1/entities/{self.engagement_a1}"), 401,
                           "a revoked token")

    def test_deactivated_user_unauthenticated(self):
        user, token = self.admin.create_user_with_role("deactivated", self.engagement_a1,
                                                       "contributor")
        second_token = self.admin.create_token(user["id"], "second")["token"]
        api = self.server.api(token)
        self.assertStatus(api.get("/api/v1/me"), 200, "before deactivation")
        deactivated = self.admin.expect(200, "POST", f"/api/v1/users/{user['id']}/deactivate")
        self.assertFalse(deactivated["active"])
        for name, bad_token in (("first token", token), ("second token", second_token)):
            with self.subTest(token=name):
                response = self.server.api(bad_token).get("/api/v1/me")
                self.assertProblem(response, 401, f"{name} of a deactivated user")
        create = api.post(f"/api/v1/entities/{self.engagement_a1}/evidence",
                          {"title": "after deactivation", "description": ""})
        self.assertProblem(create, 401, "a write by a deactivated user")


def _add_endpoint_tests():
    for endpoint in ENDPOINTS:
        slug = "".join(c if c.isalnum() else "_" for c in endpoint.key)
        slug = "_".join(part for part in slug.lower().split("_") if part)

        def test(self, endpoint=endpoint):
            self.check_endpoint(endpoint)

        test.__doc__ = f"{endpoint.key}: every role, in and out of scope."
        setattr(AuthorizationMatrixTest, f"test_matrix_{slug}", test)


_add_endpoint_tests()

if __name__ == "__main__":
    unittest.main()
