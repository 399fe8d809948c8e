"""Photo intake: decode the upload for real, refuse what is not a plain still image within the
limits (or is mislabelled, or hides another format), read the EXIF GPS position, and re-encode a
copy without any metadata. Every way a photo enters (API, pages, Open311) comes through here."""

from __future__ import annotations

import hashlib
import math
import mimetypes
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from cases.photos.layout import Malformed, hidden_format, is_padding, layout
from gridcity.errors import ValidationFailed
from gridcity.geo import make_point

# Pillow format name → (content type, file extension).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# Multi-picture JPEGs (phones' stereo or depth pictures) are JPEGs whose first picture is the
# photo; only that one is kept.
MULTI_PICTURE = "MPO"
# The names each format goes by in a content type or a file name's extension.
CONTENT_TYPES = {
    "JPEG": frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    "PNG": frozenset({"image/png", "image/x-png"}),
    "WEBP": frozenset({"image/webp"}),
}
EXTENSIONS = {
    "JPEG": frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp", ".mpo"}),
    "PNG": frozenset({".png"}),
    "WEBP": frozenset({".webp"}),
}
# Declarations that claim nothing: clients that do not know the type send these.
UNDECLARED = frozenset({"", "application/octet-stream", "binary/octet-stream", "image/*"})
THUMBNAIL_SIZE = (320, 320)


