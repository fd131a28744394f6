from django.urls import path

from . import tus, views

app_name = "hotline"

urlpatterns = [
    path("callback/", views.CallbackRequestView.as_view(), name="callback"),
    path("callback/thanks/", views.CallbackThanksView.as_view(), name="callback-thanks"),
    path("complaint/", views.ComplaintView.as_view(), name="complaint"),
    path("complaint/thanks/", views.ComplaintThanksView.as_view(), name="complaint-thanks"),
    path("complaint/status/", views.TrackView.as_view(), name="track"),
    # The case inbox of the session that typed the code (never the code in the URL).
    path("complaint/case/", views.CaseView.as_view(), name="case"),
    # Large evidence files, in pieces (the tus protocol): for the session that started them.
    path("complaint/upload/", tus.UploadCreateView.as_view(), name="upload-create"),
    path("complaint/upload/<uuid:pk>/", tus.UploadView.as_view(), name="upload"),
    path("leave/", views.quick_exit, name="quick-exit"),
    # Staff only; everyone else gets 404 (see views.attachment_download).
    path("evidence/<int:pk>/", views.attachment_download, name="attachment-download"),
    # Archived copies of cited pages: staff only, 404 for everyone else.
    path("sources/copies/<int:pk>/", views.source_copy_download, name="source-copy"),
]
