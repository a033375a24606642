"""Microsoft's SCIM validation collection for Entra ID, run with npm newman against custodyd.

The collection (MIT, from Microsoft's SCIMReferenceCode) is read from the shared conformance
folder beside the repository, and tests/scim contains newman (`npm ci --prefix tests/scim`, which
scripts/install-deps.sh runs). Its "Get Token" folder calls the reference server's own token
endpoint and is left out: the SCIM token comes from /api/v1/scim/tokens instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import unittest

import support

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTION = os.path.join(REPOSITORY, "..", "shared", "conformance", "scim-entra",
                          "PostmanCollection.json")
NEWMAN = os.path.join(REPOSITORY, "tests", "scim", "node_modules", ".bin", "newman")
FOLDERS = ("Endpoint tests", "User tests", "Group tests", "ComplexAttribute tests",
           "User tests with garbage", "Group tests with garbage", "Teardown garbage")


@unittest.skipUnless(os.access(NEWMAN, os.X_OK),
                     f"{NEWMAN} is missing: run npm ci --prefix tests/scim")
@unittest.skipUnless(os.path.exists(COLLECTION), f"{COLLECTION} is missing")
class EntraCollectionTest(support.ServerTestCase):
    def test_collection_passes(self):
        token = self.admin.expect(201, "POST", "/api/v1/scim/tokens", {"name": "newman"})["token"]
        command = [NEWMAN, "run", COLLECTION,
                   "--env-var", "Protocol=http", "--env-var", "Server=127.0.0.1",
                   "--env-var", f"Port=:{self.server.port}", "--env-var", "Api=scim/v2",
                   "--env-var", f"token={token}", "--reporters", "cli", "--color", "off"]
        for folder in FOLDERS:
            command += ["--folder", folder]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, f"newman failed:\n{result.stdout}\n{result.stderr}")
        # The summary table's row: "assertions │ executed │ failed".
        summary = re.search(r"assertions\s*│\s*(\d+)\s*│\s*(\d+)", result.stdout)
        self.assertIsNotNone(summary, result.stdout)
        self.assertGreaterEqual(int(summary.group(1)), 100, result.stdout)
        self.assertEqual(int(summary.group(2)), 0, result.stdout)
