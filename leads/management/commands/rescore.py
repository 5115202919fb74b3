"""`manage.py rescore [--dry-run]`: re-score stored leads with the current rules.json, no DNS.

Run it after deploying a rules.json change (once the new version is the one this process
loads). Only rules.json is re-applied: the mail provider stays the one the last scan decided,
so after a providers.json change run ``manage.py rescan --all`` instead.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from leads.services.rescore import lead_scores_rescore
from scanning.engine.rules import load_rules


class Command(BaseCommand):
    help = (
        "Re-score every scored lead whose score was made by other rules, from its stored "
        "signals (no DNS), writing score history but no alerts. Re-applies rules.json only: "
        "after a providers.json change the provider must be re-decided from DNS, so run "
        "'manage.py rescan --all' instead."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="leads per transaction (default 1000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        rules = load_rules()
        report = lead_scores_rescore(
            rules=rules, batch_size=options["batch_size"], dry_run=options["dry_run"]
        )
        prefix = "dry run, nothing written: " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}rules {rules.hash}: examined {report.examined}, "
            f"rescored {report.rescored}, changed {report.changed}"
        )
