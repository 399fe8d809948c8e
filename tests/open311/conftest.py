"""Fixtures of the Open311 tests: a small world with published services and a client key, the
GeoReport v2 schema validators, and helpers to read both formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from open311.models import Attribute, Client, Service
from open311.services import client_create
from tests.factories.cases import World, build_world

SCHEMAS = Path(__file__).parent / "schemas"


def _registry() -> Registry:
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT7))
        for path in SCHEMAS.glob("*.json")
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def schema_validator(name: str) -> Draft7Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft7Validator(schema, registry=REGISTRY, format_checker=Draft7Validator.FORMAT_CHECKER)


def assert_valid(name: str, data: Any) -> None:
    errors = sorted(schema_validator(name).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def xml_root(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return ET.fromstring(response.content)  # noqa: S314 - our own answer, under test


def json_body(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


@dataclass
class Setup:
    world: World
    matter: Service
    component: Service
    client: Client
    key: str
    http: HttpClient

    def post(self, fmt: str = "json", **data: Any) -> Any:
        body = {
            "api_key": self.key,
            "service_code": self.matter.code,
            "lat": str(self.world.point().y),
            "long": str(self.world.point().x),
            "description": "人行道上有一堆暴露垃圾",
        }
        body.update(data)
        body = {k: v for k, v in body.items() if v is not None}
        return self.http.post(f"/open311/v2/requests.{fmt}", body)


def publish(world: World) -> tuple[Service, Service]:
    matter = Service.objects.create(
        code="M06010",
        category=world.matter,
        group="市容环境",
        keywords="垃圾,暴露垃圾",
        description="道路、广场等处暴露的生活垃圾",
        order=1,
    )
    Attribute.objects.create(
        service=matter,
        code="urgency",
        datatype=Attribute.Datatype.SINGLEVALUELIST,
        required=False,
        description="紧急程度",
        order=1,
        values=[
            {"key": "urgent", "name": "紧急"},
            {"key": "normal", "name": "一般"},
        ],
        target=Attribute.Target.URGENCY,
    )
    Attribute.objects.create(
        service=matter,
        code="pile_size",
        datatype=Attribute.Datatype.NUMBER,
        description="大约几袋？",
        datatype_description="填写数字",
        order=2,
    )
    component = Service.objects.create(
        code="C01001", category=world.component_category, group="部件损坏", order=2
    )
    Attribute.objects.create(
        service=component,
        code="component_id",
        datatype=Attribute.Datatype.STRING,
        required=True,
        description="部件标识码（17 位）",
        order=1,
        target=Attribute.Target.COMPONENT,
    )
    return matter, component


@pytest.fixture
def setup(db: None) -> Setup:
    cache.delete_pattern("open311:rate:*")
    world = build_world()
    matter, component = publish(world)
    client, key = client_create(name="随手拍", account=world.acceptor)
    return Setup(
        world=world,
        matter=matter,
        component=component,
        client=client,
        key=key,
        http=HttpClient(),
    )
