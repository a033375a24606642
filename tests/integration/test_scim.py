"""SCIM 2.0 provisioning against a running custodyd: tokens, errors, and replays of the request
sequences that Okta and Microsoft Entra ID send when an admin assigns, updates, pushes groups,
deactivates and unassigns users.

The sequences follow the providers' public documentation of their SCIM clients: Okta's "SCIM
2.0 protocol reference" (developer.okta.com) and Microsoft's "Tutorial: Develop and plan
provisioning for a SCIM endpoint in Microsoft Entra ID" (learn.microsoft.com). Neither client
can run here, so the requests are written out.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid

import support

SCIM_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """Calls /scim/v2 with a SCIM token."""

    def __init__(self, port: int, token: str | None):
        self.api = support.Api(port, token)

    def request(self, method: str, path: str, body=None, headers=(), query=None):
        target = "/scim/v2" + path
        if query:
            target += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        return self.api.request(method, target, body, content_type=SCIM_TYPE, headers=headers)

    def expect(self, status: int, method: str, path: str, body=None, **kwargs):
        response = self.request(method, path, body, **kwargs)
        if response.status != status:
            raise AssertionError(f"{method} {path}: expected {status}, got {response.describe()}")
        return response.json() if response.body else None

    def find_user(self, user_name: str) -> list[dict]:
        listing = self.expect(200, "GET", "/Users",
                              query={"filter": f'userName eq "{user_name}"',
                                     "startIndex": "1", "count": "100"})
        return listing["Resources"]


def patch(*operations) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


class ScimTestCase(support.ServerTestCase):
    @classmethod
    def set_up_data(cls):
        created = cls.admin.expect(201, "POST", "/api/v1/scim/tokens", {"name": "IdP"})
        cls.scim_token = created["token"]
        cls.scim_token_id = created["id"]
        cls.scim = Scim(cls.server.port, cls.scim_token)

    def assertScimError(self, response, status: int, scim_type: str | None = None) -> dict:
        self.assertEqual(response.status, status, response.describe())
        body = response.json()
        self.assertEqual(body["schemas"], [ERROR_SCHEMA])
        self.assertEqual(body["status"], str(status))
        if scim_type is not None:
            self.assertEqual(body.get("scimType"), scim_type, response.describe())
        return body

    def roles_of(self, user_id: str) -> dict[str, str]:
        """Return {entity id: role} of the user's role assignments."""
        assignments = self.admin.list_all("/api/v1/role-assignments")
        return {a["entity_id"]: a["role"] for a in assignments if a["user_id"] == user_id}

    def map_group(self, group_id: str, entity_id: str, role: str) -> dict:
        return self.admin.expect(201, "POST", "/api/v1/scim/group-mappings",
                                 {"group_id": group_id, "entity_id": entity_id, "role": role})


class ScimTokenTest(ScimTestCase):
    def test_missing_token_is_401(self):
        response = Scim(self.server.port, None).request("GET", "/Users")
        self.assertScimError(response, 401)
        self.assertEqual(response.header("WWW-Authenticate"), "Bearer")

    def test_user_api_token_is_rejected(self):
        response = Scim(self.server.port, self.org.token).request("GET", "/Users")
        self.assertScimError(response, 401)

    def test_scim_token_is_rejected_on_api(self):
        response = support.Api(self.server.port, self.scim_token).get("/api/v1/me")
        self.assertEqual(response.status, 401, response.describe())

    def test_revoked_token_fails_and_others_work(self):
        second = self.admin.expect(201, "POST", "/api/v1/scim/tokens", {"name": "rotation"})
        second_scim = Scim(self.server.port, second["token"])
        self.assertEqual(second_scim.request("GET", "/Users").status, 200)
        self.admin.expect(204, "DELETE", f"/api/v1/scim/tokens/{second['id']}")
        self.assertScimError(second_scim.request("GET", "/Users"), 401)
        self.assertEqual(self.scim.request("GET", "/Users").status, 200)
        listed = self.admin.expect(200, "GET", "/api/v1/scim/tokens")["items"]
        revoked = [t for t in listed if t["id"] == second["id"]]
        self.assertIsNotNone(revoked[0]["revoked_at"])
        self.assertNotIn("token", revoked[0])

    def test_every_use_is_audited(self):
        response = self.scim.request("GET", "/ServiceProviderConfig")
        self.assertEqual(response.status, 200, response.describe())
        records = support.records_for_request(self.admin.audit_records(), response.request_id)
        self.assertEqual(len(records), 1, records)
        self.assertEqual(records[0]["actor"], self.scim_token_id)
        self.assertEqual(records[0]["decision"], "allow")

        denied = Scim(self.server.port, "scim_" + "x" * 66).request("GET", "/Users")
        self.assertEqual(denied.status, 401)


