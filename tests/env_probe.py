"""Prints the named environment variables ("-" for a missing one): tests/test_suite_rules.py
runs it through tests/preloaded.py."""

import os
import sys

print(" ".join(os.environ.get(name, "-") for name in sys.argv[1:]))  # noqa: T201
