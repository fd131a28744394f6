from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """The admin, with the staff login of imi_portal.admin (second factor required)."""

    default_site = "imi_portal.admin.StaffAdminSite"
