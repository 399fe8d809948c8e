"""Output serializers of the read-only city-model API: GeoJSON features for areas, grids and
components, plain JSON for the category directory."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_gis import GeoFeatureModelSerializerExtension
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from grids.models import Area, Category, Component, Grid


class AreaSerializer(GeoFeatureModelSerializer):
    # A district has no parent, and an area may be registered before its outline is drawn:
    # both are null then, and the schema says so (see AreaSchema).
    parent_code = serializers.CharField(
        source="parent.code", default=None, read_only=True, allow_null=True
    )
    level_label = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Area
        geo_field = "boundary"
        fields = ["id", "code", "name", "level", "level_label", "parent_code"]


class GridSerializer(GeoFeatureModelSerializer):
    community_code = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    area_m2 = serializers.SerializerMethodField()

    class Meta:
        model = Grid
        geo_field = "boundary"
        fields = [
            "id", "code", "community_code", "community_name", "grade", "area_m2",
            "valid_from", "valid_to",
        ]  # fmt: skip

    def get_area_m2(self, grid: Grid) -> float:
        return round(grid.area_m2, 1)


class CategorySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Category
        fields = [
            "id", "kind", "kind_label", "code", "name", "name_en", "major_code", "major_name",
            "edition", "is_local", "retired_on",
        ]  # fmt: skip


class ComponentSerializer(GeoFeatureModelSerializer):
    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    data_source_label = serializers.CharField(source="get_data_source_display", read_only=True)
    distance_m = serializers.SerializerMethodField()

    class Meta:
        model = Component
        geo_field = "geometry"
        fields = [
            "id", "identifier", "category_code", "category_name", "name",
            "supervising_unit_code", "supervising_unit_name", "owner_unit_code",
            "owner_unit_name", "maintenance_unit_code", "maintenance_unit_name",
            "grid_code", "status", "status_label", "survey_date", "change_date", "data_source",
            "data_source_label", "remarks", "street_code", "street_name", "community_code",
            "community_name", "distance_m",
        ]  # fmt: skip

    def get_distance_m(self, component: Component) -> float | None:
        distance = getattr(component, "distance_m", None)
        return None if distance is None else round(distance, 2)


class AreaSchema(GeoFeatureModelSerializerExtension):
    """OpenAPI for AreaSerializer: drf-spectacular's GeoJSON support does not mark a nullable
    geometry (Area.boundary) as nullable."""

    target_class = "grids.api.serializers.AreaSerializer"
    priority = 1

    def map_serializer(self, auto_schema, direction):  # type: ignore[no-untyped-def]
        schema = super().map_serializer(auto_schema, direction)
        schema["properties"]["geometry"]["nullable"] = True
        return schema
