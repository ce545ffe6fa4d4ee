#!/usr/bin/env python3
"""README names only what exists: every `make TARGET` is a Makefile target,
every scripts/, plots/, docs/, bench/ and tests/ path is in the tree, every
option given to parbench (in a parbench command line or the options table)
is one that `bench/parbench --help` lists, and every relative link resolves.
A newcomer who copies a line from README never meets "No rule to make
target" or "unknown option". Prints cmocka-style lines for the Makefile."""

import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARBENCH = os.environ.get("PARBENCH_BIN", os.path.join(ROOT, "bench", "parbench"))


def readme():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def make_targets():
    """The targets the Makefile defines (rules at the start of a line)."""
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        text = f.read()
    return set(re.findall(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:(?!=)", text, re.M))


def help_options():
    out = subprocess.run([PARBENCH, "--help"], capture_output=True, text=True, check=False)
    return set(re.findall(r"--[a-z][a-z_-]*", out.stdout + out.stderr))


def parbench_commands(text):
    """What is given to parbench: the code lines and inline code spans that
    run it (from the word parbench on), and the options table's first
    column."""
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code and "parbench " in line:
            yield line[line.index("parbench "):].split("#")[0]
        for span in re.findall(r"`([^`]*\bparbench [^`]*)`", line):
            yield span[span.index("parbench "):]
        if line.startswith("| `--"):
            yield line.split("|")[1]


class Readme(unittest.TestCase):
    def test_make_targets_exist(self):
        targets = make_targets()
        named = set(re.findall(r"\bmake ([a-z][a-z-]*)\b", readme()))
        # "make bench PROFILE=quick" and "make" alone are fine; words after
        # make that are prose ("make system calls") are not commands
        named = {t for t in named if t not in ("system", "the", "a", "it")}
        self.assertTrue(named, "README names no make target")
        missing = sorted(named - targets)
        self.assertEqual(missing, [], "make targets named in README but not in the Makefile")

    def test_paths_exist(self):
        paths = set(re.findall(r"(?<![\w./<>-])((?:scripts|plots|docs|bench|tests|lib)/"
                               r"[A-Za-z0-9_./-]*[A-Za-z0-9_])", readme()))
        # placeholders (<group>, <machine>) are not paths
        paths = {p for p in paths if "<" not in p and "*" not in p}
        self.assertTrue(paths)
        missing = sorted(p for p in paths if not os.path.exists(os.path.join(ROOT, p)))
        self.assertEqual(missing, [], "paths named in README that are not in the tree")

    def test_parbench_options_exist(self):
        known = help_options()
        self.assertIn("--filter", known, "parbench --help printed no options")
        used = set()
        for line in parbench_commands(readme()):
            used.update(re.findall(r"(?<![\w-])--[a-z][a-z_-]*", line))
        used = {o for o in used if not o.startswith("--benchmark_")}
        missing = sorted(used - known)
        self.assertEqual(missing, [], "parbench options in README that --help does not list")

    def test_links_resolve(self):
        links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", readme())
        missing = sorted(link for link in links if not os.path.exists(os.path.join(ROOT, link)))
        self.assertEqual(missing, [], "README links to files that do not exist")

    def test_no_path_outside_the_clone(self):
        # a clone has no ../shared/: README must stand on its own
        self.assertNotIn("../shared", readme())


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import pbunit  # tests/pbunit.py: the suites' shared main
    sys.exit(pbunit.main())
