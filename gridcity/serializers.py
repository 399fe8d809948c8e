"""What the API's serializers share."""

from __future__ import annotations

import copy
from typing import Any

# Each class's fields as ModelSerializer first built them, never bound to a serializer.
_built: dict[type, dict[str, Any]] = {}


class FieldsBuiltOnce:
    """For a ModelSerializer whose fields depend on its class alone (not on its context or
    instance): the fields are worked out from the model once per process, and each serializer
    gets copies of them. Working them out again for every answer cost more than a millisecond
    of each case's detail (bench/RESULTS.md, eighth round)."""

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = _built.get(cls)
        if built is None:
            built = _built[cls] = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(built)
