"""Photo intake: real decoding, limits, decompression bombs, EXIF GPS read and stripped; phone
photos accepted as phones write them; mislabelled and polyglot uploads refused."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from cases import services
from cases.models import Case, CaseEvent, CasePhoto
from cases.photos import distance_m, photo_process, photo_upload_read
from gridcity.errors import ValidationFailed
from gridcity.geo import make_point
from tests.factories import photos as made
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


# ---------------------------------------------------------------- what phones write
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(made.phone_jpeg(), id="exif-thumbnail-icc-progressive"),
        pytest.param(made.phone_jpeg(padding=b"\x00" * 512), id="zero-padding"),
        pytest.param(made.phone_jpeg(padding=b"\r\n  \n"), id="whitespace-padding"),
        pytest.param(made.phone_jpeg(padding=b"\xff" * 16), id="fill-byte-padding"),
        pytest.param(made.phone_jpeg() + made.samsung_trailer(), id="samsung-trailer"),
        pytest.param(made.mpo_bytes(), id="multi-picture"),
        pytest.param(made.ultra_hdr_bytes(), id="ultra-hdr-gain-map"),
        pytest.param(made.png_with_text(b"Software", b"Camera 1.0"), id="png-text"),
        pytest.param(made.png_bytes() + b"\n", id="png-newline"),
        pytest.param(made.webp_bytes(exif=Image.Exif().tobytes()), id="webp-exif"),
        pytest.param(made.webp_bytes(lossless=True), id="webp-lossless"),
    ],
)
def test_photo_process_accepts_photos_as_phones_write_them(data):
    photo = photo_process(data=data)

    stored = Image.open(BytesIO(photo.content))
    assert stored.format in ("JPEG", "PNG", "WEBP")
    assert stored.convert("RGB").getpixel((5, 5)) == pytest.approx(made.GREEN, abs=4)


def test_photo_process_keeps_only_the_first_picture_of_a_multi_picture_jpeg():
    photo = photo_process(data=made.mpo_bytes())

    stored = Image.open(BytesIO(photo.content))
    assert (photo.content_type, stored.format, getattr(stored, "n_frames", 1)) == (
        "image/jpeg",
        "JPEG",
        1,
    )
    assert stored.getpixel((5, 5)) == pytest.approx(made.GREEN, abs=4)
    assert len(photo.content) < len(made.mpo_bytes())


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(made.plain_jpeg() + b"<html><script>alert(1)</script></html>", id="jpeg+html"),
        pytest.param(made.plain_jpeg() + made.zip_bytes(), id="jpeg+zip"),
        pytest.param(made.plain_jpeg() + b"%PDF-1.4\n%%EOF", id="jpeg+pdf"),
        pytest.param(made.plain_jpeg() + made.plain_jpeg(), id="two-jpegs"),
        pytest.param(made.phone_jpeg(padding=b"\x00" * 5000), id="too-much-padding"),
        pytest.param(made.phone_jpeg(padding=b"\x00\x00 x"), id="padding-then-a-byte"),
        pytest.param(made.motion_photo_bytes(), id="motion-photo-video"),
        pytest.param(made.mpo_bytes() + b"<?php system($_GET[0]);", id="multi-picture+php"),
        pytest.param(made.png_bytes() + made.zip_bytes(), id="png+zip"),
        pytest.param(made.webp_bytes() + b"<script>x</script>", id="webp+script"),
    ],
)
def test_photo_process_refuses_bytes_after_the_pictures_end(data):
    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=data)

    assert refused.value.code == "photo_polyglot"
    assert "图片数据结束后还附带了其他内容" in refused.value.message


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (made.with_segment(made.plain_jpeg(), 0xFE, b"<script>alert(1)</script>"), "HTML"),
        (made.with_segment(made.plain_jpeg(), 0xE1, b"<!DOCTYPE html><body>"), "HTML"),
        (made.with_segment(made.plain_jpeg(), 0xFE, b"%PDF-1.7\n1 0 obj"), "PDF"),
        (made.with_segment(made.plain_jpeg(), 0xFE, made.zip_bytes()), "ZIP"),
        (made.with_segment(made.phone_jpeg(size=(1600, 1200)), 0xEF, made.zip_bytes()), "ZIP"),
        (made.png_with_text(b"Comment", b"<iframe src=//evil>"), "HTML"),
    ],
)
def test_photo_process_refuses_another_format_hidden_inside(data, kind):
    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=data)

    assert refused.value.code == "photo_polyglot"
    assert f"夹带了其他格式的内容（{kind}）" in refused.value.message


def test_photo_process_refuses_a_multi_picture_index_pointing_past_the_end():
    data = made.mpo_bytes()
    cut = data[: len(data) - 100]

    with pytest.raises(ValidationFailed) as refused:
        photo_process(data=cut)

    assert refused.value.code == "photo_invalid"


# ---------------------------------------------------------------- declared types
@pytest.mark.parametrize(
    ("name", "content_type", "data", "declared", "actual"),
    [
        ("p.jpg", "image/jpeg", made.png_bytes(), "image/jpeg", "PNG"),
        ("p.png", "image/png", made.plain_jpeg(), "image/png", "JPEG"),
        ("p.jpg", "image/webp", made.webp_bytes(), ".jpg", "WEBP"),
        ("p.png", "application/octet-stream", made.plain_jpeg(), ".png", "JPEG"),
        ("page.html", "text/html", made.plain_jpeg(), "text/html", "JPEG"),
        ("photo.jpg", "text/plain", made.plain_jpeg(), "text/plain", "JPEG"),
        ("p.gif", "", made.plain_jpeg(), ".gif", "JPEG"),
    ],
)
def test_photo_upload_read_refuses_a_mislabelled_photo(name, content_type, data, declared, actual):
    upload = SimpleUploadedFile(name, data, content_type=content_type)

    with pytest.raises(ValidationFailed) as refused:
        photo_upload_read(upload, index=2)

    assert refused.value.code == "photo_mislabelled"
    assert refused.value.message == (
        f"第 2 张照片声明的类型（{declared}）与实际内容（{actual}）不符，请按实际类型上传。"
    )


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        ("IMG_0001.JPG", "image/jpeg", made.phone_jpeg()),
        ("photo.jpeg", "image/pjpeg", made.plain_jpeg()),
        ("IMG_0002.MPO", "image/jpeg", made.mpo_bytes()),
        ("blob", "", made.plain_jpeg()),
        ("photo", "application/octet-stream", made.webp_bytes()),
        ("shot.png", "image/png; charset=binary", made.png_bytes()),
        ("2024.05.01", "image/*", made.png_bytes()),
    ],
)
def test_photo_upload_read_accepts_a_matching_or_missing_declaration(name, content_type, data):
    upload = SimpleUploadedFile(name, data, content_type=content_type)

    assert photo_upload_read(upload) == data


# ---------------------------------------------------------------- over HTTP
def _report_over_the_api(world, photo: SimpleUploadedFile):
    client = Client()
    client.force_login(world.inspector)
    point = world.point()
    return client.post(
        "/api/v1/cases/",
        {
            "source": "inspector",
            "category": world.matter.pk,
            "description": "路面破损",
            "lon": point.x,
            "lat": point.y,
            "photos": [photo],
        },
    )


@pytest.mark.django_db
def test_photo_multi_picture_jpeg_is_stored_as_its_first_picture_over_the_api(world):
    upload = SimpleUploadedFile("3d.jpg", made.mpo_bytes(), content_type="image/jpeg")

    response = _report_over_the_api(world, upload)

    assert response.status_code == 201, response.content[:300]
    photo = CasePhoto.objects.get(case_id=response.json()["id"])
    with photo.image.open("rb") as stored:
        picture = Image.open(stored)
        assert (picture.format, picture.getpixel((5, 5))) == (
            "JPEG",
            pytest.approx(made.GREEN, abs=4),
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "code"),
    [
        (made.png_bytes(), "photo_mislabelled"),
        (made.plain_jpeg() + made.zip_bytes(), "photo_polyglot"),
    ],
)
def test_photo_refused_over_the_api_stores_nothing(world, data, code):
    upload = SimpleUploadedFile("p.jpg", data, content_type="image/jpeg")
    before = (Case.objects.count(), CaseEvent.objects.count(), CasePhoto.objects.count())

    response = _report_over_the_api(world, upload)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"].startswith("第 1 张照片")
    assert (Case.objects.count(), CaseEvent.objects.count(), CasePhoto.objects.count()) == before


@pytest.mark.django_db
def test_thumbnail_of_a_png_photo_is_served_as_the_jpeg_it_is(world):
    """Thumbnails are JPEG whatever the photo's type: the phone page and the API say so, and
    the photo itself keeps its own type."""
    case = report_case(world, photos=[png_bytes((800, 600))])
    photo = case.photos.get()
    services.photo_thumbnail_make(photo_id=photo.pk)
    client = Client()
    client.force_login(world.inspector)

    served = {
        "phone thumbnail": client.get(f"/m/photos/{photo.pk}/"),
        "phone photo": client.get(f"/m/photos/{photo.pk}/?full=1"),
        "API thumbnail": client.get(f"/api/v1/cases/{case.pk}/photos/{photo.pk}/?size=thumbnail"),
        "API photo": client.get(f"/api/v1/cases/{case.pk}/photos/{photo.pk}/"),
    }

    found = {
        name: (r.status_code, r["Content-Type"], Image.open(BytesIO(b"".join(r))).format)
        for name, r in served.items()
    }
    assert found == {
        "phone thumbnail": (200, "image/jpeg", "JPEG"),
        "phone photo": (200, "image/png", "PNG"),
        "API thumbnail": (200, "image/jpeg", "JPEG"),
        "API photo": (200, "image/png", "PNG"),
    }
