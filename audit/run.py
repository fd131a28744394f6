"""Lighthouse (mobile) and the Nu HTML Checker on the site's pages, served as in production:
gunicorn with production settings and collected static files, nginx from deploy/nginx in
front, the demo record.

    make audit                      (python audit/run.py; --lang uk for Ukrainian only)

Needs nginx, Debian's Chromium (CHROME_PATH, /usr/bin/chromium by default) and Lighthouse from
audit/package-lock.json (`make audit` runs `npm ci` here first). The thank-you pages and the
case inbox are reached as a reporter would: a script sends the forms first, and Lighthouse is
given that visitor's session cookie. Prints the four category scores per page, and for each
score under 95 what cost it. Not a gate: exits 0 whatever the scores (1 only if the run
itself cannot start). The full reports go to test-artifacts/lighthouse/.

The Nu HTML Checker (vnu-jar, the W3C validator's engine, run with the machine's Java) reads
the same pages as the same visitors and prints the errors it finds on each (none expected).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.helpers import AKHMET_EN_PATH, AKHMET_UK_PATH  # noqa: E402
from tests.hotline.live_site import complaint_data  # noqa: E402
from tests.production_front import DemoFront  # noqa: E402

LIGHTHOUSE = ROOT / "audit" / "node_modules" / "lighthouse" / "cli" / "index.js"
VNU = ROOT / "audit" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
JAVA = shutil.which("java")
REPORTS = ROOT / "test-artifacts" / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
GOAL = 95
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu"


class Visitor:
    """Keeps its cookies, as a browser would (the site's cookies are Secure: nginx says https)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            # nginx passes Host without the port; Django checks the origin against it.
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": "https://127.0.0.1",
                    "Referer": f"https://127.0.0.1{path}",
                }
            )
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        return response.status, dict(response.getheaders()), text

    def send_form(self, path, data) -> str:
        status, _headers, page = self.request("GET", path)
        assert status == 200, (path, status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
        status, headers, page = self.request("POST", path, {**data, "csrfmiddlewaretoken": token})
        assert status == 302, (path, status, page[-1000:])
        return headers["Location"]

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


def reporter_sessions(front, prefix: str) -> dict[str, str]:
    """Cookies of visitors who just sent each form, and of one who opened their case."""
    site = front.site
    region = site.rows("select id from incidents_region where slug='kyiv'")[0][0]
    category = site.rows("select id from incidents_category where slug='beating'")[0][0]

    caller = Visitor(front.nginx.port)
    caller.send_form(
        f"{prefix}/callback/",
        {
            "phone": "(050) 447-70-63",
            "preferred_time": "any",
            "topic": "journalists_rights",
            "consent": "on",
            "submission_key": str(uuid.uuid4()),
        },
    )

    reporter = Visitor(front.nginx.port)
    reporter.send_form(
        f"{prefix}/complaint/",
        complaint_data(
            region=region,
            category=category,
            description="Police officers pushed me away from the court and broke my camera.",
        ),
    )
    _status, _headers, thanks = reporter.request("GET", f"{prefix}/complaint/thanks/")
    code = re.search(r"\b([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})\b", thanks)[1]

    # Another visit, so the thank-you page's session keeps its code on show.
    returning = Visitor(front.nginx.port)
    returning.send_form(f"{prefix}/complaint/status/", {"code": code})
    return {
        "callback-thanks": caller.cookie_header(),
        "complaint-thanks": reporter.cookie_header(),
        "case": returning.cookie_header(),
    }


def pages(prefix: str, akhmet: str) -> list[tuple[str, str]]:
    return [
        ("home", f"{prefix}/"),
        ("list", f"{prefix}/incidents/"),
        ("article", f"{prefix}{akhmet}"),
        ("stats", f"{prefix}/stats/"),
        ("callback", f"{prefix}/callback/"),
        ("complaint", f"{prefix}/complaint/"),
        ("status", f"{prefix}/complaint/status/"),
        ("callback-thanks", f"{prefix}/callback/thanks/"),
        ("complaint-thanks", f"{prefix}/complaint/thanks/"),
        ("case", f"{prefix}/complaint/case/"),
    ]


def lighthouse(url: str, output: Path, cookie: str | None) -> dict:
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={output}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--form-factor=mobile",
    ]
    if cookie:
        command.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env, timeout=300, cwd=ROOT / "audit")  # noqa: S603 -- our own command
    return json.loads(output.read_text())


