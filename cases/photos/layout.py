"""Where an accepted picture's bytes end and what else they hold: the container walk of JPEG
(with the pictures a multi-picture index lists), PNG and WebP, the padding allowed after the
end, and the signatures of other formats that a browser, unzip or a PDF reader would honour.

Pure functions of bytes; cases.photos turns their findings into messages."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

# After a picture's end only a little padding is allowed (some cameras pad the file).
PADDING_MAX = 4096
PADDING_BYTES = frozenset(b"\x00\xff \t\r\n")
# Samsung cameras end ordinary photos with a small self-describing trailer (capture time,
# country code). Larger ones carry a motion photo's video or depth maps: not a plain photo.
SAMSUNG_TRAILER_MAX = 64 * 1024
# Where readers look: a PDF reader for its header in the first KiB, old browsers sniffed markup
# in the first bytes, and unzip follows an end record back to its central directory anywhere.
HEAD = 1024
PDF = b"%PDF-"
MARKUP = re.compile(
    rb"<(?:script|html|!doctype|body|iframe|object|embed|\?php)\b|javascript:", re.IGNORECASE
)
# JPEG markers without a length: TEM and RST0..RST7.
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# WebP chunks of picture data; every other chunk is metadata.
WEBP_PICTURE = frozenset({b"VP8 ", b"VP8L", b"ALPH"})


class Malformed(Exception):
    """The container does not hold together (truncated, or lengths that do not add up)."""


@dataclass
class Layout:
    """What the walk found: the end of the picture (and of the pictures indexed with it),
    the metadata regions, and the bytes after the end."""

    end: int
    metadata: list[bytes] = field(default_factory=list)
    trailing: bytes = b""


def layout(data: bytes, fmt: str) -> Layout:
    """The layout of an upload Pillow opened as ``fmt`` ("JPEG", "MPO", "PNG" or "WEBP")."""
    try:
        if fmt in ("JPEG", "MPO"):
            return _jpeg_file(data)
        if fmt == "PNG":
            return _png(data)
        if fmt == "WEBP":
            return _webp(data)
    except (struct.error, IndexError) as exc:
        raise Malformed(str(exc)) from exc
    raise ValueError(fmt)


def is_padding(trailing: bytes) -> bool:
    return len(trailing) <= PADDING_MAX and set(trailing) <= PADDING_BYTES


def hidden_format(data: bytes, regions: list[bytes]) -> str | None:
    """The name of another format hidden in the upload where a reader would honour it, or None:
    a PDF header or markup in the first KiB or in any metadata, or a zip archive anywhere (an
    end record pointing back at its central directory, as unzip follows it)."""
    for region in (data[:HEAD], *regions):
        if PDF in region:
            return "PDF"
        if MARKUP.search(region):
            return "HTML"
    position = data.find(b"PK\x05\x06")
    while position >= 0:
        if _zip_directory_before(data, position):
            return "ZIP"
        position = data.find(b"PK\x05\x06", position + 1)
    return None


def _zip_directory_before(data: bytes, end_record: int) -> bool:
    """Whether a zip end record points back at a central directory (or at a zip64 locator)."""
    if end_record + 22 > len(data):
        return False
    if end_record >= 20 and data[end_record - 20 : end_record - 16] == b"PK\x06\x07":
        return True
    directory_size = struct.unpack_from("<I", data, end_record + 12)[0]
    start = end_record - directory_size
    return start >= 0 and data[start : start + 4] == b"PK\x01\x02"


# ---------------------------------------------------------------- JPEG
@dataclass
class _Jpeg:
    end: int
    metadata: list[bytes]
    mpf_base: int | None = None
    mpf: bytes = b""


def _jpeg_file(data: bytes) -> Layout:
    """The primary picture, then each picture its multi-picture index (MPF: stereo views, gain
    maps of Ultra HDR photos, depth maps) places after it, each a whole JPEG of its own."""
    primary = _jpeg(data, 0)
    metadata = list(primary.metadata)
    cursor = primary.end
    if primary.mpf_base is not None:
        for offset, size in sorted(_mpf_entries(primary.mpf)):
            start = primary.mpf_base + offset
            gap = data[cursor:start]
            if start < cursor or start + size > len(data) or not is_padding(gap):
                raise Malformed("multi-picture index does not match the file")
            picture = _jpeg(data, start)
            if picture.end > start + size or not is_padding(data[picture.end : start + size]):
                raise Malformed("indexed picture overruns its size")
            metadata.extend(picture.metadata)
            cursor = start + size
    trailing = data[cursor:]
    trailer = _samsung_trailer(trailing)
    if trailer is not None:
        metadata.append(trailer)
        trailing = b""
    return Layout(end=cursor, metadata=metadata, trailing=trailing)


def _jpeg(data: bytes, start: int) -> _Jpeg:
    """Walk one JPEG from its SOI to its EOI by segment lengths, so an EXIF thumbnail's own
    markers are skipped; APPn and COM payloads (and stray bytes) are its metadata."""
    if data[start : start + 2] != b"\xff\xd8":
        raise Malformed("no SOI")
    found = _Jpeg(end=0, metadata=[])
    size = len(data)
    pos = start + 2
    while True:
        marker_at = data.find(b"\xff", pos)
        if marker_at < 0:
            raise Malformed("no EOI")
        if marker_at > pos:
            found.metadata.append(data[pos:marker_at])  # bytes decoders skip with a warning
        pos = marker_at
        while pos < size and data[pos] == 0xFF:
            pos += 1  # fill bytes
        if pos >= size:
            raise Malformed("no EOI")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            found.end = pos
            return found
        if marker in STANDALONE:
            continue
        if marker in (0x00, 0xD8):
            raise Malformed("marker out of place")
        length = struct.unpack_from(">H", data, pos)[0]
        if length < 2 or pos + length > size:
            raise Malformed("segment overruns the file")
        payload = data[pos + 2 : pos + length]
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            found.metadata.append(payload)
            if marker == 0xE2 and payload.startswith(b"MPF\x00") and found.mpf_base is None:
                found.mpf_base, found.mpf = pos + 2 + 4, payload[4:]
        pos += length
        if marker == 0xDA:
            pos = _entropy_end(data, pos)


def _entropy_end(data: bytes, pos: int) -> int:
    """Where a scan's entropy-coded data ends: the first marker that is not a stuffed 0xFF00,
    a restart marker or a fill byte."""
    while True:
        at = data.find(b"\xff", pos)
        if at < 0 or at + 1 >= len(data):
            raise Malformed("scan runs to the end of the file")
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            pos = at + 2
        elif following == 0xFF:
            pos = at + 1
        else:
            return at


def _mpf_entries(tiff: bytes) -> list[tuple[int, int]]:
    """(offset from the MPF header, size) of each picture after the primary one."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        raise Malformed("MPF byte order")
    ifd = struct.unpack_from(order + "I", tiff, 4)[0]
    count = struct.unpack_from(order + "H", tiff, ifd)[0]
    entries_at, entries = 0, 0
    for index in range(count):
        tag, _type, number, value = struct.unpack_from(order + "HHII", tiff, ifd + 2 + 12 * index)
        if tag == 0xB002:
            entries_at, entries = value, number // 16
    if not 1 <= entries <= 32:
        raise Malformed("MPF entries")
    found = []
    for index in range(1, entries):
        _attribute, size, offset = struct.unpack_from(order + "III", tiff, entries_at + 16 * index)
        if size and offset:  # an entry may name a picture kept elsewhere (size 0)
            found.append((offset, size))
    return found


