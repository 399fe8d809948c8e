"""Whatever a client sends, the answer is a 2xx or a 4xx in the specification's shape, never a
500: random query strings and form fields for every endpoint."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.open311.conftest import json_body

pytestmark = pytest.mark.django_db

PARAMS = [
    "service_request_id",
    "service_code",
    "status",
    "start_date",
    "end_date",
    "page",
    "page_size",
    "jurisdiction_id",
]
FIELDS = [
    "api_key",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "email",
    "media_url",
    "jurisdiction_id",
    "attribute[urgency]",
    "attribute[pile_size]",
    "attribute[x]",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e309",
            "NaN",
            "2026-11-01",
            "2026-02-30T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "open,closed",
            "M06010",
            "370202",
            "370202001001001",
            "36.061",
            "120.381",
            "<b>x</b>",
            "99999999999999999999",
        ]
    ),
)
SLOW = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_answered(response) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        [error] = json_body(response)
        assert error["code"] == response.status_code


@SLOW
@given(
    path=st.sampled_from(["requests", "servicerequestupdates", "services"]),
    query=st.dictionaries(st.sampled_from(PARAMS), VALUES, max_size=5),
)
def test_get_endpoints_never_fail_on_any_query(setup, path, query):
    response = setup.http.get(f"/open311/v2/{path}.json?{urlencode(query)}")

    assert_answered(response)


@SLOW
@given(form=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=7))
def test_post_requests_never_fails_on_any_form(setup, form):
    form.setdefault("api_key", setup.key)

    response = setup.http.post("/open311/v2/requests.json", form)

    assert_answered(response)
