from django.urls import path

from . import exports, feeds, views

app_name = "incidents"

urlpatterns = [
    path("", views.IncidentListView.as_view(), name="list"),
    path("feed/rss/", feeds.LatestIncidentsFeed(), name="feed-rss"),
    path("feed/atom/", feeds.LatestIncidentsAtomFeed(), name="feed-atom"),
    path("feed/<slug:slug>/rss/", feeds.CategoryIncidentsFeed(), name="category-feed-rss"),
    path("feed/<slug:slug>/atom/", feeds.CategoryIncidentsAtomFeed(), name="category-feed-atom"),
    path("export.csv", exports.export_csv, name="export-csv"),
    path("export.json", exports.export_json, name="export-json"),
    path("<slug:slug>/", views.IncidentDetailView.as_view(), name="detail"),
]
