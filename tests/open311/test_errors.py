"""Malformed input to every endpoint: the right 4xx, the specification's error list in the
suffix's format, and nothing stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases.models import Case, CasePhoto
from open311.models import Request
from open311.services import client_revoke
from tests.factories.cases import jpeg_bytes
from tests.open311.conftest import json_body, xml_root

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.content
    if fmt == "xml":
        root = xml_root(response)
        assert root.tag == "errors"
        assert root.findtext("error/code") == str(status)
        description = root.findtext("error/description")
    else:
        [error] = json_body(response)
        assert error["code"] == status
        description = error["description"]
    assert description
    return description


def assert_nothing_stored() -> None:
    assert Case.objects.count() == 0
    assert Request.objects.count() == 0
    assert CasePhoto.objects.count() == 0


def _gif() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("P", (4, 4)).save(out, format="GIF")
    return out.getvalue()


GIF = _gif()

BAD_POSTS = {
    "missing location": ({"lat": None, "long": None}, 400),
    "free-text address only": (
        {"lat": None, "long": None, "address_string": "太平角一路 1 号"},
        400,
    ),
    "unknown address_id": ({"lat": None, "long": None, "address_id": "370202001001999"}, 400),
    "latitude only": ({"long": None}, 400),
    "latitude not a number": ({"lat": "north"}, 400),
    "latitude NaN": ({"lat": "NaN"}, 400),
    "latitude out of range": ({"lat": "91"}, 400),
    "outside every grid": ({"lat": "39.9", "long": "116.4"}, 400),
    "missing service": ({"service_code": None}, 400),
    "unknown service": ({"service_code": "X99999"}, 400),
    "description over 4000": ({"description": "垃" * 4001}, 400),
    "description with markup": ({"description": "垃圾<script>alert(1)</script>"}, 400),
    "NUL byte in a contact field": ({"first_name": "a\x00b"}, 400),
    "bad email": ({"email": "not-an-email"}, 400),
    "bad media_url": ({"media_url": "javascript:alert(1)"}, 400),
    "unknown attribute": ({"attribute[colour]": "red"}, 400),
    "bad list value": ({"attribute[urgency]": "whenever"}, 400),
    "bad number": ({"attribute[pile_size]": "many"}, 400),
    "required attribute missing": ({"service_code": "C01001"}, 400),
    "unknown component": (
        {"service_code": "C01001", "attribute[component_id]": "37020201001000999"},
        400,
    ),
    "malformed jurisdiction": ({"jurisdiction_id": "abc"}, 400),
    "unknown jurisdiction": ({"jurisdiction_id": "370203"}, 404),
    "missing key": ({"api_key": None}, 403),
    "bad key": ({"api_key": "not-a-key"}, 403),
}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("case", BAD_POSTS, ids=list(BAD_POSTS))
def test_post_request_with_bad_input_is_refused_and_stores_nothing(setup, case, fmt):
    data, status = BAD_POSTS[case]

    response = setup.post(fmt, **data)

    assert_error(response, status, fmt)
    assert_nothing_stored()


def test_post_request_with_revoked_key_is_403(setup):
    client_revoke(client=setup.client)

    response = setup.post()

    assert "吊销" in assert_error(response, 403)
    assert_nothing_stored()


def test_post_request_location_outside_the_named_jurisdiction_is_400(setup):
    from grids.models import Area

    Area.objects.create(code="370203", level="district", name="市北区")

    response = setup.post(jurisdiction_id="370203")

    assert_error(response, 400)
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("not-an-image.jpg", b"%PDF-1.4 not an image", 400),
        ("animated.gif", GIF, 400),
        ("empty.jpg", b"", 400),
    ],
)
def test_post_request_with_non_image_media_is_400(setup, name, content, status):
    upload = SimpleUploadedFile(name, content, "image/jpeg")
    ok = SimpleUploadedFile("ok.jpg", jpeg_bytes(), "image/jpeg")

    response = setup.post(media=[ok, upload])

    assert_error(response, status)
    assert_nothing_stored()


@override_settings(GRIDCITY_PHOTO_MAX_BYTES=2000)
def test_post_request_with_oversized_media_is_400(setup):
    big = SimpleUploadedFile("big.jpg", jpeg_bytes(size=(800, 600)), "image/jpeg")

    response = setup.post(media=[big])

    assert "过大" in assert_error(response, 400)
    assert_nothing_stored()


def test_post_request_with_more_than_nine_photos_is_400(setup):
    photos = [SimpleUploadedFile(f"{i}.jpg", jpeg_bytes(), "image/jpeg") for i in range(10)]

    response = setup.post(media=photos)

    assert_error(response, 400)
    assert_nothing_stored()


@override_settings(GRIDCITY_OPEN311_RATE_LIMIT_REQUESTS=2, GRIDCITY_OPEN311_RATE_LIMIT_SECONDS=3600)
def test_post_requests_beyond_the_rate_limit_are_429_per_key(setup):
    from open311.services import client_create

    _other, other_key = client_create(name="另一个应用", account=setup.world.acceptor)

    first, second = setup.post(), setup.post()
    third = setup.post("xml")
    other_client = setup.post(api_key=other_key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert_error(third, 429, "xml")
    assert int(third["Retry-After"]) > 0
    assert other_client.status_code == 201
    assert Case.objects.count() == 3


BAD_QUERIES = {
    "non-numeric page": ("page=two", 400),
    "page zero": ("page=0", 400),
    "huge page_size": ("page_size=100000000000000000000", 400),
    "negative page_size": ("page_size=-1", 400),
    "bad start_date": ("start_date=yesterday", 400),
    "bad end_date": ("end_date=2026-13-45T00:00:00Z", 400),
    "window over 90 days": ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400),
    "end before start": ("start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z", 400),
    "start at the end of time": ("start_date=9999-12-31", 400),
    "end at the start of time": ("end_date=0001-01-01T00:00:00", 400),
    "bad offset": ("start_date=2026-11-01T08:00:00%2B99:00", 400),
    "bad status": ("status=pending", 400),
    "unknown service_code": ("service_code=X99999", 400),
    "malformed id": ("service_request_id=abc", 400),
    "NUL byte": ("service_code=%00", 400),
    "malformed jurisdiction": ("jurisdiction_id=12", 400),
    "unknown jurisdiction": ("jurisdiction_id=370203", 404),
}


@pytest.mark.parametrize("path", ["requests", "servicerequestupdates"])
@pytest.mark.parametrize("case", BAD_QUERIES, ids=list(BAD_QUERIES))
def test_get_requests_with_bad_query_is_refused(setup, case, path):
    query, status = BAD_QUERIES[case]

    json_response = setup.http.get(f"/open311/v2/{path}.json?{query}")
    xml_response = setup.http.get(f"/open311/v2/{path}.xml?{query}")

    assert_error(json_response, status)
    assert_error(xml_response, status, "xml")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/open311/v2/requests/2026999999.json", 404),
        ("/open311/v2/requests/not-a-number.json", 404),
        ("/open311/v2/tokens/unknown.xml", 404),
        ("/open311/v2/services/%00.json", 404),
        ("/open311/v2/services.json?jurisdiction_id=370203", 404),
        ("/open311/v2/services.json?jurisdiction_id=3702", 400),
        ("/open311/v2/services/M06010.json?jurisdiction_id=x", 400),
        ("/open311/v2/tokens/abc.json?jurisdiction_id=x", 400),
        ("/open311/v2/requests.csv", 404),
        ("/open311/v2/nothing.json", 404),
        ("/open311/discovery.yaml", 404),
    ],
)
def test_get_unknown_or_malformed_resources_answer_in_spec_shape(setup, path, status):
    response = setup.http.get(path)

    assert_error(response, status, "xml" if path.split("?")[0].endswith(".xml") else "json")


def test_wrong_method_is_405_with_allow(setup):
    response = setup.http.delete("/open311/v2/services.json")

    assert_error(response, 405)
    assert response["Allow"] == "GET"
