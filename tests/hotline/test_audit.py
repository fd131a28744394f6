"""The access audit: every look at personal data leaves a row that only superusers read."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from hotline.models import AccessEvent, Complaint

from .factories import AttachmentFactory, CallbackRequestFactory, ComplaintFactory


@pytest.fixture
def boss(db):
    return get_user_model().objects.create_superuser("boss", "boss@imi.example", "a long pass 1")


@pytest.fixture
def boss_client(client, boss):
    client.force_login(boss)
    return client


def _attachment(complaint):
    return AttachmentFactory(complaint=complaint)


def _events():
    return list(
        AccessEvent.objects.order_by("pk").values_list(
            "username", "action", "target", "target_id", "attachment_id", "item_ids"
        )
    )


@pytest.mark.django_db
def test_opening_a_complaint_and_its_history_is_recorded(triage_client):
    complaint = ComplaintFactory()
    change = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    history = reverse("admin:hotline_complaint_history", args=[complaint.pk])
    assert triage_client.get(change).status_code == 200
    assert triage_client.get(history).status_code == 200
    assert _events() == [
        ("triage", "view", "complaint", complaint.pk, None, []),
        ("triage", "history", "complaint", complaint.pk, None, []),
    ]
    event = AccessEvent.objects.first()
    assert event.user.username == "triage"
    assert event.created_at is not None


@pytest.mark.django_db
def test_opening_a_callback_request_is_recorded(client, operator):
    callback = CallbackRequestFactory()
    client.force_login(operator)
    url = reverse("admin:hotline_callbackrequest_change", args=[callback.pk])
    assert client.get(url).status_code == 200
    assert _events() == [("operator", "view", "callback", callback.pk, None, [])]


@pytest.mark.django_db
def test_a_refused_or_missing_page_records_nothing(client, operator):
    complaint = ComplaintFactory()
    client.force_login(operator)  # operators have no access to complaints
    url = reverse("admin:hotline_complaint_change", args=[complaint.pk])
    assert client.get(url).status_code == 403
    client.force_login(get_user_model().objects.create_superuser("root", "r@x.org", "p"))
    missing = reverse("admin:hotline_complaint_change", args=[complaint.pk + 100])
    assert client.get(missing).status_code == 302  # the admin redirects for a missing object
    assert _events() == []


@pytest.mark.django_db
def test_evidence_downloads_are_recorded(triage_client):
    complaint = ComplaintFactory()
    attachment = _attachment(complaint)
    response = triage_client.get(reverse("hotline:attachment-download", args=[attachment.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert _events() == [("triage", "download", "complaint", complaint.pk, attachment.pk, [])]


@pytest.mark.django_db
def test_a_refused_download_records_nothing(client, editor):
    attachment = _attachment(ComplaintFactory())
    client.force_login(editor)
    assert (
        client.get(reverse("hotline:attachment-download", args=[attachment.pk])).status_code == 404
    )
    assert _events() == []


@pytest.mark.django_db
def test_exports_are_recorded_with_the_exported_ids(boss_client):
    complaints = ComplaintFactory.create_batch(3)
    chosen = sorted(c.pk for c in complaints[:2])
    response = boss_client.post(
        reverse("admin:hotline_complaint_changelist"),
        {"action": "export_csv", "_selected_action": chosen},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    [event] = AccessEvent.objects.all()
    assert (event.action, event.target, event.target_id) == ("export", "complaint", None)
    assert sorted(event.item_ids) == chosen


# --- Who reads it, and that no one rewrites it -----------------------------------------------


@pytest.mark.django_db
def test_superusers_read_the_audit_filtered_by_user_and_item(boss_client, triage, operator):
    first, second = ComplaintFactory(), ComplaintFactory()
    for user, complaint in [(triage, first), (triage, second), (operator, first)]:
        AccessEvent.objects.create(
            user=user,
            username=user.username,
            action="view",
            target="complaint",
            target_id=complaint.pk,
        )
    changelist = reverse("admin:hotline_accessevent_changelist")
    page = boss_client.get(changelist).content.decode()
    assert page.count('class="field-username"') == 3

    by_user = boss_client.get(changelist, {"user__id__exact": triage.pk}).content.decode()
    assert by_user.count('class="field-username"') == 2
    by_item = boss_client.get(changelist, {"q": first.pk}).content.decode()
    assert by_item.count('class="field-username"') == 2
    # Reading the audit is not itself a look at personal data: it adds nothing.
    assert AccessEvent.objects.count() == 3


@pytest.mark.django_db
def test_staff_cannot_read_the_audit_and_no_one_can_change_or_delete_it(
    boss_client, triage_client, triage
):
    event = AccessEvent.objects.create(
        user=triage, username="triage", action="view", target="complaint", target_id=1
    )
    changelist = reverse("admin:hotline_accessevent_changelist")
    change = reverse("admin:hotline_accessevent_change", args=[event.pk])
    delete = reverse("admin:hotline_accessevent_delete", args=[event.pk])
    assert triage_client.get(changelist).status_code == 403
    assert triage_client.get(change).status_code == 403

    admin_client = boss_client
    page = admin_client.get(change).content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(change, {"username": "someone else"}).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:hotline_accessevent_add")).status_code == 403
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert response.status_code == 403
    assert AccessEvent.objects.filter(pk=event.pk, username="triage").exists()


@pytest.mark.django_db
def test_the_audit_list_makes_the_same_queries_for_5_and_50_rows(
    boss_client, triage, django_assert_num_queries
):
    changelist = reverse("admin:hotline_accessevent_changelist")

    def make(n):
        AccessEvent.objects.bulk_create(
            AccessEvent(
                user=triage, username="triage", action="view", target="complaint", target_id=i
            )
            for i in range(n)
        )

    make(5)
    boss_client.get(changelist)  # warm the session and content types
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        boss_client.get(changelist)
    make(45)
    with django_assert_num_queries(len(few.captured_queries)):
        boss_client.get(changelist)


@pytest.mark.django_db
def test_audit_rows_hold_no_personal_data(triage_client):
    complaint = ComplaintFactory(reporter_name="Olena Secret", phone="+380671112233")
    triage_client.get(reverse("admin:hotline_complaint_change", args=[complaint.pk]))
    row = AccessEvent.objects.values().get()
    flat = repr(row)
    assert "Olena" not in flat
    assert "1112233" not in flat
    assert Complaint.objects.get(pk=complaint.pk).reporter_name == "Olena Secret"
