"""Large evidence files in Chromium (static/js/uploads.js with the vendored tus-js-client):
on a throttled network (Chrome DevTools Protocol, Network.emulateNetworkConditions), offline
halfway and back, paused and resumed, cancelled, resumed after a reload, and the send button
waiting for them. Small files here (a few MB in pieces of 256 KB); the protocol's rules and
the bench take the big ones."""

import hashlib
import re
import threading
import time

import pytest
from django.utils.translation import gettext, override
from playwright.sync_api import expect

from hotline.models import Attachment, Complaint, HeldFile, Upload

from ..hotline.uploads_support import video_bytes
from .test_hotline_forms import fill_complaint_except_contacts, open_form

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.one_database,  # what the browser does; the server's rules run on both
]

PIECE = 256 * 1024


@pytest.fixture(autouse=True)
def _small_pieces(settings):
    settings.EVIDENCE_UPLOAD_CHUNK_BYTES = PIECE


class Network:
    """The page's network as DevTools shapes it (one CDP session: conditions set through
    another would stack with these)."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")

    def throttle(self, upload_bytes_per_second: int):
        self._emulate(False, upload_bytes_per_second)

    def offline(self):
        self._emulate(True, -1)

    def _emulate(self, offline: bool, upload: int):
        self.cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": offline,
                "latency": 0 if offline else 40,
                "downloadThroughput": -1 if offline else 4_000_000,
                "uploadThroughput": upload,
            },
        )


def throttle(page, *, upload_bytes_per_second: int) -> Network:
    network = Network(page)
    network.throttle(upload_bytes_per_second)
    return network


def said(message: str, language: str, **values) -> str:
    with override(language):
        text = gettext(message)
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def progress(item) -> int:
    return int(item.locator("[role=progressbar]").get_attribute("aria-valuenow") or 0)


def wait_for_progress(page, item, at_least: int):
    page.wait_for_function(
        "([el, n]) => parseInt(el.getAttribute('aria-valuenow') || '0', 10) >= n",
        arg=[item.locator("[role=progressbar]").element_handle(), at_least],
        timeout=20_000,
    )


def send_complaint(page):
    page.fill("#id_email", "oksana@example.org")
    page.locator("form.intake-form [type=submit][name=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/thanks/$"))


@pytest.mark.parametrize(("width", "language"), [(390, "uk"), (1280, "en")])
def test_a_large_video_survives_a_slow_network_going_offline_and_is_sent_with_the_complaint(
    live_server, new_page, screenshot_dir, tmp_path, width, language
):
    data = video_bytes(3 * 1024 * 1024, seed=width)
    path = tmp_path / "затримання.mp4"
    path.write_bytes(data)
    page = open_form(live_server, new_page, width, language, "/complaint/")
    fill_complaint_except_contacts(page)
    network = throttle(page, upload_bytes_per_second=600_000)
    page.set_input_files("#large-files", str(path))
    item = page.locator(".large-upload-item").first
    send = page.locator("form.intake-form [type=submit][name=submit]")
    # The send button waits, and says why.
    expect(send).to_be_disabled()
    expect(send).to_have_value(
        said("Wait: files still on their way ({count})", language, count="1")
    )
    wait_for_progress(page, item, 20)
    # Percent, speed and time left, in the page's language ("кБ/с" in Ukrainian).
    expect(item.locator(".large-upload-status")).to_contain_text(
        re.compile(r"\d+\s?% · .+/[sс] · ")
    )
    page.screenshot(
        path=screenshot_dir / f"large-upload-progress-{language}-{width}.png", full_page=True
    )
    page.locator("fieldset:has([data-large-upload])").screenshot(
        path=screenshot_dir / f"large-upload-field-{language}-{width}.png"
    )

    # The network goes away mid-upload (a tunnel, a shelter's basement), then comes back.
    network.offline()
    expect(item.locator(".large-upload-status")).to_contain_text(
        said(
            "The connection dropped. It goes on by itself as soon as the connection is back…",
            language,
        ),
        timeout=20_000,
    )
    stopped_at = Upload.objects.get().offset
    assert 0 < stopped_at < len(data)
    page.screenshot(
        path=screenshot_dir / f"large-upload-offline-{language}-{width}.png", full_page=True
    )
    network.throttle(2_000_000)
    expect(item).to_have_class(re.compile("large-upload-done"), timeout=30_000)
    expect(send).to_be_enabled()
    page.screenshot(
        path=screenshot_dir / f"large-upload-done-{language}-{width}.png", full_page=True
    )
    # Resumed, not started again: one upload, whole.
    assert Upload.objects.count() == 1
    send_complaint(page)
    [attachment] = Complaint.objects.get().attachments.all()
    assert attachment.original_name == "затримання.mp4"
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    # Nothing of it is left in the browser's storage.
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("localStorage.length") == 0


def test_pause_resume_and_cancel(live_server, new_page, tmp_path):
    first, second = video_bytes(2 * 1024 * 1024, seed=1), video_bytes(2 * 1024 * 1024, seed=2)
    (tmp_path / "a.mp4").write_bytes(first)
    (tmp_path / "b.mp4").write_bytes(second)
    page = open_form(live_server, new_page, 390, "uk", "/complaint/")
    network = throttle(page, upload_bytes_per_second=400_000)
    page.set_input_files("#large-files", [str(tmp_path / "a.mp4"), str(tmp_path / "b.mp4")])
    a, b = page.locator(".large-upload-item").nth(0), page.locator(".large-upload-item").nth(1)
    wait_for_progress(page, a, 10)
    a.locator(".large-upload-pause").click()
    expect(a.locator(".large-upload-status")).to_contain_text(
        said("Paused at {percent}.", "uk", percent="").rstrip(".")
    )
    paused_at = progress(a)
    page.wait_for_timeout(1500)
    assert progress(a) == paused_at  # nothing more is sent while paused
    b.locator(".large-upload-cancel").click()
    expect(page.locator(".large-upload-item")).to_have_count(1)
    page.wait_for_function("() => true")
    a.locator(".large-upload-pause").click()  # resume
    network.throttle(4_000_000)
    expect(a).to_have_class(re.compile("large-upload-done"), timeout=30_000)
    # The cancelled one is gone from the server too; the other is held for the form.
    page.wait_for_timeout(300)
    assert [u.name for u in Upload.objects.all()] == ["a.mp4"]
    assert HeldFile.objects.get().sha256 == hashlib.sha256(first).hexdigest()


def test_after_a_reload_the_same_file_goes_on_from_where_it_stopped(
    live_server, new_page, tmp_path, screenshot_dir
):
    data = video_bytes(3 * 1024 * 1024, seed=3)
    path = tmp_path / "video.mp4"
    path.write_bytes(data)
    page = open_form(live_server, new_page, 1280, "en", "/complaint/")
    throttle(page, upload_bytes_per_second=500_000)
    page.set_input_files("#large-files", str(path))
    wait_for_progress(page, page.locator(".large-upload-item").first, 30)
    page.reload()
    hint = page.locator(".large-upload-hint")
    expect(hint).to_contain_text("video.mp4")
    page.screenshot(path=screenshot_dir / "large-upload-resume-hint-en-1280.png", full_page=True)
    resumed_from = Upload.objects.get().offset
    assert resumed_from > 0
    throttle(page, upload_bytes_per_second=4_000_000)
    page.set_input_files("#large-files", str(path))
    expect(page.locator(".large-upload-item").first).to_have_class(
        re.compile("large-upload-done"), timeout=30_000
    )
    assert Upload.objects.count() == 1  # the same upload, not a second one
    assert HeldFile.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_file_over_the_form_limit_goes_by_the_large_file_route_and_the_rest_stays(
    live_server, new_page
):
    from hotline.vault import evidence

    page = open_form(live_server, new_page, 390, "uk", "/complaint/")
    fill_complaint_except_contacts(page)
    video = {
        "name": "video.mp4",
        "mimeType": "video/mp4",
        "buffer": video_bytes(evidence.MAX_FILE_SIZE + 1),
    }
    page.set_input_files("#id_attachments", [video])
    expect(page.locator("#id_attachments_checked")).to_contain_text(
        said(
            "“{name}” is larger than 10 MB: it is sent below as a large file.",
            "uk",
            name="video.mp4",
        )
    )
    expect(page.locator(".large-upload-item").first).to_have_class(
        re.compile("large-upload-done"), timeout=30_000
    )
    send_complaint(page)
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["video.mp4"]


def test_the_quick_exit_forgets_the_uploads_in_the_browser_and_on_the_server(
    live_server, new_page, settings, tmp_path
):
    settings.QUICK_EXIT_URL = f"{live_server.url}/robots.txt"  # same origin: its storage is visible
    path = tmp_path / "video.mp4"
    path.write_bytes(video_bytes(2 * 1024 * 1024, seed=4))
    page = open_form(live_server, new_page, 390, "uk", "/complaint/")
    throttle(page, upload_bytes_per_second=300_000)
    page.set_input_files("#large-files", str(path))
    wait_for_progress(page, page.locator(".large-upload-item").first, 10)
    assert page.evaluate("sessionStorage.length") == 1  # what a reload would resume from
    page.locator("#quick-exit [type=submit]").click()
    page.wait_for_url(re.compile(r"/robots\.txt$"))
    assert page.evaluate("sessionStorage.length") == 0
    # The background post that tells the server: on a loaded machine it may take a while.
    for _ in range(100):
        if not Upload.objects.exists():
            break
        page.wait_for_timeout(100)
    assert not Upload.objects.exists()
    # A piece the throttled upload had already sent may still be written by the live server:
    # the test's end empties every table (on SQLite a locked one fails the flush).
    page.close()
    deadline = time.monotonic() + 5
    while live_server_busy() and time.monotonic() < deadline:
        time.sleep(0.05)


def live_server_busy() -> bool:
    """A request of the live server's is still being answered (its threads besides the
    listening one)."""
    return any("process_request_thread" in thread.name for thread in threading.enumerate())


def test_a_large_file_goes_with_a_reply_in_the_case_inbox(live_server, new_page, tmp_path):
    import uuid

    from hotline.forms import ComplaintForm
    from hotline.services import intake

    from ..hotline.helpers import complaint_post_data

    form = ComplaintForm(data=complaint_post_data())
    assert form.is_valid(), form.errors
    complaint, code = intake.complaint_submit(
        data=form.complaint_fields(), files=[], language="en", submission_key=uuid.uuid4()
    )
    data = video_bytes(1024 * 1024, seed=11)
    path = tmp_path / "bodycam.mp4"
    path.write_bytes(data)
    page = open_form(live_server, new_page, 1280, "en", "/complaint/status/")
    page.fill("#id_code", code)
    page.locator("#main form [type=submit]").click()
    page.wait_for_url(re.compile(r"/complaint/case/$"))
    throttle(page, upload_bytes_per_second=400_000)
    page.set_input_files("#large-files", str(path))
    send = page.locator("form.reply-form [type=submit]").last
    expect(send).to_be_disabled()
    expect(page.locator(".large-upload-item").first).to_have_class(
        re.compile("large-upload-done"), timeout=30_000
    )
    expect(send).to_be_enabled()
    send.click()
    page.wait_for_url(re.compile(r"/complaint/case/"))
    [attachment] = Attachment.objects.filter(complaint=complaint, message__isnull=False)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
