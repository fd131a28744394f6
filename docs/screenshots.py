"""Take the README's screenshots: `.venv/bin/python docs/screenshots.py`.

Serves the demo site (`manage.py runserver` on a free port, a throwaway SQLite database with
`load_demo`), opens the main pages in Debian's Chromium through Playwright and writes
docs/screenshots/*.png. Each shot is the viewport only, at device scale 1, reduced to at most
256 colours (an indexed PNG), which keeps it under 120 KB. Nothing but the standard library
and Playwright; the temporary database and files are removed afterwards.
"""

import array
import base64
import collections
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
AKHMET_UK = "/incidents/kazakhska-zhurnalistka-zaiavyla-pro-provokatsiiu-proty-telekanalu/"
DEMO_ADMIN = ("admin", "imi-demo-admin")  # load_demo's local admin, only with DEBUG on
MAX_BYTES = 120_000

# name, address, viewport, browser locale, and the part of the page to show at the top of
# the viewport (None: the top of the page)
SHOTS = [
    ("home-uk-phone", "/", PHONE, "uk-UA", None),
    ("list-en-desktop", "/en/incidents/", DESKTOP, "en-GB", None),
    ("article-uk-phone", AKHMET_UK, PHONE, "uk-UA", None),
    ("barometer-en-desktop", "/en/stats/", DESKTOP, "en-GB", "#section-map"),
    ("complaint-uk-phone", "/complaint/", PHONE, "uk-UA", None),
    ("duty-desk-uk-desktop", "/admin/", DESKTOP, "uk-UA", None),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(workdir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "PRIVATE_MEDIA_ROOT": str(workdir / "private_media"),
        "STAFF_NOTIFY_EMAILS": "hotline-duty@localhost",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "REDIS_CACHE_URL", "EMAIL_URL"):
        env.pop(name, None)
    python = sys.executable
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL}
    subprocess.run([python, "manage.py", "migrate", "--noinput"], check=True, **quiet)  # noqa: S603
    site = f"http://127.0.0.1:{port}"
    subprocess.run([python, "manage.py", "load_demo", "--site", site], check=True, **quiet)  # noqa: S603
    server = subprocess.Popen(  # noqa: S603 -- our own commands
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        stderr=subprocess.DEVNULL,
        **quiet,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{site}/health/", timeout=2)  # noqa: S310 -- our own server
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the demo site did not start")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def indexed_png(rgba: bytes, width: int, height: int, colours: int = 256) -> bytes:
    """An 8-bit palette PNG of at most `colours` colours: the most common colours of the
    image (after dropping the lowest bits), every pixel mapped to the nearest of them."""
    pixels = array.array("I", rgba)  # one 32-bit RGBA value per pixel
    counts = collections.Counter(pixels)
    buckets: dict[int, list[int]] = {}
    for value, count in counts.items():
        key = value & 0x00F0F0F0  # 4 bits a channel
        total = buckets.setdefault(key, [0, 0, 0, 0])
        total[0] += count
        total[1] += (value & 0xFF) * count
        total[2] += (value >> 8 & 0xFF) * count
        total[3] += (value >> 16 & 0xFF) * count
    chosen = sorted(buckets.values(), reverse=True)[:colours]
    palette = [(r // n, g // n, b // n) for n, r, g, b in chosen]
    lookup = {}
    for value in counts:
        r, g, b = value & 0xFF, value >> 8 & 0xFF, value >> 16 & 0xFF
        lookup[value] = min(
            range(len(palette)),
            key=lambda i: (
                (palette[i][0] - r) ** 2 + (palette[i][1] - g) ** 2 + (palette[i][2] - b) ** 2
            ),
        )
    indices = bytes(map(lookup.__getitem__, pixels))
    rows = b"".join(b"\x00" + indices[row * width : (row + 1) * width] for row in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + _chunk(b"PLTE", b"".join(bytes(colour) for colour in palette))
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


DECODE = """async (data) => {
  const image = new Image();
  image.src = "data:image/png;base64," + data;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const bytes = context.getImageData(0, 0, image.width, image.height).data;
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return [image.width, image.height, btoa(text)];
}"""


def shrink(browser, png: bytes) -> bytes:
    """Decode the screenshot in a blank page (the browser has the PNG decoder), then write
    it again with a palette."""
    page = browser.new_page()
    width, height, data = page.evaluate(DECODE, base64.b64encode(png).decode())
    page.close()
    return indexed_png(base64.b64decode(data), width, height)


def sign_in(page, site: str) -> None:
    page.goto(f"{site}/account/login/?next=/admin/")
    page.fill('input[name="auth-username"]', DEMO_ADMIN[0])
    page.fill('input[name="auth-password"]', DEMO_ADMIN[1])
    page.click('button[type="submit"]')
    page.wait_for_url(f"{site}/admin/")


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="imi-screenshots-"))
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    server = serve(workdir, port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"],
            )
            total = 0
            for name, path, viewport, locale, part in SHOTS:
                context = browser.new_context(
                    viewport=viewport, locale=locale, device_scale_factor=1
                )
                page = context.new_page()
                if path.startswith("/admin/"):
                    sign_in(page, site)
                page.goto(site + path)
                if path == "/en/stats/":  # the whole record, so that every region has a count
                    page.click("text=All time")
                page.wait_for_load_state("networkidle")
                if part:
                    page.locator(part).evaluate(
                        "e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 16)"
                    )
                png = shrink(browser, page.screenshot())
                context.close()
                target = OUT / f"{name}.png"
                target.write_bytes(png)
                total += len(png)
                print(f"{target.relative_to(ROOT)}: {len(png) // 1024} KB")
                if len(png) > MAX_BYTES:
                    raise SystemExit(f"{name} is over {MAX_BYTES // 1000} KB")
            print(f"total: {total // 1024} KB")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
