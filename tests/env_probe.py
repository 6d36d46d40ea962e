"""Prints, for each argument, the environment variable of that name ("-" when missing), for
``module:NAME`` whether that module was imported before this one ran ("yes"/"no"), or for
``settings`` whether the product's settings had been read ("read"/"unread"):
tests/test_suite_rules.py runs it through tests/preloaded.py."""

import os
import sys


def _answer(arg: str) -> str:
    if arg.startswith("module:"):
        return "yes" if arg[7:] in sys.modules else "no"
    if arg == "settings":
        settings = sys.modules.get("matcher.settings")
        read = settings is not None and settings.get_settings.cache_info().currsize > 0
        return "read" if read else "unread"
    return os.environ.get(arg, "-")


print(" ".join(_answer(arg) for arg in sys.argv[1:]))  # noqa: T201
