"""Prints, for each argument, the environment variable of that name ("-" when missing), or
for ``module:NAME`` whether that module was imported before this one ran ("yes"/"no"):
tests/test_suite_rules.py runs it through tests/preloaded.py."""

import os
import sys

print(" ".join(("yes" if arg[7:] in sys.modules else "no") if arg.startswith("module:")  # noqa: T201
               else os.environ.get(arg, "-") for arg in sys.argv[1:]))
