#!/usr/bin/env python
"""Django's command-line utility for administrative tasks (see hunter.cli)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hunter.settings")
    from hunter.cli import main as run_command

    run_command(sys.argv)


if __name__ == "__main__":
    main()
