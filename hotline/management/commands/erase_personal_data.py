"""Retention: erase the personal data of items finished longer ago than their period."""

from django.core.management.base import BaseCommand, CommandError, no_translations
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hotline import retention
from hotline.models import CallbackRequest, Complaint

LABELS = {"callback": CallbackRequest._meta.verbose_name, "complaint": Complaint._meta.verbose_name}


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
            _(
                "Erased the personal data of %(callbacks)d callback request(s) and "
                "%(complaints)d complaint(s)."
            )
            % counts
        )
        if report.failed:
            for item in report.failed:
                self.stderr.write(
                    _("Not erased: %(kind)s #%(id)s (see the log).")
                    % {"kind": LABELS[item.kind], "id": item.pk}
                )
            raise CommandError(
                ngettext(
                    "%d item could not be erased; the next run tries again.",
                    "%d items could not be erased; the next run tries again.",
                    counts["failed"],
                )
                % counts["failed"],
                returncode=1,
            )

    def _list(self, report):
        if not report.items:
            self.stdout.write(_("Dry run: nothing is due for erasure."))
            return
        self.stdout.write(_("Dry run: nothing was changed. Due for erasure:"))
        header = (_("kind"), _("id"), _("finished"), _("due"))
        self.stdout.write(f"  {header[0]:<18} {header[1]:>8}  {header[2]:<10}  {header[3]}")
        for item in report.items:
            self.stdout.write(
                f"  {LABELS[item.kind]!s:<18} {item.pk:>8}  "
                f"{timezone.localdate(item.closed_at).isoformat()}  "
                f"{item.erases_on.isoformat()}"
            )
        counts = report.counts()
        self.stdout.write(
            _(
                "Total: %(total)d item(s) would be erased (%(callbacks)d callback request(s), "
                "%(complaints)d complaint(s))."
            )
            % {"total": len(report.items), **counts}
        )
