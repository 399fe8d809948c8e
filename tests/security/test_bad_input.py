"""Bad input at the case API: each malformed location, oversize text or hostile image gets a
clear 4xx naming the problem and stores nothing (rows and files counted before and after);
hostile text that is valid is stored as typed and shown escaped. Mislabelled and polyglot photos
are refused on every way a photo enters: the API (report and actions), the inspector's phone
page, the department desk and Open311."""

from __future__ import annotations

import mimetypes
import struct
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from cases.models import Case, CaseEvent, CasePhoto, IdempotencyRecord
from cases.workflow import Source, Status
from gridcity.models import OutboxTask
from open311.models import Request
from open311.services import client_create
from tests.factories import photos as made
from tests.factories.cases import World, build_world, case_in_state, jpeg_bytes, report_case
from tests.open311.conftest import publish

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


def _report(
    client: Client,
    world: World,
    *,
    photo: tuple[str, bytes] | None = None,
    content_type: str = "",
    **fields,
):
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
    # Declared as a browser would: from the file name, unless the test says otherwise.
    declared = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    data["photos"] = [SimpleUploadedFile(name, content, content_type=declared)]
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


# Each: (file name, content type, bytes, code, words of the message).
MISLABELLED = [
    pytest.param(
        "p.jpg", "image/jpeg", _png(), "（image/jpeg）与实际内容（PNG）", id="png-as-jpeg"
    ),
    pytest.param(
        "p.png", "image/png", jpeg_bytes(), "（image/png）与实际内容（JPEG）", id="jpeg-as-png"
    ),
    pytest.param(
        "p.html", "text/html", jpeg_bytes(), "（text/html）与实际内容（JPEG）", id="jpeg-as-html"
    ),
    pytest.param(
        "p.jpg",
        "image/jpeg",
        made.webp_bytes(),
        "（image/jpeg）与实际内容（WEBP）",
        id="webp-as-jpeg",
    ),
]
AFTER_THE_END = "在图片数据结束后还附带了其他内容"
POLYGLOTS = [
    pytest.param(
        jpeg_bytes() + b"<html><script>alert(document.cookie)</script></html>",
        AFTER_THE_END,
        id="jpeg+html",
    ),
    pytest.param(jpeg_bytes() + made.zip_bytes(), AFTER_THE_END, id="jpeg+zip"),
    pytest.param(made.motion_photo_bytes(), AFTER_THE_END, id="motion-photo"),
    pytest.param(
        made.with_segment(jpeg_bytes(), 0xFE, b"<script>alert(1)</script>"),
        "夹带了其他格式的内容（HTML）",
        id="script-in-comment",
    ),
    pytest.param(
        made.with_segment(jpeg_bytes(), 0xFE, made.zip_bytes()),
        "夹带了其他格式的内容（ZIP）",
        id="zip-in-comment",
    ),
    pytest.param(
        made.with_segment(jpeg_bytes(), 0xE1, b"%PDF-1.4\n1 0 obj<<>>endobj"),
        "夹带了其他格式的内容（PDF）",
        id="pdf-header",
    ),
]


def _snapshot() -> tuple[tuple[int, ...], set[Path]]:
    return _stored(), _media_files()


def _photo(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(("name", "content_type", "content", "words"), MISLABELLED)
def test_bad_input_mislabelled_photo_is_refused_by_the_api(
    world, inspector, nothing_stored, name, content_type, content, words
):
    response = _report(inspector, world, photo=(name, content), content_type=content_type)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "photo_mislabelled"
    assert body["message"].startswith("第 1 张照片声明的类型") and words in body["message"]


@pytest.mark.parametrize(("content", "words"), POLYGLOTS)
def test_bad_input_polyglot_photo_is_refused_by_the_api(
    world, inspector, nothing_stored, content, words
):
    response = _report(inspector, world, photo=("poly.jpg", content))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "photo_polyglot"
    assert body["message"].startswith("第 1 张照片") and words in body["message"]


def test_bad_input_second_photo_mislabelled_is_named_and_nothing_is_kept(world):
    case = case_in_state(world, Status.HANDLING)
    handler = Client()
    handler.force_login(world.handler)
    before = _snapshot()

    response = handler.post(
        f"/api/v1/cases/{case.pk}/report-handled/",
        {"photos": [_photo("a.jpg", jpeg_bytes()), _photo("b.jpg", _png())], "note": "已清运"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "photo_mislabelled"
    assert response.json()["message"].startswith("第 2 张照片")
    assert _snapshot() == before
    case.refresh_from_db()
    assert case.status == Status.HANDLING


@pytest.mark.parametrize(
    ("photo", "words"),
    [
        pytest.param(_photo("p.jpg", _png()), "与实际内容（PNG）不符", id="mislabelled"),
        pytest.param(
            _photo("p.jpg", jpeg_bytes() + made.zip_bytes()), AFTER_THE_END, id="polyglot"
        ),
    ],
)
def test_bad_input_hostile_photo_is_refused_by_the_phone_page(world, photo, words):
    task = report_case(
        world, source=Source.PUBLIC, photos=[], location=world.point(grid=0), description="举报"
    )
    client = Client()
    client.force_login(world.inspector)
    before = _snapshot()

    response = client.post(
        f"/m/tasks/{task.pk}/",
        {"action": "verify_pass", "photos": [photo], "expected_version": task.version},
    )

    assert response.status_code == 400
    assert words in response.content.decode()
    assert _snapshot() == before
    task.refresh_from_db()
    assert task.status == Status.AWAITING_VERIFICATION


@pytest.mark.parametrize(
    ("photo", "words"),
    [
        pytest.param(
            _photo("after.png", jpeg_bytes(), "image/png"), "实际内容（JPEG）", id="mislabelled"
        ),
        pytest.param(
            _photo("after.jpg", made.with_segment(jpeg_bytes(), 0xFE, b"<script>x</script>")),
            "夹带了其他格式的内容（HTML）",
            id="polyglot",
        ),
    ],
)
def test_bad_input_hostile_photo_is_refused_by_the_department_desk(world, photo, words):
    case = case_in_state(world, Status.HANDLING)
    client = Client()
    client.force_login(world.handler)
    before = _snapshot()

    response = client.post(
        f"/dept/cases/{case.pk}/report_handled/",
        {"expected_version": case.version, "photos": photo, "note": "已清运"},
    )

    assert response.status_code == 400
    assert words in response.content.decode()
    assert _snapshot() == before
    case.refresh_from_db()
    assert case.status == Status.HANDLING


@pytest.mark.parametrize(
    ("photo", "words"),
    [
        pytest.param(
            _photo("a.jpg", made.webp_bytes()), "与实际内容（WEBP）不符", id="mislabelled"
        ),
        pytest.param(
            _photo("a.jpg", jpeg_bytes() + b"<html><script>x</script></html>"),
            AFTER_THE_END,
            id="polyglot",
        ),
    ],
)
def test_bad_input_hostile_photo_is_refused_by_open311(world, photo, words):
    cache.delete_pattern("open311:rate:*")
    matter, _component = publish(world)
    _client, key = client_create(name="随手拍", account=world.acceptor)
    before = _snapshot(), Request.objects.count()

    response = Client().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": matter.code,
            "lat": str(world.point().y),
            "long": str(world.point().x),
            "description": "人行道上有一堆暴露垃圾",
            "media": [photo],
        },
    )

    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and words in error["description"]
    assert (_snapshot(), Request.objects.count()) == before


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