def max_bytes() -> int:
    return int(getattr(settings, "GRIDCITY_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def max_pixels() -> int:
    return int(getattr(settings, "GRIDCITY_PHOTO_MAX_PIXELS", 40_000_000))


def far_metres() -> float:
    return float(getattr(settings, "GRIDCITY_PHOTO_FAR_M", 200.0))


@dataclass(frozen=True)
class ProcessedPhoto:
    """A validated photo: the metadata-free bytes to store and what was learnt from the original."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    gps: Point | None


def photo_process(*, data: bytes, index: int = 1) -> ProcessedPhoto:
    """Decode and re-encode one upload, or raise ValidationFailed saying what is wrong with it."""
    label = _("第 %(n)d 张照片") % {"n": index}
    if not data:
        raise ValidationFailed(_("%(label)s是空文件。") % {"label": label}, code="photo_empty")
    if len(data) > max_bytes():
        raise ValidationFailed(
            _("%(label)s过大（%(size)d 字节，上限 %(max)d）。")
            % {"label": label, "size": len(data), "max": max_bytes()},
            code="photo_too_large",
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its own limit and twice it; treat that as a refusal.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as img:
                multi_picture = img.format == MULTI_PICTURE
                fmt = "JPEG" if multi_picture else img.format or ""
                if fmt not in FORMATS:
                    raise ValidationFailed(
                        _("%(label)s格式不受支持（%(fmt)s），请上传 JPEG、PNG 或 WebP。")
                        % {"label": label, "fmt": fmt or "?"},
                        code="photo_format",
                    )
                width, height = img.size
                if width * height > max_pixels():
                    raise ValidationFailed(
                        _("%(label)s像素过多（%(w)d×%(h)d，上限 %(max)d 像素）。")
                        % {"label": label, "w": width, "h": height, "max": max_pixels()},
                        code="photo_too_many_pixels",
                    )
                if getattr(img, "n_frames", 1) > 1 and not multi_picture:
                    raise ValidationFailed(
                        _("%(label)s是动图，请上传静态照片。") % {"label": label},
                        code="photo_animated",
                    )
                _layout_check(data, img.format or "", label)
                gps = _exif_gps(img)
                img.load()
                clean = _strip(img, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(
            _("%(label)s像素过多，疑似解压炸弹。") % {"label": label}, code="photo_too_many_pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationFailed(
            _("%(label)s不是可识别的图片或已损坏。") % {"label": label}, code="photo_invalid"
        ) from exc
    content_type, extension = FORMATS[fmt]
    return ProcessedPhoto(
        content=clean.getvalue(),
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        gps=gps,
    )


def _layout_check(data: bytes, fmt: str, label: str) -> None:
    """Refuse a polyglot: bytes after the picture's end beyond a little padding, or another
    format's signature where a browser, unzip or a PDF reader would honour it."""
    try:
        found = layout(data, fmt)
    except Malformed as exc:
        raise ValidationFailed(
            _("%(label)s不是可识别的图片或已损坏。") % {"label": label}, code="photo_invalid"
        ) from exc
    if not is_padding(found.trailing):
        raise ValidationFailed(
            _(
                "%(label)s在图片数据结束后还附带了其他内容（例如动态照片的视频或隐藏的文件），"
                "请上传普通照片。"
            )
            % {"label": label},
            code="photo_polyglot",
        )
    hidden = hidden_format(data, [*found.metadata, found.trailing])
    if hidden is not None:
        raise ValidationFailed(
            _("%(label)s中夹带了其他格式的内容（%(kind)s），不予接收。")
            % {"label": label, "kind": hidden},
            code="photo_polyglot",
        )


def photo_upload_read(upload: UploadedFile, *, index: int = 1) -> bytes:
    """The bytes of one uploaded file, refused when the type it declares (its content type or
    its file name's extension) is not the type its bytes have. What the bytes are not (not an
    image, too large) is left to photo_process, which the service runs on them."""
    data = upload.read()
    if not data or len(data) > max_bytes():
        return data
    actual = _detected_format(data)
    if actual is None:
        return data
    for declared in _declared_types(upload):
        if declared not in CONTENT_TYPES[actual] | EXTENSIONS[actual]:
            raise ValidationFailed(
                _(
                    "%(label)s声明的类型（%(declared)s）与实际内容（%(actual)s）不符，请按实际类型上传。"
                )
                % {
                    "label": _("第 %(n)d 张照片") % {"n": index},
                    "declared": declared,
                    "actual": actual,
                },
                code="photo_mislabelled",
            )
    return data


def _detected_format(data: bytes) -> str | None:
    """The accepted format Pillow finds in the bytes' header, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as img:
                fmt = "JPEG" if img.format == MULTI_PICTURE else img.format or ""
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return fmt if fmt in FORMATS else None


def _declared_types(upload: UploadedFile) -> list[str]:
    """What the upload claims to be: its content type and its extension, each when it names a
    type (a generic content type, no extension or an unknown one claims nothing)."""
    claims = []
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in UNDECLARED:
        claims.append(content_type)
    name = (upload.name or "").rsplit("/", 1)[-1]
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    known = any(extension in names for names in EXTENSIONS.values())
    guessed = mimetypes.guess_type(f"photo{extension}", strict=False)[0] if extension else None
    if known or (guessed and guessed not in UNDECLARED):
        claims.append(extension)
    return claims


def _strip(img: Image.Image, fmt: str) -> BytesIO:
    """Re-encode the pixels only: EXIF (GPS, device), XMP and comments are left behind."""
    upright = ImageOps.exif_transpose(img)
    out = BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=88, optimize=True)
    else:
        upright.save(out, format=fmt)
    return out


def _rational(value: object) -> float:
    return float(value)  # IFDRational and int both convert


def _exif_gps(img: Image.Image) -> Point | None:
    """The EXIF GPS position in WGS84, or None when absent or unreadable."""
    try:
        gps = img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:
        return None
    try:
        lat_dms, lon_dms = gps[2], gps[4]
        lat = sum(_rational(v) / 60**i for i, v in enumerate(lat_dms))
        lon = sum(_rational(v) / 60**i for i, v in enumerate(lon_dms))
        if str(gps.get(1, "N")).upper().startswith("S"):
            lat = -lat
        if str(gps.get(3, "E")).upper().startswith("W"):
            lon = -lon
        return make_point(lon=lon, lat=lat)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two WGS84 points (haversine, mean Earth radius)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a.x, a.y, b.x, b.y))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def thumbnail_bytes(data: bytes) -> bytes:
    """A small JPEG preview of an already validated photo."""
    with Image.open(BytesIO(data)) as img:
        img.thumbnail(THUMBNAIL_SIZE)
        out = BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()
