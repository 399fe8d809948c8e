"""Bulk imports of areas, grids and components from any GDAL-readable file: every feature is
checked, every problem is reported by feature index, and nothing is written unless all pass."""

from grids.services.imports.areas import areas_import
from grids.services.imports.components import components_import
from grids.services.imports.grids import grids_import
from grids.services.imports.staging import ImportResult

__all__ = ["ImportResult", "areas_import", "components_import", "grids_import"]
