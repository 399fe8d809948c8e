"""Serializers whose fields are worked out once per class (gridcity.serializers): each answer
still gets fields of its own, and a subclass never gets its parent's."""

from __future__ import annotations

from cases.api.serializers import CaseDetailOutput, CaseListOutput
from gridcity.serializers import FieldsBuiltOnce
from tests.factories.cases import build_world, report_case


def test_fields_built_once_are_copied_for_each_serializer_and_kept_apart_per_class(db):
    world = build_world()
    first, second = report_case(world), report_case(world, description="第二件")

    listed = CaseListOutput(first).data  # the parent's fields first
    detail_one = CaseDetailOutput(first)
    detail_two = CaseDetailOutput(second)
    one, two = detail_one.data, detail_two.data

    assert issubclass(CaseDetailOutput, FieldsBuiltOnce)
    assert set(one) > set(listed)  # the subclass has its own, longer list
    assert "events" in one and "events" not in listed
    assert (one["number"], one["description"]) == (first.number, first.description)
    assert (two["number"], two["description"]) == (second.number, "第二件")
    # Each serializer's fields are its own, bound to it.
    assert detail_one.fields["number"] is not detail_two.fields["number"]
    assert detail_one.fields["number"].parent is detail_one
    assert detail_two.fields["events"].parent is detail_two
