"""The Python suites' main: unittest, then the cmocka-style
[  PASSED  ] / [  FAILED  ] lines the Makefile's _test adds up."""

import unittest


def main():
    """Run the calling module's tests; 0 when all passed, else 1."""
    result = unittest.main(module="__main__", exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {failed} test(s).")
    return 1 if failed else 0
