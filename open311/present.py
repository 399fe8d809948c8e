"""What the Open311 endpoints answer: plain values in the GeoReport v2 field order, and their XML
form (root and item element names per the specification). Only fields listed here leave the
platform: no contact data, no actors, no internal notes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent
from cases.workflow import TERMINAL_STATUSES, Action, Status
from open311.media import media_path
from open311.models import Service

# Events whose note is the reason the public is owed (a refusal); other notes stay internal.
REASON_ACTIONS = frozenset({Action.REJECT, Action.VERIFY_FAIL, Action.VOID})
# Names of the items of each XML list element.
ITEM_OF = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
Absolute = Callable[[str], str]
# Characters XML 1.0 cannot carry; input refuses them, but older cases may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def when(value: datetime | None) -> str | None:
    """ISO 8601 with the offset of the city's time zone."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def open_or_closed(status: str) -> str:
    return "closed" if Status(status) in TERMINAL_STATUSES else "open"


def service_item(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.display_name,
        "description": service.description or None,
        "metadata": bool(
            service.has_attributes
            if hasattr(service, "has_attributes")
            else service.attributes.exists()
        ),
        "type": "realtime",
        "keywords": service.keywords or None,
        "group": service.group or None,
    }


def service_definition(service: Service) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description or None,
                "order": attribute.order,
                "description": attribute.description,
                "values": [
                    {"key": str(item.get("key", "")), "name": str(item.get("name", ""))}
                    for item in attribute.values
                    if isinstance(item, dict)
                ],
            }
            for attribute in service.attributes.all()
        ],
    }


def status_notes(case: Case) -> str:
    """The Chinese status, with the reason when the public is owed one."""
    label = str(Status(case.status).label)
    events = getattr(case, "status_events", None)
    last = events[-1] if events else None
    if last is not None and last.action in REASON_ACTIONS and last.note:
        return _("%(status)s：%(reason)s") % {"status": label, "reason": last.note}
    return label


def request_item(case: Case, absolute: Absolute) -> dict[str, Any]:
    photos = getattr(case, "report_photos", [])
    point = case.location
    return {
        "service_request_id": case.number,
        "status": open_or_closed(case.status),
        "status_notes": status_notes(case),
        "service_name": case.category.open311_service.display_name,
        "service_code": case.category.open311_service.code,
        "description": case.description,
        "agency_responsible": case.lead_department.name if case.lead_department_id else None,
        "service_notice": None,
        "requested_datetime": when(case.reported_at),
        "updated_datetime": when(case.updated_at),
        "expected_datetime": when(case.handling_deadline),
        "address": case.address or None,
        "address_id": case.grid.code,
        "zipcode": None,
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        "media_url": absolute(media_path(photos[0])) if photos else None,
    }


def update_item(event: CaseEvent, absolute: Absolute) -> dict[str, Any]:
    """One status change (servicerequestupdates): open/closed plus the workflow's own status."""
    label = str(Status(event.to_status).label)
    action = dict(Action.choices).get(event.action, event.action)
    description = f"{action} → {label}"
    if event.action in REASON_ACTIONS and event.note:
        description += _("：%(reason)s") % {"reason": event.note}
    photos = list(event.photos.all())
    return {
        "update_id": f"{event.case.number}-{event.sequence}",
        "service_request_id": event.case.number,
        "status": open_or_closed(event.to_status),
        "extended_status": event.to_status,
        "updated_datetime": when(event.created_at),
        "description": description,
        "media_url": absolute(media_path(photos[0])) if photos else None,
    }


def error_items(status: int, message: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": message}]


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM_OF[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = NOT_XML.sub("", str(value))


def xml_document(root: str, data: Any, *, item: str | None = None) -> bytes:
    """``data`` as XML under ``root``: a list becomes ``item`` elements, a dict child elements."""
    element = ET.Element(root)
    if isinstance(data, list):
        for row in data:
            _fill(ET.SubElement(element, item or "item"), row)
    else:
        _fill(element, data)
    return ET.tostring(element, encoding="UTF-8", xml_declaration=True)
