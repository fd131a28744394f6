"""Large evidence files for the upload tests and the bench: made in code, and the tus
protocol spoken through Django's test client."""

import base64
import random

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def video_bytes(size: int, seed: int = 1) -> bytes:
    """An MP4 by its head (what the type check reads), the rest random: `size` bytes."""
    body = random.Random(seed).randbytes(max(size - len(MP4_HEAD), 0))
    return (MP4_HEAD + body)[:size]


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