def _samsung_trailer(trailing: bytes) -> bytes | None:
    """A small Samsung SEFT trailer whose directory accounts for all of it, or None."""
    if not trailing.endswith(b"SEFT") or len(trailing) > SAMSUNG_TRAILER_MAX:
        return None
    directory_length = struct.unpack_from("<I", trailing, len(trailing) - 8)[0]
    directory = len(trailing) - 8 - directory_length
    if directory < 0 or trailing[directory : directory + 4] != b"SEFH":
        return None
    count = struct.unpack_from("<I", trailing, directory + 8)[0]
    if directory + 12 + 12 * count > len(trailing) - 8:
        return None
    first = directory
    for index in range(count):
        _pad, _kind, back, length = struct.unpack_from(
            "<HHII", trailing, directory + 12 + 12 * index
        )
        block = directory - back
        if block < 0 or block + length > directory:
            return None
        first = min(first, block)
    if first != 0:
        return None  # bytes before the first block are not the trailer's
    return trailing


# ---------------------------------------------------------------- PNG and WebP
def _png(data: bytes) -> Layout:
    """Chunks from the signature to IEND; ancillary chunks (text, EXIF, ICC) are metadata."""
    pos, metadata = 8, []
    while True:
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise Malformed("chunk overruns the file")
        if kind == b"IEND":
            return Layout(end=end, metadata=metadata, trailing=data[end:])
        if kind[0] & 0x20:
            metadata.append(data[pos + 8 : pos + 8 + length])
        pos = end


def _webp(data: bytes) -> Layout:
    """The RIFF container: its stated size is the picture's end; chunks other than picture
    data (EXIF, XMP, ICC, unknown) are metadata."""
    riff_size = struct.unpack_from("<I", data, 4)[0]
    end = 8 + riff_size
    if end > len(data):
        raise Malformed("RIFF size beyond the file")
    pos, metadata = 12, []
    while pos + 8 <= end:
        kind, length = struct.unpack_from("<4sI", data, pos)
        stop = pos + 8 + length
        if stop > end:
            raise Malformed("chunk overruns the container")
        if kind not in WEBP_PICTURE:
            metadata.append(data[pos + 8 : stop])
        pos = stop + (length & 1)
    return Layout(end=end, metadata=metadata, trailing=data[end:])