class ScimErrorTest(ScimTestCase):
    @classmethod
    def prepare_database(cls):
        cls.other_org = cls.server.init_organization("Other Org")

    def test_discovery_endpoints(self):
        config = self.scim.expect(200, "GET", "/ServiceProviderConfig")
        self.assertTrue(config["patch"]["supported"])
        self.assertFalse(config["bulk"]["supported"])
        types = self.scim.expect(200, "GET", "/ResourceTypes")
        self.assertEqual(types["Resources"][0]["endpoint"], "/Users")
        schemas = self.scim.expect(200, "GET", "/Schemas")
        self.assertEqual({s["id"] for s in schemas["Resources"]},
                         {USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA})
        self.scim.expect(200, "GET", f"/Schemas/{USER_SCHEMA}")
        self.assertScimError(self.scim.request("GET", "/Schemas/urn:nope"), 404)

    def test_malformed_filters_are_400(self):
        # Query strings stay under the server's 16 KiB request line; longer filters go in the
        # body of a .search request.
        for text in ['userName eq', 'userName eq "unterminated', "((((", "userName zz 1",
                     "(" * 1500 + 'userName eq "a"' + ")" * 1500,
                     "not (" * 600, 'userName eq "' + "a" * 5000 + '"',
                     'emails[type eq "work"', "\u00e9\u00e8 eq 1"]:
            with self.subTest(filter=text[:40]):
                response = self.scim.request("GET", "/Users", query={"filter": text})
                self.assertScimError(response, 400, "invalidFilter")
        for text in ["(" * 20000, "not (" * 10000, 'userName eq "' + "a" * 50000 + '"']:
            with self.subTest(search=text[:40]):
                response = self.scim.request("POST", "/Users/.search", {"filter": text})
                self.assertScimError(response, 400, "invalidFilter")

    def test_malformed_bodies_are_400(self):
        for body in [b'{"acve": tre,', b"[]", b'{"userName": "a", "userName": "b"}',
                     b'{"displayName": "no user name"}', b'{"userName": 5}']:
            with self.subTest(body=body):
                response = self.scim.api.request("POST", "/scim/v2/Users", body=body,
                                                 content_type=SCIM_TYPE)
                self.assertEqual(response.status, 400, response.describe())
                self.assertIn(response.json()["scimType"], ("invalidSyntax", "invalidValue"))

    def test_unknown_resource_is_404_and_bulk_is_501(self):
        self.assertScimError(self.scim.request("GET", "/Users/usr_doesnotexist"), 404)
        self.assertScimError(self.scim.request("GET", "/Nope"), 404)
        self.assertScimError(self.scim.request("POST", "/Bulk", {}), 501)
        self.assertScimError(self.scim.request("PUT", "/Users", {}), 405)

    def test_etag_conflict_is_412(self):
        user = self.scim.expect(201, "POST", "/Users",
                                {"schemas": [USER_SCHEMA], "userName": "etag@example.test"})
        stale = self.scim.request("PATCH", f"/Users/{user['id']}",
                                  patch({"op": "replace", "path": "title", "value": "x"}),
                                  headers=[("If-Match", 'W/"9"')])
        self.assertScimError(stale, 412)
        fresh = self.scim.request("PATCH", f"/Users/{user['id']}",
                                  patch({"op": "replace", "path": "title", "value": "x"}),
                                  headers=[("If-Match", user["meta"]["version"])])
        self.assertEqual(fresh.status, 204, fresh.describe())
        self.assertEqual(fresh.header("ETag"), 'W/"2"')
        unchanged = self.scim.request("GET", f"/Users/{user['id']}",
                                      headers=[("If-None-Match", 'W/"2"')])
        self.assertEqual(unchanged.status, 304, unchanged.describe())

    def test_other_organization_cannot_see_users(self):
        user = self.scim.expect(201, "POST", "/Users", {"userName": "mine@example.test"})
        other_token = support.Api(self.server.port, self.other_org.token).expect(
            201, "POST", "/api/v1/scim/tokens", {"name": "other"})["token"]
        other = Scim(self.server.port, other_token)
        self.assertScimError(other.request("GET", f"/Users/{user['id']}"), 404)
        self.assertEqual(other.expect(200, "GET", "/Users")["totalResults"], 0)
        self.assertScimError(other.request("DELETE", f"/Users/{user['id']}"), 404)


