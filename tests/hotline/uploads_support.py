"""Large evidence files for the upload tests and the bench: made in code, and the tus
protocol spoken through Django's test client."""

import base64
import io
import random
import re

from tusclient import client as tus_client

from .live_site import HOST, Browser

# The piece size the live tests and the bench give the server (EVIDENCE_UPLOAD_CHUNK_BYTES).
CHUNK = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def video_bytes(size: int, seed: int = 1) -> bytes:
    """An MP4 by its head (what the type check reads), the rest random: `size` bytes."""
    rng, left, parts = random.Random(seed), max(size - len(MP4_HEAD), 0), [MP4_HEAD]
    while left > 0:  # in blocks: randbytes cannot make 300 MB at once (a C int of bits)
        parts.append(rng.randbytes(min(left, 64 * CHUNK)))
        left -= len(parts[-1])
    return b"".join(parts)[:size]


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class Tus:
    """The protocol's requests, as a browser session (a Django test Client) sends them."""

    def __init__(self, client, prefix: str = ""):
        self.client = client
        self.prefix = prefix

    def create(self, length: int | None, name: str = "video.mp4", **headers):
        extra = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_METADATA": metadata(filename=name)}
        if length is not None:
            extra["HTTP_UPLOAD_LENGTH"] = str(length)
        extra.update(headers)
        return self.client.post(f"{self.prefix}/complaint/upload/", **extra)

    def start(self, length: int, name: str = "video.mp4") -> str:
        response = self.create(length, name)
        assert response.status_code == 201, response.content
        return response["Location"]

    def patch(self, url: str, offset: int, data: bytes, **headers):
        extra = {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_OFFSET": str(offset), **headers}
        return self.client.generic(
            "PATCH", url, data, content_type="application/offset+octet-stream", **extra
        )

    def head(self, url: str):
        return self.client.head(url, HTTP_TUS_RESUMABLE="1.0.0")

    def delete(self, url: str):
        return self.client.delete(url, HTTP_TUS_RESUMABLE="1.0.0")

    def send(self, url: str, data: bytes, cuts: list[int]) -> None:
        """`data` in pieces ending at each of `cuts` (then the rest), from where the server
        says it stands (as a client resuming asks first)."""
        start = int(self.head(url)["Upload-Offset"])
        for end in [*cuts, len(data)]:
            if end <= start:
                continue
            response = self.patch(url, start, data[start:end])
            assert response.status_code == 204, response.content
            assert int(response["Upload-Offset"]) == end
            start = end


class Session(Browser):
    """A browser session (live_site.Browser: its cookies) with the CSRF token of the
    complaint form, speaking tus."""

    def __init__(self, port: int):
        super().__init__(port, timeout=60)
        status, _headers, page = self.request("GET", "/complaint/")
        assert status == 200
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]

    @property
    def headers(self) -> dict:
        return {
            "Host": HOST,
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-CSRFToken": getattr(self, "token", ""),
            "Origin": f"https://{HOST}",
            "Tus-Resumable": "1.0.0",
        }

    def request(self, method, path, headers=None, body=None):
        status, answer, text, _elapsed = super().request(
            method, path, headers={**self.headers, **(headers or {})}, body=body
        )
        return status, answer, text

    def create(self, length: int, name: str = "video.mp4") -> str:
        status, headers, text = self.request(
            "POST",
            "/complaint/upload/",
            {"Upload-Length": str(length), "Upload-Metadata": metadata(filename=name)},
        )
        assert status == 201, text
        return headers["Location"]

    def uploader(self, data, location: str, port: int | None = None, chunk_size: int = CHUNK):
        """tuspy, resuming the upload at `location` from what the server says it has;
        `data` is bytes or an open binary file."""
        base = f"http://127.0.0.1:{port or self.port}"
        headers = {k: v for k, v in self.headers.items() if k != "Tus-Resumable"}
        client = tus_client.TusClient(f"{base}/complaint/upload/", headers=headers)
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        return client.uploader(
            file_stream=stream, chunk_size=chunk_size, url=base + location, retries=0
        )