def html_errors(front, path: str, cookie: str | None) -> list[str]:
    """The Nu HTML Checker's errors on the page as this visitor receives it."""
    visitor = Visitor(front.nginx.port)
    if cookie:
        visitor.cookies = dict(part.split("=", 1) for part in cookie.split("; "))
    status, headers, page = visitor.request("GET", path)
    if status in (301, 302) and headers.get("Location", "").startswith("/"):
        # The barometer opens on the current year, named in its address.
        status, headers, page = visitor.request("GET", headers["Location"])
    if status != 200:
        return [f"answered {status}"]
    checked = subprocess.run(  # noqa: S603 -- our own command
        [JAVA, "-jar", str(VNU), "--errors-only", "--format", "json", "-"],
        input=page,
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(checked.stderr or '{"messages": []}')["messages"]
    return [f"line {m.get('lastLine', '?')}: {m['message']}" for m in messages]


def shortfalls(report: dict, category: str) -> list[str]:
    """What cost a category its points: the failed audits that carry weight."""
    audits = report["audits"]
    lines = []
    for ref in report["categories"][category]["auditRefs"]:
        audit = audits[ref["id"]]
        if ref["weight"] and audit["score"] is not None and audit["score"] < 0.9:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            lines.append(f"{ref['id']}: {audit['title']}{value}")
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", choices=["uk", "en", "both"], default="both")
    parser.add_argument(
        "--runs", type=int, default=1, help="runs per page; the median one is shown (try 3)"
    )
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        sys.exit("Lighthouse is not installed: cd audit && npm ci (make audit does it)")
    REPORTS.mkdir(parents=True, exist_ok=True)
    languages = ["uk", "en"] if args.lang == "both" else [args.lang]
    rows, notes, version, invalid = [], [], "?", []
    with tempfile.TemporaryDirectory(prefix="imi-audit-") as tmp, DemoFront(Path(tmp)) as front:
        for language in languages:
            prefix = "" if language == "uk" else "/en"
            cookies = reporter_sessions(front, prefix)
            akhmet = AKHMET_UK_PATH if language == "uk" else AKHMET_EN_PATH
            for name, path in pages(prefix, akhmet):
                if VNU.exists() and JAVA:
                    invalid += [
                        f"{language} {name}: {error}"
                        for error in html_errors(front, path, cookies.get(name))
                    ]
                output = REPORTS / f"{language}-{name}.json"
                reports = []
                for _attempt in range(args.runs * 2):  # a failed run (NO_NAVSTART) is retried
                    if len(reports) == args.runs:
                        break
                    try:
                        report = lighthouse(front.url + path, output, cookies.get(name))
                    except (subprocess.SubprocessError, ValueError):
                        continue
                    if not report.get("runtimeError"):
                        reports.append(report)
                if not reports:
                    notes.append(f"{language} {name}: Lighthouse failed {args.runs * 2} times")
                    continue
                version = report["lighthouseVersion"]
                # The median run by performance (the only category that varies run to run).
                reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
                report = reports[len(reports) // 2]
                output.write_text(json.dumps(report))
                scores = {
                    c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES
                }
                rows.append((language, name, path, scores))
                print(f"{language} {name:17} " + " ".join(f"{scores[c]:4}" for c in CATEGORIES))
                for category in CATEGORIES:
                    if scores[category] < GOAL:
                        notes += [
                            f"{language} {name} {category}: {line}"
                            for line in shortfalls(report, category)
                        ]
    print(
        f"\nLighthouse {version}, mobile (simulated slow 4G, 4x slower CPU),"
        f" median of {args.runs} run(s) per page"
    )
    print(f"{'page':24} {'path':44} perf a11y best  seo")
    for language, name, path, scores in rows:
        flags = " ".join(f"{scores[c]:4}" for c in CATEGORIES)
        print(f"{language + ' ' + name:24} {path[:44]:44} {flags}")
    if notes:
        print(f"\nUnder {GOAL}:")
        print("\n".join(f"  {note}" for note in notes))
    if VNU.exists() and JAVA:
        print(f"\nNu HTML Checker: {len(invalid)} error(s) on {len(rows)} page(s)")
        print("\n".join(f"  {line}" for line in invalid))
    print(f"\nFull reports: {REPORTS.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
