"""Evidence files are reachable through one door only: /evidence/<id>/, for staff with the
permission (and, when required, a verified second factor). Everyone else gets 404, every
path trick gets 404, and no static or media URL serves a stored file.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from hotline.vault.evidence import check_upload
from tests.hotline.evidence_files import pdf_bytes
from tests.hotline.factories import AttachmentFactory, ComplaintFactory, UserFactory

pytestmark = pytest.mark.django_db

PREFIXES = ["", "/en"]


@pytest.fixture
def attachment(db):
    checked = check_upload(SimpleUploadedFile("court act.pdf", pdf_bytes()))
    # Stored as the complaint form stores it: encrypted by the vault.
    return AttachmentFactory(
        complaint=ComplaintFactory(),
        original_name=checked.name,
        content_type=checked.content_type,
        data=pdf_bytes(),
    )


def download(client, prefix, pk):
    response = client.get(f"{prefix}/evidence/{pk}/")
    if response.streaming:
        body = b"".join(response.streaming_content)
        response.close()
        return response, body
    return response, response.content


def _staff_with(*, groups=(), perms=(), superuser=False, username):
    user = UserFactory(username=username, is_staff=True, is_superuser=superuser)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    for dotted in perms:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


STAFF_WITHOUT_PERMISSION = {
    "hotline-operator": {"groups": ["Hotline operators"]},
    "editor": {"groups": ["Editors"]},
    # May open and change complaints, and every other hotline permission, but not evidence.
    "all-but-evidence": {
        "perms": [
            "hotline.view_complaint",
            "hotline.change_complaint",
            "hotline.delete_complaint",
            "hotline.export_complaint",
            "hotline.change_attachment",
            "hotline.delete_attachment",
            "hotline.add_attachment",
            "hotline.view_note",
            "hotline.view_casemessage",
        ]
    },
    "staff-no-perms": {},
}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_anonymous_visitor_gets_404(client, attachment, prefix):
    response, body = download(client, prefix, attachment.pk)
    assert response.status_code == 404
    assert pdf_bytes() not in body


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("who", STAFF_WITHOUT_PERMISSION)
def test_staff_without_view_attachment_gets_404(client, attachment, prefix, who):
    user = _staff_with(username=who, **STAFF_WITHOUT_PERMISSION[who])
    assert not user.has_perm("hotline.view_attachment")
    client.force_login(user)
    response, body = download(client, prefix, attachment.pk)
    assert response.status_code in {403, 404}
    assert pdf_bytes() not in body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_permission_without_staff_flag_gets_404(client, attachment, prefix):
    user = UserFactory(username="outsider", is_staff=False)
    user.groups.add(Group.objects.get(name="Triage"))
    client.force_login(user)
    assert download(client, prefix, attachment.pk)[0].status_code == 404


@pytest.mark.parametrize("prefix", PREFIXES)
def test_permitted_staff_downloads_it(client, attachment, triage, prefix):
    """The control: the same request by the Triage group does get the file."""
    client.force_login(triage)
    response, body = download(client, prefix, attachment.pk)
    assert response.status_code == 200
    assert body == pdf_bytes()
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "path",
    [
        "/evidence/..%2F..%2Fetc%2Fpasswd/",
        "/evidence/../../etc/passwd/",
        "/evidence/%2e%2e/",
        "/evidence/%2e%2e%2f%2e%2e%2fetc%2fpasswd/",
        "/evidence/%252e%252e%252fetc%252fpasswd/",
        "/evidence/..%5c..%5cwin.ini/",
        "/evidence/-1/",
        "/evidence/0/",
        "/evidence/99999999999999999999/",
        "/evidence/9223372036854775808/",  # one past the largest BIGINT
        "/evidence/{pk}%00/",
        "/evidence/{pk}%2F..%2F..%2Fsettings.py/",
        "/evidence/{pk}/../../etc/passwd",
        "/evidence/{pk}.0/",
        "/evidence/+{pk}/",
        "/evidence/%EF%BC%91/",  # a full-width digit one
        "/evidence/%D9%A1/",  # an Arabic-Indic digit one
        "/evidence/{pk}/x/",
        "/evidence/",
        "/evidence/{name}/",
    ],
)
def test_path_tricks_are_404_even_for_permitted_staff(client, attachment, triage, prefix, path):
    client.force_login(triage)
    url = prefix + path.format(pk=attachment.pk, name=attachment.file.name)
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 404, url
    assert pdf_bytes() not in body


@pytest.mark.parametrize(
    "template",
    [
        "/media/{name}",
        "/media/evidence/",
        "/static/{name}",
        "/static/../private_media/{name}",
        "/media/../private_media/{name}",
        "/private_media/{name}",
        "/{name}",
        "/en/media/{name}",
        "/static/%2e%2e/private_media/{name}",
    ],
)
@pytest.mark.parametrize("as_staff", [False, True], ids=["anonymous", "triage"])
def test_no_public_url_serves_a_stored_file(client, attachment, triage, template, as_staff):
    if as_staff:
        client.force_login(triage)
    url = template.format(name=attachment.file.name)
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 404, url
    assert pdf_bytes() not in body


# --- The second factor ----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_unverified_session_of_permitted_staff_gets_404(
    client, attachment, triage, settings, prefix
):
    settings.TWO_FACTOR_REQUIRED = True
    TOTPDevice.objects.create(user=triage, name="default", confirmed=True)
    client.force_login(triage)  # the password step only: no code was given
    response, body = download(client, prefix, attachment.pk)
    assert response.status_code == 404
    assert pdf_bytes() not in body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_verified_session_of_permitted_staff_downloads(
    client, attachment, triage, settings, prefix
):
    """The control: the same user, once the session holds a verified device."""
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=triage, name="default", confirmed=True)
    client.force_login(triage)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response, body = download(client, prefix, attachment.pk)
    assert response.status_code == 200
    assert body == pdf_bytes()


def test_unconfirmed_device_does_not_verify(client, attachment, triage, settings):
    settings.TWO_FACTOR_REQUIRED = True
    device = TOTPDevice.objects.create(user=triage, name="default", confirmed=False)
    client.force_login(triage)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert download(client, "", attachment.pk)[0].status_code == 404


def test_another_users_device_does_not_verify(client, attachment, triage, settings):
    settings.TWO_FACTOR_REQUIRED = True
    someone = UserFactory(username="someone", is_staff=True)
    device = TOTPDevice.objects.create(user=someone, name="default", confirmed=True)
    client.force_login(triage)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert download(client, "", attachment.pk)[0].status_code == 404
