"""The complaint page as production serves it: DEBUG off, in a fresh process, over HTTPS
(as the proxy in front reports it), with the static files collected as the image does."""

import json
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.hotline.live_site import prepared
from tests.test_settings import ROOT, production_env

# Production settings on a database file of their own: the same on either CI run.
pytestmark = [pytest.mark.one_database, pytest.mark.xdist_group("production-headers")]

PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(HTTP_HOST="portal.example.org", HTTP_X_FORWARDED_PROTO="https")
out = {}
for path in ["/complaint/", "/callback/", "/complaint/status/", "/complaint/thanks/", "/"]:
    r = client.get(path)
    out[path] = {
        "status": r.status_code,
        "headers": dict(r.headers),
        "cookies": {
            name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]),
                   "samesite": c["samesite"]}
            for name, c in r.cookies.items()
        },
    }
plain = Client(HTTP_HOST="portal.example.org").get("/complaint/")
out["http"] = {"status": plain.status_code, "location": plain.headers.get("Location")}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    env = production_env(
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_PROXY_SSL_HEADER="1",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        REDIS_URL=None,
    )
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 180}
    shutil.copytree(prepared(env) / "static", tmp / "static")
    result = subprocess.run([sys.executable, "-c", PROBE], **run)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(production):
    assert production["http"]["status"] == 301
    assert production["http"]["location"] == "https://portal.example.org/complaint/"


@pytest.mark.parametrize("path", ["/complaint/", "/callback/", "/complaint/status/", "/"])
def test_security_headers(production, path):
    page = production[path]
    assert page["status"] == 200
    headers = page["headers"]
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    for feature in ["camera", "microphone", "geolocation", "browsing-topics"]:
        assert f"{feature}=()" in headers["Permissions-Policy"]


@pytest.mark.parametrize(
    "path", ["/complaint/", "/callback/", "/complaint/status/", "/complaint/thanks/"]
)
def test_forms_thanks_and_tracking_pages_are_never_stored(production, path):
    assert "no-store" in production[path]["headers"]["Cache-Control"]


def test_cookies_are_secure_and_out_of_scripts_reach(production):
    cookies = production["/complaint/"]["cookies"]
    assert "csrftoken" in cookies
    for name, cookie in cookies.items():
        assert cookie["secure"], name
        assert cookie["httponly"], name
        assert cookie["samesite"] == "Lax", name
