"""Discovery, GET services and GET services/{code}: valid against the GeoReport v2 schemas in
JSON, the same values in XML."""

from __future__ import annotations

import pytest

from tests.open311.conftest import assert_valid, json_body, schema_validator, xml_root

pytestmark = pytest.mark.django_db


def test_schema_validator_checks_formats_and_references():
    bad = [{"service_request_id": "1", "status": "open", "service_code": "M06010"}]
    bad[0]["requested_datetime"] = "2026-11-01 08:00"  # no T, no offset

    errors = list(schema_validator("requests.json").iter_errors(bad))

    assert any("date-time" in e.message for e in errors)


def test_discovery_lists_the_v2_endpoint_in_both_formats(setup):
    as_json = json_body(setup.http.get("/open311/discovery.json"))
    root = xml_root(setup.http.get("/open311/discovery.xml"))

    endpoint = as_json["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert as_json["changeset"].endswith("+08:00")
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == endpoint["url"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint[
        "formats"
    ]


def test_services_lists_published_services_valid_in_json_and_xml(setup):
    setup.component.is_published = False
    setup.component.save()

    response = setup.http.get("/open311/v2/services.json")
    root = xml_root(setup.http.get("/open311/v2/services.xml"))

    body = json_body(response)
    assert_valid("services.json", body)
    assert body == [
        {
            "service_code": "M06010",
            "service_name": "暴露垃圾",
            "description": "道路、广场等处暴露的生活垃圾",
            "metadata": True,
            "type": "realtime",
            "keywords": "垃圾,暴露垃圾",
            "group": "市容环境",
        }
    ]
    assert root.tag == "services"
    [service] = root.findall("service")
    assert {child.tag: child.text for child in service} == {
        "service_code": "M06010",
        "service_name": "暴露垃圾",
        "description": "道路、广场等处暴露的生活垃圾",
        "metadata": "true",
        "type": "realtime",
        "keywords": "垃圾,暴露垃圾",
        "group": "市容环境",
    }


def test_service_definition_lists_attributes_with_values_in_json_and_xml(setup):
    body = json_body(setup.http.get("/open311/v2/services/M06010.json"))
    root = xml_root(setup.http.get("/open311/v2/services/M06010.xml"))

    assert_valid("service-definition.json", body)
    assert body["service_code"] == "M06010"
    urgency, pile = body["attributes"]
    assert urgency["code"] == "urgency"
    assert urgency["datatype"] == "singlevaluelist"
    assert urgency["values"] == [
        {"key": "urgent", "name": "紧急"},
        {"key": "normal", "name": "一般"},
    ]
    assert pile["datatype"] == "number"
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "M06010"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["urgency", "pile_size"]
    assert attributes[0].findtext("required") == "false"
    assert [v.findtext("key") for v in attributes[0].findall("values/value")] == [
        "urgent",
        "normal",
    ]


def test_service_definition_of_unknown_or_unpublished_service_is_404_in_spec_shape(setup):
    setup.component.is_published = False
    setup.component.save()

    unknown = setup.http.get("/open311/v2/services/X99999.json")
    hidden = setup.http.get("/open311/v2/services/C01001.xml")

    assert unknown.status_code == 404
    [error] = json_body(unknown)
    assert error["code"] == 404
    assert "X99999" in error["description"]
    assert hidden.status_code == 404
    root = xml_root(hidden)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
