"""Bad input at the case API: each malformed location, oversize text or hostile image gets a
clear 4xx naming the problem and stores nothing (rows and files counted before and after);
hostile text that is valid is stored as typed and shown escaped."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from PIL import Image

from cases.models import Case, CaseEvent, CasePhoto, IdempotencyRecord
from gridcity.models import OutboxTask
from tests.factories.cases import World, build_world, jpeg_bytes

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def inspector(world: World) -> Client:
    client = Client()
    client.force_login(world.inspector)
    return client


def _media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _stored() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        CaseEvent.objects.count(),
        CasePhoto.objects.count(),
        IdempotencyRecord.objects.count(),
        OutboxTask.objects.count(),
    )


@pytest.fixture
def nothing_stored() -> Iterator[None]:
    rows, files = _stored(), _media_files()
    yield
    assert _stored() == rows
    assert _media_files() == files


def _report(client: Client, world: World, *, photo: tuple[str, bytes] | None = None, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    point = world.point()
    data = {
        "source": "inspector",
        "category": world.matter.pk,
        "description": "路面破损",
        "lon": point.x,
        "lat": point.y,
        **fields,
    }
    name, content = photo or ("p.jpg", jpeg_bytes())
    data["photos"] = [SimpleUploadedFile(name, content, content_type="image/jpeg")]
    return client.post("/api/v1/cases/", data, HTTP_IDEMPOTENCY_KEY=f"bad-{name}-{len(content)}")


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: the decompression bomb's opening move."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _gif_animated() -> bytes:
    frames = [Image.new("P", (8, 8), i) for i in range(3)]
    out = BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])
    return out.getvalue()


# ---------------------------------------------------------------- locations
@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [
        (36.061, 120.381, "lat"),  # latitude and longitude swapped
        ("nan", 36.061, "lon"),
        (120.381, "NaN", "lat"),
        ("inf", 36.061, "lon"),
        ("120,381", 36.061, "lon"),
        ("", 36.061, "lon"),
        ("1e400", 36.061, "lon"),
    ],
)
def test_bad_input_malformed_location_is_refused(world, inspector, nothing_stored, lon, lat, field):
    response = _report(inspector, world, lon=lon, lat=lat)

    assert response.status_code == 400, response.content[:300]
    assert field in response.json()["details"]


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(116.397, 39.909), (0.0, 0.0), (-120.381, -36.061)],  # Beijing, null island, antipode
)
def test_bad_input_location_outside_the_city_is_refused(world, inspector, nothing_stored, lon, lat):
    response = _report(inspector, world, lon=lon, lat=lat)

    assert response.status_code == 400
    assert response.json()["code"] == "outside_city"


# ---------------------------------------------------------------- text
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "长" * 4001),
        ("description", "x" * 200_000),
        ("description", "   "),
        ("address", "路" * 201),
        ("reporter_name", "名" * 101),
        ("reporter_phone", "1" * 41),
    ],
)
def test_bad_input_oversize_or_empty_text_is_refused(
    world, inspector, nothing_stored, field, value
):
    response = _report(inspector, world, **{field: value})

    assert response.status_code == 400
    body = response.json()
    assert field in body["details"] or body["code"] == "description_required"


def test_bad_input_nul_byte_in_text_is_refused(world, inspector, nothing_stored):
    response = _report(inspector, world, description="井盖\x00缺失")

    assert response.status_code == 400
    assert "description" in response.json()["details"]


def test_bad_input_html_in_every_text_field_is_stored_as_typed_and_shown_escaped(world):
    acceptor = Client()
    acceptor.force_login(world.acceptor)
    point = world.point()

    response = acceptor.post(
        "/api/v1/cases/",
        {
            "source": "hotline_12345",
            "category": world.matter.pk,
            "description": SCRIPT,
            "address": SCRIPT[:200],
            "reporter_name": SCRIPT[:100],
            "reporter_phone": SCRIPT[:40],
            "lon": point.x,
            "lat": point.y,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()[:500]
    case = Case.objects.get(pk=response.json()["id"])
    pages = [
        acceptor.get(f"/dispatch/cases/{case.pk}/"),
        acceptor.get("/dispatch/queue/"),
        acceptor.get("/reports/cases/?measure=reports"),
    ]
    api = acceptor.get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 201
    assert case.description == SCRIPT
    for page in pages:
        text = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in pages[0].content.decode()
    assert api["Content-Type"] == "application/json"
    assert api["X-Content-Type-Options"] == "nosniff"
    assert api.json()["description"] == SCRIPT


# ---------------------------------------------------------------- photos
@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("empty.jpg", b"", "photos"),
        ("text.jpg", "这不是照片".encode() * 50, "photo_invalid"),
        ("page.jpg", b"<html><script>alert(1)</script></html>", "photo_invalid"),
        ("truncated.jpg", jpeg_bytes(size=(640, 480))[:600], "photo_invalid"),
        ("bomb.png", _png_claiming(60_000, 60_000), "photo_too_many_pixels"),
        ("wide.png", _png_claiming(50_000, 1_000), "photo_too_many_pixels"),
        ("anim.gif", _gif_animated(), "photo_format"),
        ("pdf.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "photo_invalid"),
    ],
)
def test_bad_input_hostile_photo_is_refused(world, inspector, nothing_stored, name, content, code):
    response = _report(inspector, world, photo=(name, content))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code or code in body["details"], body


def test_bad_input_oversized_photo_is_refused(world, inspector, nothing_stored):
    big = jpeg_bytes() + b"\0" * (settings.GRIDCITY_PHOTO_MAX_BYTES + 1)

    response = _report(inspector, world, photo=("big.jpg", big))

    assert response.status_code == 400
    assert response.json()["code"] == "photo_too_large"


def test_bad_input_too_many_pixels_by_setting_is_refused(world, inspector, nothing_stored):
    # A real, decodable picture above the configured pixel budget (below Pillow's own limit).
    settings.GRIDCITY_PHOTO_MAX_PIXELS, saved = 1000, settings.GRIDCITY_PHOTO_MAX_PIXELS
    try:
        response = _report(inspector, world, photo=("large.jpg", jpeg_bytes(size=(100, 100))))
    finally:
        settings.GRIDCITY_PHOTO_MAX_PIXELS = saved

    assert response.status_code == 400
    assert response.json()["code"] == "photo_too_many_pixels"


def test_bad_input_polyglot_photo_is_stored_without_its_payload(world, inspector):
    """A JPEG with a web page (and a zip) appended is a valid picture: it is kept as pixels
    re-encoded, so what is stored and served holds no trace of the payload."""
    payload = b"<html><script>alert(document.cookie)</script></html>PK\x03\x04zipzipzip"

    response = _report(inspector, world, photo=("poly.jpg", jpeg_bytes() + payload))

    assert response.status_code == 201
    photo = CasePhoto.objects.get(case_id=response.json()["id"])
    stored = Path(photo.image.path).read_bytes()
    assert b"<script" not in stored and b"PK\x03\x04" not in stored
    assert stored.startswith(b"\xff\xd8") and photo.content_type == "image/jpeg"


def test_bad_input_mislabelled_photo_is_stored_as_what_its_bytes_are(world, inspector):
    """A PNG sent as "p.jpg" with a JPEG content type: the bytes decide, not the name; it is
    stored and served as a PNG (re-encoded), never as the type it claimed."""
    response = _report(inspector, world, photo=("p.jpg", _png()))

    assert response.status_code == 201
    photo = CasePhoto.objects.get(case_id=response.json()["id"])
    assert photo.content_type == "image/png"
    assert photo.image.name.endswith(".png")
    assert Path(photo.image.path).read_bytes().startswith(b"\x89PNG")


# ---------------------------------------------------------------- geometry in queries
@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/grids/?bbox=nan,36.0,120.4,36.1", "bbox"),
        ("/api/v1/grids/?bbox=120.3,36.0,inf,36.1", "bbox"),
        ("/api/v1/grids/?bbox=36.0,120.3,36.1,120.4", "bbox"),  # latitude first
        ("/api/v1/grids/?bbox=120.3,36.0,120.4", "bbox"),
        ("/api/v1/grids/?bbox=POLYGON((0 0,1 1))", "bbox"),
        ("/api/v1/areas/?bbox=-180,-90,180,1e308", "bbox"),
        ("/api/v1/components/?near=120.38,36.06,-5", "near"),
        ("/api/v1/components/?near=nan,36.06,50", "near"),
        ("/api/v1/components/?near=36.06,120.38,50", "near"),  # latitude first
    ],
)
def test_bad_input_malformed_geometry_query_is_refused(world, url, param):
    client = Client()
    client.force_login(world.dispatcher)

    response = client.get(url)

    assert response.status_code == 400, response.content[:300]
    assert param in response.json()["details"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/cases/abc/",
        "/api/v1/cases/null,null/file/",
        "/api/v1/cases/1.5/void/",
        "/api/v1/notices/abc/read/",
    ],
)
def test_bad_input_non_numeric_id_is_not_found(world, url):
    client = Client()
    client.force_login(world.acceptor)

    response = client.post(url, {"reason": "x"}, content_type="application/json")

    assert response.status_code == 404
