"""The production front on loopback: nginx, configured from deploy/nginx, in front of gunicorn
with production settings (tests/hotline/live_site.Site). Used by tests/test_proxy.py,
tests/test_page_weight.py, bench/replicas.py and audit/run.py."""

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.hotline.live_site import Site, wait_until_listening
from tests.hotline.worker_support import free_port

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

MAIN = """
worker_processes 1;
user root;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/main-error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    # As the official image's nginx.conf: every address logged, unless the site's server
    # block says otherwise (it must: tests/test_proxy.py reads these files).
    access_log {prefix}/logs/http-access.log combined;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include conf.d/imi.conf;
}}
"""


def nginx_installed() -> bool:
    return os.path.exists(NGINX)


def render(template: Path, values: dict) -> str:
    text = template.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    assert not re.search(r"\$\{[A-Z_]+\}", text), "a template variable was left unfilled"
    return text


class Nginx:
    def __init__(self, prefix: Path, upstream_port: int, static_root: Path):
        self.prefix = prefix
        self.port = free_port()
        (prefix / "conf.d").mkdir(parents=True)
        (prefix / "logs").mkdir()
        values = {
            "WEB_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "NGINX_PORT": f"127.0.0.1:{self.port}",
            "STATIC_ROOT": str(static_root),
            "PUBLIC_SCHEME": "https",  # as behind a TLS balancer
            "NGINX_LOG_DIR": str(prefix / "logs"),
            "NGINX_CACHE_DIR": str(prefix / "cache"),
        }
        deploy = ROOT / "deploy" / "nginx"
        (prefix / "conf.d" / "imi.conf").write_text(render(deploy / "imi.conf.template", values))
        (prefix / "conf.d" / "imi_proxy_params").write_text(
            render(deploy / "imi_proxy_params.template", values)
        )
        (prefix / "nginx.conf").write_text(MAIN.format(prefix=prefix))
        self.process = None

    def start(self):
        command = [NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        self.process = subprocess.Popen([*command, "-g", "daemon off;"])

        wait_until_listening(self.port, timeout=10, message="nginx did not start")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)

    def logs(self) -> str:
        """Everything nginx has logged so far, in every log file."""
        return "".join(
            p.read_text(errors="replace") for p in sorted((self.prefix / "logs").glob("*"))
        )

    def body_temp_files(self) -> list[Path]:
        root = self.prefix / "client_body"
        return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@contextlib.contextmanager
def behind_nginx(tmp: Path, **env):
    """gunicorn (production settings, `env` on top) behind nginx from deploy/nginx, both on
    loopback: (site, nginx). gunicorn trusts the scheme and the address from nginx only."""
    site = Site(tmp, redis_port=free_port(), smtp_port=free_port())
    site.env.update(FORWARDED_ALLOW_IPS="127.0.0.1", TRUSTED_PROXY_NETWORKS="127.0.0.1/32", **env)
    site.env.pop("SECURE_PROXY_SSL_HEADER", None)
    site.prepare()
    site.start()
    nginx = Nginx(tmp / "nginx", site.port, tmp / "static")
    try:
        nginx.start()
        yield site, nginx
    finally:
        nginx.stop()
        site.stop()


class DemoFront:
    """gunicorn (production settings, collected static files, the demo record) behind nginx,
    answering a browser at http://127.0.0.1:<port>/ (a secure context for Chromium, so the
    site's Secure cookies are kept; nginx tells gunicorn the scheme is https)."""

    def __init__(self, tmp: Path):
        tmp.mkdir(parents=True, exist_ok=True)
        self.site = Site(tmp, redis_port=free_port(), smtp_port=free_port())
        self.site.env.update(
            ALLOWED_HOSTS="127.0.0.1",
            FORWARDED_ALLOW_IPS="127.0.0.1",
            TRUSTED_PROXY_NETWORKS="127.0.0.1/32",
            # A visitor's own forms, a few times over: well inside the limits anyway.
            RATE_LIMIT_CALLBACK="1000/h",
            RATE_LIMIT_COMPLAINT="1000/h",
            RATE_LIMIT_TRACK="1000/h",
        )
        self.site.env.pop("SECURE_PROXY_SSL_HEADER", None)
        self.nginx = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.port}"

    def __enter__(self):
        self.site.prepare()
        self.site.manage("load_demo", "--no-admin", "-v0")
        self.site.start()
        self.nginx = Nginx(self.site.tmp / "nginx", self.site.port, self.site.tmp / "static")
        try:
            self.nginx.start()
        except BaseException:
            self.site.stop()
            raise
        return self

    def __exit__(self, *exc):
        if self.nginx:
            self.nginx.stop()
        self.site.stop()
