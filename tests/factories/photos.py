"""Photo bytes as phones make them (EXIF with a thumbnail, ICC profile, padding, multi-picture
JPEGs, Ultra HDR gain maps, Samsung's trailer) and as attackers make them (polyglots)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from io import BytesIO

from PIL import Image, ImageCms

GREEN = (20, 180, 40)
RED = (200, 20, 30)


def _save(fmt: str, size: tuple[int, int] = (64, 48), colour=GREEN, **options) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt, **options)
    return out.getvalue()


def plain_jpeg(**options) -> bytes:
    return _save("JPEG", **options)


def png_bytes(**options) -> bytes:
    return _save("PNG", **options)


def webp_bytes(**options) -> bytes:
    return _save("WEBP", **options)


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """The JPEG with one more segment right after its SOI."""
    return jpeg[:2] + _segment(marker, payload) + jpeg[2:]


def _exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """An EXIF APP1 payload whose IFD1 holds a JPEG thumbnail (its own SOI ... EOI inside)."""
    ifd0 = struct.pack("<H", 0) + struct.pack("<I", 14)
    ifd1_entries = 2
    thumb_at = 14 + 2 + 12 * ifd1_entries + 4
    ifd1 = (
        struct.pack("<H", ifd1_entries)
        + struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
        + struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail))
        + struct.pack("<I", 0)
    )
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd0 + ifd1 + thumbnail


def phone_jpeg(*, size: tuple[int, int] = (320, 240), padding: bytes = b"") -> bytes:
    """A JPEG as a phone writes it: EXIF with an embedded thumbnail, an ICC profile, a
    progressive scan, and optional padding after the EOI."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    body = _save("JPEG", size=size, icc_profile=srgb, progressive=True, quality=90)
    thumbnail = _save("JPEG", size=(32, 24))
    return with_segment(body, 0xE1, _exif_with_thumbnail(thumbnail)) + padding


def mpo_bytes() -> bytes:
    """A multi-picture JPEG (a stereo pair): the green primary, then a red second picture."""
    out = BytesIO()
    first = Image.new("RGB", (64, 48), GREEN)
    first.save(out, format="MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), RED)])
    return out.getvalue()


def ultra_hdr_bytes() -> bytes:
    """Shaped like an Ultra HDR photo: the gain-map XMP, and the gain map as the MPF-indexed
    second picture after the primary's EOI (Pillow opens it as a plain JPEG)."""
    xmp = b'http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description hdrgm:Version="1.0"/>'
    return with_segment(mpo_bytes(), 0xE1, xmp + b"</x:xmpmeta>")


def samsung_trailer() -> bytes:
    """The small trailer Samsung cameras append: one block (the capture time) and its SEFH
    directory, ending in SEFT."""
    name = b"Image_UTC_Data"
    block = struct.pack("<HHI", 0, 0x0A01, len(name)) + name + b"1700000000000"
    entries = struct.pack("<HHII", 0, 0x0A01, len(block), len(block))
    directory = b"SEFH" + struct.pack("<II", 107, 1) + entries
    return block + directory + struct.pack("<I", len(directory)) + b"SEFT"


def zip_bytes(content: str = "payload") -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", content)
    return out.getvalue()


def motion_photo_bytes() -> bytes:
    """A motion photo as Google's camera writes it: the picture, then an MP4 after its EOI."""
    video = struct.pack(">I", 24) + b"ftypmp42" + b"\x00" * 12 + b"\x00\x00\x00\x08mdat"
    return phone_jpeg() + video


def png_with_text(keyword: bytes, text: bytes) -> bytes:
    """A PNG with a tEXt chunk (the metadata a PNG may carry) before IEND."""
    data = png_bytes()
    body = b"tEXt" + keyword + b"\x00" + text
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return data[:-12] + chunk + data[-12:]
