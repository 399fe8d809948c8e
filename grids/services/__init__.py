"""Every write of the city model. Import from here: `from grids.services import grid_create`."""

from grids.services.areas import area_create, area_update
from grids.services.categories import (
    category_directory_load,
    category_local_add,
    category_retire,
    category_update,
    legacy_code_map,
)
from grids.services.components import component_create, component_update
from grids.services.generator import grids_generate, grids_generate_within
from grids.services.grids import (
    grid_boundary_correct,
    grid_create,
    grid_retire,
    grid_retire_and_replace,
)

__all__ = [
    "area_create",
    "area_update",
    "category_directory_load",
    "category_local_add",
    "category_retire",
    "category_update",
    "component_create",
    "component_update",
    "grid_boundary_correct",
    "grid_create",
    "grid_retire",
    "grid_retire_and_replace",
    "grids_generate",
    "grids_generate_within",
    "legacy_code_map",
]
