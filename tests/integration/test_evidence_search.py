"""The `q` filter of GET /api/v1/entities/{entity_id}/evidence, through the API."""

import urllib.parse

import support


class EvidenceSearchTest(support.ServerTestCase):
    @classmethod
    def set_up_data(cls):
        root = cls.org.root_entity_id
        cls.entity = cls.admin.create_entity("Search engagement", "audit_engagement", root)
        cls.other_entity = cls.admin.create_entity("Other engagement", "audit_engagement", root)
        for title in ("Firewall rules", "100% coverage", "user_list", "userXlist", "Backup"):
            cls.admin.create_evidence(cls.entity["id"], title)
        for index in range(5):
            cls.admin.create_evidence(cls.entity["id"], f"Paged match {index}")
        cls.admin.create_evidence(cls.other_entity["id"], "Firewall elsewhere")

    def search(self, text: str, limit: int = 50, after: str | None = None):
        query = {"q": text, "limit": str(limit)}
        if after is not None:
            query["after"] = after
        path = (f"/api/v1/entities/{self.entity['id']}/evidence?"
                + urllib.parse.urlencode(query))
        return self.admin.get(path)

    def titles(self, text: str) -> list[str]:
        response = self.search(text)
        self.assertStatus(response, 200, f"search {text!r}")
        return [item["title"] for item in response.json()["items"]]

    def test_matches_ignore_ascii_case(self):
        self.assertEqual(self.titles("FIREWALL"), ["Firewall rules"])

    def test_wildcards_are_literal(self):
        self.assertEqual(self.titles("%"), ["100% coverage"])
        self.assertEqual(self.titles("r_l"), ["user_list"])

    def test_paging_keeps_the_filter(self):
        seen = []
        after = None
        for _ in range(5):
            response = self.search("paged", limit=2, after=after)
            self.assertStatus(response, 200, "paged search")
            page = response.json()
            seen += [item["title"] for item in page["items"]]
            after = page["next_cursor"]
            if after is None:
                break
        self.assertEqual(seen, [f"Paged match {index}" for index in range(4, -1, -1)])

    def test_invalid_q_rejected(self):
        for text in ("", "x" * 201):
            details = self.assertProblem(self.search(text), 400, f"q of {len(text)} characters")
            self.assertEqual(details.get("field"), "q")
        self.assertEqual(self.titles("é" * 200), [])


if __name__ == "__main__":
    import unittest

    unittest.main()
