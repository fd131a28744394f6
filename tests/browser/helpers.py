"""Constants and small helpers shared by the browser tests."""

import struct
import zlib

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

HOTLINE_DISPLAY = "(050) 447-70-63"
HOTLINE_TEL = "tel:+380504477063"

AKHMET_EN_TITLE = "Kazakh journalist claimed about provocation targeting TV channel she ran"
AKHMET_UK_TITLE = "Казахська журналістка заявила про провокацію проти телеканалу, який вона очолює"
AKHMET_EN_PATH = (
    "/incidents/kazakh-journalist-claimed-about-provocation-targeting-tv-channel-she-ran/"
)
AKHMET_UK_PATH = "/incidents/kazakhska-zhurnalistka-zaiavyla-pro-provokatsiiu-proty-telekanalu/"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def tiny_png() -> bytes:
    """A valid 1×1 red PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte + one RGB pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
