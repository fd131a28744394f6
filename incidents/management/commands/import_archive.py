"""manage.py import_archive FILE-OR-URL: a newsroom's archive as draft incidents.

    manage.py import_archive export.xml
    manage.py import_archive archive.csv --map title=Headline --map date=Published --dry-run
    manage.py import_archive https://example.org/feed/ --region lviv

The same file again continues its unfinished run, or (finished) creates nothing new.
The report lists every item that was not simply created, with its position."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from incidents.archive import runs
from incidents.archive.fetch import FetchError
from incidents.models import ImportItem, ImportRun, Region


class Command(BaseCommand):
    help = "Import a newsroom's archive (WordPress export, RSS/Atom feed, CSV) as draft incidents."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A file, or an http(s) address of a feed.")
        parser.add_argument(
            "--format", choices=[f.value for f in ImportRun.Format], help="Default: by the name."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="CSV: which column holds a field (title, date, body, url, terms, region, "
            "language, key).",
        )
        parser.add_argument("--language", choices=["uk", "en"], default="")
        parser.add_argument(
            "--region", default="kyiv", help="Region slug for items where none is found."
        )
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, source, format, map, language, region, dry_run, no_progress, **opts):
        mapping = {}
        for pair in map:
            field, sep, column = pair.partition("=")
            if not sep or field not in (
                "key",
                "title",
                "date",
                "body",
                "url",
                "terms",
                "region",
                "language",
            ):
                raise CommandError(f"Not a mapping: {pair} (field=column).")
            mapping[field] = column
        default_region = Region.objects.filter(slug=region).first()
        if default_region is None or default_region.kind == Region.Kind.ABROAD:
            raise CommandError(f"No such region (or abroad): {region}.")
        is_url = source.startswith(("http://", "https://"))
        if is_url:
            format = format or ImportRun.Format.FEED
            try:
                file, sha = runs.import_url_store(source)
            except FetchError as error:
                raise CommandError(str(error)) from None
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"No such file: {source}")
            format = format or (ImportRun.Format.CSV if path.suffix.lower() == ".csv" else None)
            if format is None:
                format = ImportRun.Format.WXR if _is_wxr(path) else ImportRun.Format.FEED
            with path.open("rb") as data:
                file, sha = runs.import_file_store(
                    iter(lambda: data.read(1 << 20), b""), suffix=path.suffix.lower()
                )
        run, resumed = runs.import_run_start(
            format=format,
            source_name=source,
            file=file,
            sha256=sha,
            default_region=default_region,
            language=language,
            csv_mapping=mapping,
            dry_run=dry_run,
        )
        if resumed:
            self.stdout.write(
                _("Continuing import #%(run)s after item %(position)s.")
                % {"run": run.pk, "position": run.position}
            )
        bar = tqdm(total=100, unit="%", disable=no_progress, bar_format="{l_bar}{bar}| {postfix}")
        shown = [0]

        def progress(current):
            done = int(100 * (current.fraction_done or 0))
            bar.update(done - shown[0])
            shown[0] = done
            rate = current.rate or 0
            left = current.seconds_left
            bar.set_postfix_str(
                f"{current.position} items, {rate:.0f}/s" + (f", {left:.0f} s left" if left else "")
            )

        run = runs.import_run_execute(run_id=run.pk, progress=None if no_progress else progress)
        bar.close()
        self._report(run)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.message)

    def _report(self, run):
        write = self.stdout.write
        items = run.items.all()
        counts = {s: items.filter(status=s).count() for s in ImportItem.Status.values}
        verb = _("would be created") if run.dry_run else _("created")
        write(
            _(
                "Import #%(run)s: %(created)s %(verb)s, %(duplicate)s duplicates to resolve, %(skipped)s skipped, %(error)s errors."
            )
            % {"run": run.pk, "verb": verb, **counts}
        )
        if run.message:
            write(run.message)
        for item in items.exclude(status=ImportItem.Status.CREATED).iterator():
            write(
                f"  {item.position}: {item.get_status_display()}: {item.title[:60]!r}: {item.message}"
            )


def _is_wxr(path: Path) -> bool:
    with path.open("rb") as data:
        return b"wordpress.org/export" in data.read(64 * 1024)
