from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Incident


class IncidentSitemap(Sitemap):
    changefreq = "monthly"
    i18n = True
    alternates = True

    def items(self):
        return Incident.objects.published().order_by("pk")

    def lastmod(self, item: Incident):
        return item.updated_at


class PagesSitemap(Sitemap):
    changefreq = "daily"
    i18n = True
    alternates = True

    def items(self):
        return ["home", "incidents:list", "hotline:callback", "hotline:complaint"]

    def location(self, item):
        return reverse(item)
