"""Run one integration test module for CTest.

Usage: run.py --custodyd PATH [--cli PATH] MODULE

Exit codes: 0 when every test passed, 1 on a failure or error, 77 when every test was
skipped (tests/CMakeLists.txt sets SKIP_RETURN_CODE 77, so CTest reports "Skipped").
"""

import argparse
import os
import sys
import unittest

SKIPPED_EXIT_CODE = 77


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--custodyd", help="path of the custodyd binary")
    parser.add_argument("--cli", help="path of the custody CLI binary")
    parser.add_argument("module", help="test module name, such as test_audit")
    arguments = parser.parse_args()

    if arguments.custodyd:
        os.environ["CUSTODYD"] = arguments.custodyd
    if arguments.cli:
        os.environ["CUSTODY_CLI"] = arguments.cli
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

    suite = unittest.defaultTestLoader.loadTestsFromName(arguments.module)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    if not result.wasSuccessful():
        return 1
    # A class skipped in setUpClass counts as one skip and runs no test.
    if result.skipped and len(result.skipped) >= result.testsRun:
        return SKIPPED_EXIT_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main())
