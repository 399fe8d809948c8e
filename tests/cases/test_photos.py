"""Photo intake: real decoding, limits, decompression bombs, EXIF GPS read and stripped."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from cases import services
from cases.photos import distance_m, photo_process
from gridcity.errors import ValidationFailed
from gridcity.geo import make_point
from tests.factories.cases import case_in_state, jpeg_bytes, report_case


def png_bytes(size: tuple[int, int] = (10, 10)) -> bytes:
    out = BytesIO()
    Image.new("RGBA", size, (1, 2, 3, 255)).save(out, format="PNG")
    return out.getvalue()


def test_photo_process_reads_gps_and_strips_exif():
    original = jpeg_bytes(gps=(120.381, 36.061))

    photo = photo_process(data=original)

    assert Image.open(BytesIO(original)).getexif()  # the original carries EXIF
    assert photo.gps is not None
    assert photo.gps.x == pytest.approx(120.381, abs=1e-5)
    assert photo.gps.y == pytest.approx(36.061, abs=1e-5)
    stored = Image.open(BytesIO(photo.content))
    assert not stored.getexif()
    assert b"TestCam" not in photo.content
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 64, 48)


def test_photo_process_accepts_png_without_gps():
    photo = photo_process(data=png_bytes())

    assert (photo.content_type, photo.gps) == ("image/png", None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "photo_empty"),
        (b"GIF89a not really", "photo_invalid"),
        (b"%PDF-1.4 hello", "photo_invalid"),
        (jpeg_bytes()[:200], "photo_invalid"),
    ],
)
def test_photo_process_refuses_what_is_not_an_image(data, code):
    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=data)

    assert refused.value.code == code


def test_photo_process_refuses_other_formats():
    out = BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")

    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=out.getvalue())

    assert refused.value.code == "photo_format"


def test_photo_process_refuses_too_many_pixels(settings):
    settings.GRIDCITY_PHOTO_MAX_PIXELS = 100

    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=png_bytes((20, 20)))

    assert refused.value.code == "photo_too_many_pixels"


def test_photo_process_refuses_a_decompression_bomb():
    # A tiny PNG whose header claims 20,000 × 20,000 pixels: refused before decoding.
    out = BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG", optimize=True)
    data = out.getvalue()
    assert len(data) < 200_000

    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=data)

    assert refused.value.code == "photo_too_many_pixels"


def test_photo_process_refuses_too_many_bytes(settings):
    settings.GRIDCITY_PHOTO_MAX_BYTES = 100

    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=jpeg_bytes())

    assert refused.value.code == "photo_too_large"


def test_distance_m_is_metres_on_the_ground():
    a = make_point(lon=120.38, lat=36.06)
    b = make_point(lon=120.38, lat=36.07)

    assert distance_m(a, b) == pytest.approx(1112, rel=0.01)


@pytest.mark.django_db
def test_report_photo_far_from_the_case_is_flagged_and_stored_clean(world):
    near = jpeg_bytes(gps=(world.point().x, world.point().y))
    far = jpeg_bytes(gps=(120.50, 36.20))

    case = report_case(world, photos=[near, far])

    photos = list(case.photos.order_by("pk"))
    assert [p.far_from_case for p in photos] == [False, True]
    assert photos[0].distance_m < 5
    assert photos[1].distance_m > 10_000
    with photos[0].image.open("rb") as stored:
        assert not Image.open(stored).getexif()


@pytest.mark.django_db
def test_thumbnail_is_made_from_the_stored_photo(world):
    case = report_case(world, photos=[jpeg_bytes(size=(1200, 900))])
    photo = case.photos.get()

    services.photo_thumbnail_make(photo_id=photo.pk)

    photo.refresh_from_db()
    with photo.thumbnail.open("rb") as thumb:
        assert max(Image.open(thumb).size) == 320


@pytest.mark.django_db
def test_report_handled_without_photo_is_refused(world):
    case = case_in_state(world, "handling")

    with pytest.raises(ValidationFailed) as refused:
        services.case_report_handled(case_id=case.pk, actor=world.handler, photos=[])

    assert refused.value.code == "photo_required"
