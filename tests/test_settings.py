"""Production settings, loaded the way a server loads them: in a fresh process, DEBUG off."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser fixture for the test process only.
LOCAL_ONLY = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DEBUG",
    "SECRET_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(**overrides):
    # Nothing from this test run leaks in: not its database, cache or settings module, nor
    # DJANGO_ALLOW_ASYNC_UNSAFE, which the browser tests set and the checklist rightly refuses.
    env = {
        k: v for k, v in os.environ.items() if k not in LOCAL_ONLY and not k.startswith("DJANGO_")
    }
    env["DJANGO_SETTINGS_MODULE"] = "imi_portal.settings"
    env["DEBUG"] = "0"
    env["ALLOWED_HOSTS"] = "portal.example.org"
    # Production runs with Redis (rate limits and login lockouts shared by all workers);
    # nothing connects to it during a check.
    env["REDIS_URL"] = "redis://redis.invalid:6379/0"
    env["EVIDENCE_KEY"] = secrets.token_urlsafe(32)
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deployment_checklist_passes_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECRET_KEY=secrets.token_urlsafe(50)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", env=production_env())
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_an_evidence_key():
    """Without its own key the vault could not encrypt what reporters send: no start."""
    result = manage(
        "check", env=production_env(SECRET_KEY=secrets.token_urlsafe(50), EVIDENCE_KEY=None)
    )
    assert result.returncode != 0
    assert "EVIDENCE_KEY" in result.stderr


def test_production_refuses_the_public_development_evidence_key():
    result = manage(
        "check",
        "--deploy",
        env=production_env(
            SECRET_KEY=secrets.token_urlsafe(50),
            EVIDENCE_KEY="bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1ldmlkZW5jZS0",
        ),
    )
    assert result.returncode != 0
    assert "hotline.E002" in result.stdout + result.stderr


def test_an_evidence_key_that_cannot_work_is_refused():
    result = manage(
        "check", env=production_env(SECRET_KEY=secrets.token_urlsafe(50), EVIDENCE_KEY="short")
    )
    assert result.returncode != 0
    assert "EVIDENCE_KEY" in result.stdout + result.stderr


def test_production_refuses_a_short_secret_key():
    result = manage("check", env=production_env(SECRET_KEY="too-short"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_checklist_would_catch_an_insecure_setting():
    """The check above means something: switching HTTPS redirects off makes it fail."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECRET_KEY=secrets.token_urlsafe(50), SECURE_SSL_REDIRECT="0"),
    )
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


def test_the_web_server_with_nothing_configured_refuses_to_start():
    """gunicorn loads wsgi.py, not manage.py: with no DEBUG and no secret it must not serve."""
    env = production_env(DEBUG=None)
    result = subprocess.run(
        [sys.executable, "-c", "import imi_portal.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_every_environment_variable_the_settings_read_is_in_the_readme():
    """A deployer learns the settings from the README's table (issue 27 found 15 missing)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = "".join(
        (root / "imi_portal" / name).read_text() for name in ("settings.py", "gunicorn.py")
    )
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    read |= set(re.findall(r'os\.environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    readme = (root / "README.md").read_text()
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert len(read) > 40 and not missing, missing


def test_the_wsgi_application_freezes_what_it_loaded_to_start():
    """imi_portal/wsgi.py moves what start-up loaded out of the collector's sight (gc.freeze):
    the garbage collector no longer walks Django and the apps on every full collection."""
    import subprocess
    import sys

    code = (
        "import gc, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings'); "
        "import imi_portal.wsgi; print(gc.get_freeze_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert int(result.stdout.strip().splitlines()[-1]) > 10_000
