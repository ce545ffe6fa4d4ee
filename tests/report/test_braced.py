#!/usr/bin/env python3
"""Appendix D's short case names (scripts/report_doc.py braced): expanding
the braces gives back every name once, nothing more, and names that
differ in two parts are not joined into a product that was not run.
Plain unittest; prints cmocka-style [  PASSED  ] / [  FAILED  ] lines."""

import itertools
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import report_doc  # noqa: E402


def expand(name):
    """Every name a braced name stands for, as a shell expands braces
    (one level, inside a '/'-separated part)."""
    choices = []
    for part in name.split("/"):
        head, brace, rest = part.partition("{")
        if brace:
            items, _, tail = rest.partition("}")
            choices.append([head + x + tail for x in items.split(",")])
        else:
            choices.append([part])
    return ["/".join(c) for c in itertools.product(*choices)]


class Braced(unittest.TestCase):
    def round_trip(self, names):
        short = report_doc.braced(names)
        back = [n for s in short for n in expand(s)]
        self.assertEqual(sorted(back), sorted(names))
        return short

    def test_one_part_differs(self):
        short = self.round_trip(["pool/-/n:100/w:2/task_us:1", "pool/-/n:100/w:2/task_us:10",
                                 "fork/-/n:100/w:2/task_us:1"])
        self.assertEqual(len(short), 2)

    def test_no_product_that_was_not_run(self):
        # a/1, a/2, b/1: b/2 was not run, so no "{a,b}/{1,2}"
        short = self.round_trip(["a/w:1", "a/w:2", "b/w:1"])
        self.assertEqual(len(short), 2)

    def test_a_whole_product_joins(self):
        names = [f"{m}/-/maxsize:{s}/pin:{p}" for m in ("x",) for s in (0, 1024)
                 for p in ("single", "none")]
        self.assertEqual(self.round_trip(names), ["x/-/maxsize:{0,1024}/pin:{single,none}"])

    def test_different_keys_and_lengths(self):
        self.round_trip(["m/-/echo_us:100/w:2", "m/-/sleep_us:100/w:2", "m/-/w:2", "m/io",
                         "q/-/w:2/msg_bytes:64", "q/-/w:3/msg_bytes:1048576"])

    def test_a_name_with_a_brace_or_comma_stays(self):
        short = report_doc.braced(["a/{x}", "a/y,z", "a/w"])
        self.assertIn("a/{x}", short)
        self.assertIn("a/y,z", short)

    def test_shorter_on_a_real_list(self):
        names = [f"counter-procs/{v}/w:{w}" for w in (1, 2, 3, 4)
                 for v in ("unlocked", "mutex", "semaphore", "spin", "atomic")]
        short = self.round_trip(names)
        self.assertLess(len(short), len(names) // 4)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
