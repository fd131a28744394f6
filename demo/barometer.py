"""The demo's published month: its barometer frozen and its article (drafted from the
figures by the same service an editor's "publish" calls) published in both languages, so
the month's page shows what issue 32 makes."""

import datetime

from django.utils import timezone

from incidents import services
from incidents.models import MonthlyReport

# Fixed, as the generated stories' dates are (stories.LAST_GENERATED_MONTH): the demo
# month with the most incidents (four, in wartime), whatever day the demo is loaded on.
MONTH = datetime.date(2023, 5, 1)


def load(*, staff=None) -> MonthlyReport | None:
    """Publish the demo month once; a second run changes nothing."""
    if timezone.localdate() < MONTH or MonthlyReport.objects.filter(month=MONTH).exists():
        return None
    report = services.monthly_report_publish(month=MONTH, user=staff)
    for article in report.articles.order_by("language"):
        services.monthly_article_publish(article=article, user=staff)
    return report
