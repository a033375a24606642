"""Reviews of stored versions through the API: a manager approves or rejects another user's
upload, and every reader sees the latest review with the reviewer's name."""

import os
import unittest

import support


@support.requires_s3
class ReviewTest(support.ServerTestCase):
    needs_s3 = True

    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Review engagement", "audit_engagement", root)
        cls.contributor_user, token = cls.admin.create_user_with_role(
            "contributor", cls.entity["id"], "contributor")
        cls.contributor = support.Api(cls.server.port, token)
        cls.manager_user, token = cls.admin.create_user_with_role(
            "manager", cls.entity["id"], "manager")
        cls.manager = support.Api(cls.server.port, token)
        _, token = cls.admin.create_user_with_role("viewer", cls.entity["id"], "viewer")
        cls.viewer = support.Api(cls.server.port, token)

    def stored_version(self, uploader) -> tuple[str, str]:
        evidence = uploader.create_evidence(self.entity["id"], "Access review")
        version = uploader.upload_version(evidence["id"], os.urandom(1024))
        return evidence["id"], version["id"]

    def review(self, api, evidence_id: str, version_id: str, body: dict):
        return api.post(f"/api/v1/evidence/{evidence_id}/versions/{version_id}/review", body)

    def test_manager_approves_and_everyone_sees_it(self):
        evidence_id, version_id = self.stored_version(self.contributor)
        response = self.review(self.manager, evidence_id, version_id,
                               {"decision": "approved", "comment": "Complete for Q3"})
        self.assertStatus(response, 201, "review")
        self.assertEqual(response.json()["created_by_name"], "manager")

        for api in (self.viewer, self.contributor):
            review = api.versions(evidence_id)[0]["review"]
            self.assertEqual(review["decision"], "approved")
            self.assertEqual(review["comment"], "Complete for Q3")
            self.assertEqual(review["created_by"], self.manager_user["id"])
            self.assertEqual(review["created_by_name"], "manager")

        self.assertStatus(self.review(self.manager, evidence_id, version_id,
                                      {"decision": "rejected"}), 201, "second review")
        self.assertEqual(self.viewer.versions(evidence_id)[0]["review"]["decision"], "rejected")

    def test_denials(self):
        evidence_id, version_id = self.stored_version(self.contributor)
        for api, status in ((self.contributor, 403), (self.viewer, 403)):
            self.assertProblem(self.review(api, evidence_id, version_id, {"decision": "approved"}),
                               status, "review by a lower role")
        own_evidence, own_version = self.stored_version(self.manager)
        self.assertProblem(self.review(self.manager, own_evidence, own_version,
                                       {"decision": "approved"}), 403, "review of one's own upload")
        details = self.assertProblem(
            self.review(self.manager, evidence_id, version_id, {"decision": "fine"}), 400,
            "unknown decision")
        self.assertEqual(details.get("field"), "/decision")
        self.assertProblem(
            self.review(self.manager, evidence_id, version_id,
                        {"decision": "approved", "extra": 1}), 400, "unknown field")
        self.assertIsNone(self.viewer.versions(evidence_id)[0]["review"])

        records = [r for r in self.admin.audit_records() if r["action"] == "evidence.approve"]
        reasons = {r["reason"] for r in records if r["decision"] == "deny"}
        self.assertIn("own_upload", reasons)
        self.assertIn("role_lacks_permission", reasons)


if __name__ == "__main__":
    unittest.main()
