"""/api/: the read-only public API, its OpenAPI schema and its self-hosted documentation."""

from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import api

app_name = "api"

router = DefaultRouter()
router.register("incidents", api.IncidentViewSet, basename="incident")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("regions", api.RegionViewSet, basename="region")

urlpatterns = [
    path("schema/", api.SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
