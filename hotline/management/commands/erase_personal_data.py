"""Retention: erase the personal data of items finished longer ago than their period."""

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone

from hotline import retention

LABELS = {"callback": "callback request", "complaint": "complaint"}


class Command(BaseCommand):
    help = (
        "Erase the personal data of callback requests and complaints finished longer ago "
        "than RETENTION_CALLBACK_DAYS / RETENTION_COMPLAINT_DAYS. The daily Celery job runs "
        "the same code."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="list what is due for erasure and change nothing",
        )

    @no_translations  # English output, whatever the site's language
    def handle(self, *args, dry_run=False, **options):
        report = retention.erase_due(dry_run=dry_run)
        if dry_run:
            self._list(report)
            return
        counts = report.counts()
        self.stdout.write(
            f"Erased the personal data of callback requests: {counts['callbacks']}, "
            f"complaints: {counts['complaints']}."
        )
        if report.failed:
            for item in report.failed:
                self.stderr.write(f"Not erased: {LABELS[item.kind]} #{item.pk} (see the log).")
            raise CommandError(
                f"Items not erased: {counts['failed']}; the next run tries again.",
                returncode=1,
            )

    def _list(self, report):
        if not report.items:
            self.stdout.write("Dry run: nothing is due for erasure.")
            return
        self.stdout.write("Dry run: nothing was changed. Due for erasure:")
        header = ("kind", "id", "finished", "due")
        self.stdout.write(f"  {header[0]:<18} {header[1]:>8}  {header[2]:<10}  {header[3]}")
        for item in report.items:
            self.stdout.write(
                f"  {LABELS[item.kind]!s:<18} {item.pk:>8}  "
                f"{timezone.localdate(item.closed_at).isoformat()}  "
                f"{item.erases_on.isoformat()}"
            )
        counts = report.counts()
        self.stdout.write(
            f"Would be erased: {len(report.items)} (callback requests: {counts['callbacks']}, "
            f"complaints: {counts['complaints']})."
        )
