"""Fixtures of the query-count tests: the cases app's small world."""

from __future__ import annotations

import pytest

from tests.factories.cases import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()
