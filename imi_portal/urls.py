from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView, TemplateView
from two_factor.urls import urlpatterns as two_factor_urls
from two_factor.views import ProfileView

from hotline.views import PrivacyView
from imi_portal.health import health
from incidents.barometer.views import (
    EmbedView,
    MonthlyReportView,
    StatsTableCSVView,
    StatsView,
    frameable,
)
from incidents.public_cache import cached_page
from incidents.sitemaps import IncidentSitemap, PagesSitemap
from incidents.views import HomeView

lazy_static = lazy(static, str)

sitemaps = {"pages": PagesSitemap, "incidents": IncidentSitemap}

# The staff login, enrolment and backup codes of django-two-factor-auth. Its "disable" view is
# left out on purpose: no one turns their own second factor off.
two_factor_core, two_factor_namespace = two_factor_urls
two_factor_core = [
    p for p in two_factor_core if getattr(p, "name", None) not in {"disable", "profile"}
] + [path("account/two_factor/", ProfileView.as_view(), name="profile")]

urlpatterns = [
    path("", include((two_factor_core, two_factor_namespace))),
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    # The public API: one address for every language (?lang= picks the incidents' language).
    path("api/", include("incidents.api_urls")),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin).
    # Lazy: in production the hashed name comes from the manifest, read at the first request.
    path("favicon.ico", RedirectView.as_view(url=lazy_static("img/favicon.svg"), permanent=True)),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
]

# Ukrainian at the root, English under /en/.
urlpatterns += i18n_patterns(
    path("", cached_page(HomeView.as_view()), name="home"),
    path("incidents/", include("incidents.urls")),
    path("stats/", cached_page(StatsView.as_view()), name="stats"),
    path(
        "stats/table/<slug:name>.csv",
        cached_page(StatsTableCSVView.as_view()),
        name="stats-table",
    ),
    # The charts for other sites: only the page for an <iframe> may be framed.
    path(
        "stats/embed/<slug:chart>/",
        frameable(cached_page(EmbedView.as_view())),
        name="stats-embed",
    ),
    path(
        "stats/embed/<slug:chart>.svg",
        cached_page(EmbedView.as_view(format="svg")),
        name="stats-embed-svg",
    ),
    path(
        "stats/embed/<slug:chart>.png",
        cached_page(EmbedView.as_view(format="png")),
        name="stats-embed-png",
    ),
    path(
        "stats/<int:year>/<int:month>/",
        cached_page(MonthlyReportView.as_view()),
        name="stats-month",
    ),
    path("", include("hotline.urls")),
    path("support/", TemplateView.as_view(template_name="support.html"), name="support"),
    path("privacy/", PrivacyView.as_view(), name="privacy"),
    prefix_default_language=False,
)

# The site's page, in the address's language, with the hotline (imi_portal.error_pages).
handler500 = "imi_portal.error_pages.server_error"