class OktaReplayTest(ScimTestCase):
    """Okta: lookup by userName, create, update by PUT, group push, deactivate, reactivate."""

    def test_assign_update_push_deactivate(self):
        user_name = f"okta.user.{uuid.uuid4().hex[:8]}@example.test"
        # Assign: Okta first looks the user up by userName, then creates it.
        self.assertEqual(self.scim.find_user(user_name), [])
        created = self.scim.expect(201, "POST", "/Users", {
            "schemas": [USER_SCHEMA],
            "userName": user_name,
            "name": {"givenName": "Olive", "familyName": "Okta"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "displayName": "Olive Okta",
            "locale": "en-US",
            "externalId": "00u1abcd",
            "groups": [],
            "password": "never stored",
            "active": True,
        })
        user_id = created["id"]
        self.assertNotIn("password", created)
        self.assertEqual(self.scim.find_user(user_name.upper())[0]["id"], user_id)

        # Update: Okta fetches the user and PUTs the whole profile back.
        current = self.scim.expect(200, "GET", f"/Users/{user_id}")
        current["name"]["familyName"] = "Okta-Smith"
        updated = self.scim.expect(200, "PUT", f"/Users/{user_id}", current)
        self.assertEqual(updated["name"]["familyName"], "Okta-Smith")
        self.assertEqual(updated["id"], user_id)

        # Group push: create the group with its member, then rename it and change members.
        group = self.scim.expect(201, "POST", "/Groups", {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Okta Auditors",
            "members": [{"value": user_id, "display": user_name}],
        })
        self.map_group(group["id"], self.org.root_entity_id, "auditor")
        self.assertEqual(self.roles_of(user_id), {self.org.root_entity_id: "auditor"})
        self.scim.expect(204, "PATCH", f"/Groups/{group['id']}", patch(
            {"op": "replace", "value": {"id": group["id"], "displayName": "Okta Auditors 2"}}))
        self.scim.expect(204, "PATCH", f"/Groups/{group['id']}", patch(
            {"op": "remove", "path": f'members[value eq "{user_id}"]'}))
        self.assertEqual(self.roles_of(user_id), {})
        self.scim.expect(204, "PATCH", f"/Groups/{group['id']}", patch(
            {"op": "add", "path": "members", "value": [{"value": user_id, "display": user_name}]}))
        self.assertEqual(self.roles_of(user_id), {self.org.root_entity_id: "auditor"})
        fetched = self.scim.expect(200, "GET", f"/Groups/{group['id']}")
        self.assertEqual(fetched["displayName"], "Okta Auditors 2")
        self.assertEqual([m["value"] for m in fetched["members"]], [user_id])

        # Deactivate (unassign): Okta sends active=false and never deletes.
        self.scim.expect(204, "PATCH", f"/Users/{user_id}", patch(
            {"op": "replace", "value": {"active": False}}))
        self.assertFalse(self.scim.expect(200, "GET", f"/Users/{user_id}")["active"])
        custody_user = self.admin.expect(200, "GET", f"/api/v1/users/{user_id}")
        self.assertFalse(custody_user["active"])

        # Reassign: the lookup finds the deactivated user, and Okta reactivates it by PUT.
        found = self.scim.find_user(user_name)
        self.assertEqual(len(found), 1)
        found[0]["active"] = True
        self.scim.expect(200, "PUT", f"/Users/{user_id}", found[0])
        self.assertTrue(self.admin.expect(200, "GET", f"/api/v1/users/{user_id}")["active"])

        # Group delete withdraws the mapped role.
        self.scim.expect(204, "DELETE", f"/Groups/{group['id']}")
        self.assertEqual(self.roles_of(user_id), {})


class EntraReplayTest(ScimTestCase):
    """Entra ID: its PATCH habits (capitalized ops, string booleans, filtered paths)."""

    def test_assign_update_group_deactivate_delete(self):
        user_name = f"entra.user.{uuid.uuid4().hex[:8]}@example.test"
        external_id = str(uuid.uuid4())
        # Entra looks the user up by userName (or by externalId) before it creates it.
        self.assertEqual(self.scim.find_user(user_name), [])
        self.assertEqual(self.scim.expect(200, "GET", "/Users", query={
            "filter": f'externalId eq "{external_id}"'})["totalResults"], 0)
        created = self.scim.expect(201, "POST", "/Users", {
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "externalId": external_id,
            "userName": user_name,
            "active": True,
            "displayName": "Erin Entra",
            "emails": [{"primary": True, "type": "work", "value": user_name}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Erin Entra", "familyName": "Entra", "givenName": "Erin"},
            "roles": [],
            ENTERPRISE_SCHEMA: {"department": "Finance", "manager": {"value": "mgr-1"}},
        })
        user_id = created["id"]
        self.assertEqual(created[ENTERPRISE_SCHEMA]["department"], "Finance")
        self.assertEqual(created["meta"]["resourceType"], "User")

        # Update: several operations in one PATCH, in Entra's spelling.
        self.scim.expect(204, "PATCH", f"/Users/{user_id}", patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value',
             "value": "erin.new@example.test"},
            {"op": "Replace", "path": "name.givenName", "value": "Erin B."},
            {"op": "Add", "path": f"{ENTERPRISE_SCHEMA}:department", "value": "Audit"},
            {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "555-0100"},
        ))
        user = self.scim.expect(200, "GET", f"/Users/{user_id}")
        self.assertEqual(user["emails"][0]["value"], "erin.new@example.test")
        self.assertEqual(user["name"]["givenName"], "Erin B.")
        self.assertEqual(user[ENTERPRISE_SCHEMA]["department"], "Audit")
        self.assertEqual(user["phoneNumbers"], [{"type": "mobile", "value": "555-0100"}])

        # Groups: lookup without members, create, add and remove members the Entra way.
        lookup = self.scim.expect(200, "GET", "/Groups", query={
            "excludedAttributes": "members", "filter": 'displayName eq "Entra Managers"'})
        self.assertEqual(lookup["totalResults"], 0)
        group = self.scim.expect(201, "POST", "/Groups", {
            "schemas": [GROUP_SCHEMA], "externalId": str(uuid.uuid4()),
            "displayName": "Entra Managers", "members": []})
        self.map_group(group["id"], self.org.root_entity_id, "manager")
        self.scim.expect(204, "PATCH", f"/Groups/{group['id']}", patch(
            {"op": "Add", "path": "members", "value": [{"value": user_id}]}))
        self.assertEqual(self.roles_of(user_id), {self.org.root_entity_id: "manager"})
        self.scim.expect(204, "PATCH", f"/Groups/{group['id']}", patch(
            {"op": "Remove", "path": "members", "value": [{"value": user_id}]}))
        self.assertEqual(self.roles_of(user_id), {})

        # Deactivate with the string "False", as Entra sends it.
        self.scim.expect(204, "PATCH", f"/Users/{user_id}", patch(
            {"op": "Replace", "path": "active", "value": "False"}))
        self.assertFalse(self.scim.expect(200, "GET", f"/Users/{user_id}")["active"])

        # Delete: gone for SCIM, kept (inactive) for Custody's history.
        self.scim.expect(204, "DELETE", f"/Users/{user_id}")
        self.assertScimError(self.scim.request("GET", f"/Users/{user_id}"), 404)
        self.assertEqual(self.scim.find_user(user_name), [])
        kept = self.admin.expect(200, "GET", f"/api/v1/users/{user_id}")
        self.assertFalse(kept["active"])

        # The userName is free again for a new user.
        again = self.scim.expect(201, "POST", "/Users", {"userName": user_name})
        self.assertNotEqual(again["id"], user_id)

        history = self.admin.expect(
            200, "GET", "/api/v1/scim/changes?resource=" + urllib.parse.quote(f"user/{user_id}"))
        actions = [item["action"] for item in history["items"]]
        self.assertIn("scim.user.delete", actions)
        self.assertIn("scim.user.patch", actions)
        self.assertIn("scim.user.create", actions)


