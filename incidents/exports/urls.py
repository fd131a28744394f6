"""The exports' routes, included by incidents/urls.py under its namespace."""

from django.urls import path

from ..public_cache import cached_page
from . import feeds, incidents, sdg

urlpatterns = [
    path("feed/rss/", cached_page(feeds.LatestIncidentsFeed()), name="feed-rss"),
    path("feed/atom/", cached_page(feeds.LatestIncidentsAtomFeed()), name="feed-atom"),
    path(
        "feed/<slug:slug>/rss/",
        cached_page(feeds.CategoryIncidentsFeed()),
        name="category-feed-rss",
    ),
    path(
        "feed/<slug:slug>/atom/",
        cached_page(feeds.CategoryIncidentsAtomFeed()),
        name="category-feed-atom",
    ),
    path("export.csv", incidents.export_csv, name="export-csv"),
    path("export.json", incidents.export_json, name="export-json"),
    path("export/sdg-16-10-1.csv", sdg.export_csv, name="sdg-csv"),
    path("export/sdg-16-10-1.json", sdg.export_json, name="sdg-json"),
    path("export/sdg-16-10-1.schema.json", sdg.schema_view, name="sdg-schema"),
    path("export/sdg-16-10-1/", cached_page(sdg.SdgAboutView.as_view()), name="sdg"),
]
