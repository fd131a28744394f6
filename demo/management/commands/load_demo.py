"""Load demo data: one real article (in English and Ukrainian), clearly fictional incidents
and the duty desk's queue (see the `demo` package).

Idempotent: every incident is keyed by its slug and written only where it differs, and each
desk item is found again by its submission key, so a second run changes nothing (not even
`updated_at`).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo import akhmet, barometer, desk, record, stories
from incidents.models import Category, Region

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "imi-demo-admin"  # noqa: S105 - a documented local demo login
DEMO_SITE_URL = "http://127.0.0.1:8000"  # make run passes --site with its HOST and PORT


class Command(BaseCommand):
    help = (
        "Load demo data: the 2019 article about Zhanara Akhmet (English and Ukrainian) and "
        "clearly fictional incidents. Safe to run again: it changes nothing the second time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-admin", action="store_true", help="Do not create the local demo admin account."
        )
        parser.add_argument(
            "--site",
            default=DEMO_SITE_URL,
            help="The address the site is served on, for the printed admin login.",
        )

    def handle(self, *args, **options):
        login = self.load(options)
        # Last, after the demo's mail (printed when the transaction commits, 1,500 lines
        # under `make run`): the one line someone starting the site needs.
        if login:
            self.stdout.write(login)

    @transaction.atomic
    def load(self, options) -> str | None:
        regions = {r.slug: r for r in Region.objects.all()}
        leaves = {c.slug: c for c in Category.objects.leaves()}
        (article_regions, article_categories), (story_regions, story_categories) = (
            akhmet.needs(),
            stories.needs(),
        )
        missing = sorted((article_regions | story_regions) - set(regions)) + sorted(
            (article_categories | story_categories) - set(leaves)
        )
        if missing:
            raise CommandError(
                f"Missing seeded regions or categories ({', '.join(missing)}): run migrate first."
            )
        wartime = {slug: leaves[slug].is_wartime for slug in stories.TEMPLATES}

        specs = akhmet.akhmet_specs(regions) + stories.fictional_specs(regions, wartime)
        counts = record.save(specs, leaves)
        record.people(specs)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo incidents: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged ({len(specs)} in all)."
            )
        )
        staff = login = None
        if not options["no_admin"]:
            staff, login = self.demo_admin(options["site"])
        desk.load(stdout=self.stdout, staff=staff)
        if barometer.load(staff=staff) is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo barometer: {barometer.MONTH:%Y-%m} published, with its article."
                )
            )
        return login

    def demo_admin(self, site: str = DEMO_SITE_URL):
        if not settings.DEBUG:
            return (
                None,
                "Demo admin skipped: the demo admin is only created in DEBUG mode (DEBUG=1).",
            )
        User = get_user_model()
        admin = User.objects.filter(username=DEMO_ADMIN_USERNAME).first()
        if admin is None:
            admin = User.objects.create_superuser(
                username=DEMO_ADMIN_USERNAME, email="", password=DEMO_ADMIN_PASSWORD
            )
        return admin, (
            f"Demo admin: {site.rstrip('/')}/admin/  login {DEMO_ADMIN_USERNAME} / "
            f"{DEMO_ADMIN_PASSWORD}"
        )