@support.requires_s3
class DeprovisioningTest(ScimTestCase):
    """A provisioned user with a working token and download grant loses both at once."""

    needs_s3 = True

    def test_deactivation_ends_access(self):
        user_name = f"leaver.{uuid.uuid4().hex[:8]}@example.test"
        user = self.scim.expect(201, "POST", "/Users", {"userName": user_name})
        group = self.scim.expect(201, "POST", "/Groups", {
            "displayName": "Evidence readers", "members": [{"value": user["id"]}]})
        self.map_group(group["id"], self.org.root_entity_id, "viewer")

        evidence = self.admin.create_evidence(self.org.root_entity_id, "Access review")
        version = self.admin.upload_version(evidence["id"], b"quarterly access review")
        version_id = version["id"] if "id" in version else version["version"]["id"]
        token = self.admin.create_token(user["id"], "leaver laptop")["token"]
        leaver = support.Api(self.server.port, token)
        download_path = f"/api/v1/evidence/{evidence['id']}/versions/{version_id}/download"
        granted = leaver.post(download_path)
        self.assertEqual(granted.status, 200, granted.describe())
        self.assertEqual(support.presigned_get(granted.json()["url"]).status, 200)

        self.scim.expect(204, "PATCH", f"/Users/{user['id']}", patch(
            {"op": "replace", "path": "active", "value": False}))

        self.assertEqual(leaver.get("/api/v1/me").status, 401)
        rejected = leaver.post(download_path)
        self.assertEqual(rejected.status, 401, rejected.describe())
