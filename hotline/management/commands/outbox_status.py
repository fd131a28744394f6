"""Monitoring: report the notification outbox; exit 1 when delivery is stuck."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hotline.services import outbox


class Command(BaseCommand):
    help = "Report pending and failed notifications; exit non-zero when delivery is stuck."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--stuck-after",
            type=int,
            default=settings.NOTIFY_STUCK_AFTER_SECONDS,
            help="seconds a pending notification may wait before delivery counts as stuck",
        )

    def handle(self, *args, **options):
        report = outbox.summary()
        stuck = report["failed"] > 0 or report["oldest_pending_seconds"] > options["stuck_after"]
        report["stuck"] = stuck
        if options["json"]:
            self.stdout.write(json.dumps(report))
        else:
            self.stdout.write(
                f"pending: {report['pending']}  failed: {report['failed']}  "
                f"oldest pending: {report['oldest_pending_seconds']} s"
            )
        if stuck:
            raise CommandError("notification delivery is stuck", returncode=1)
