"""Read-only API views of the city model: GeoJSON lists with filters and pagination, and
Mapbox vector tiles of grids and components."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import renderers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from grids import selectors, tiles
from grids.api.serializers import (
    AreaSerializer,
    CategorySerializer,
    ComponentSerializer,
    GridSerializer,
)
from grids.filters import AreaFilter, CategoryFilter, ComponentFilter, GridFilter
from grids.models import Area, Category, Component, Grid


class FeaturePagination(GeoJsonPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The OpenAPI schema of a page: drf-spectacular hands over the list's schema, which
        already describes a whole FeatureCollection; a page is that collection plus its counts
        (the parent class would nest the collection inside `features`)."""
        counts = PageNumberPagination.get_paginated_response_schema(self, schema)
        counts["properties"].pop("results")
        counts["required"] = [name for name in counts.get("required", []) if name != "results"]
        return {"allOf": [schema, counts]}


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AreaSerializer
    filterset_class = AreaFilter
    pagination_class = FeaturePagination
    lookup_field = "code"

    def get_queryset(self) -> QuerySet[Area]:
        return selectors.area_list()


class GridViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = GridSerializer
    filterset_class = GridFilter
    pagination_class = FeaturePagination

    def get_queryset(self) -> QuerySet[Grid]:
        # Every version; GridFilter narrows the list to the grids in force unless asked not to.
        return selectors.grid_list(include_retired=True)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter

    def get_queryset(self) -> QuerySet[Category]:
        return selectors.category_list()


class ComponentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilter
    pagination_class = FeaturePagination
    lookup_field = "identifier"

    def get_queryset(self) -> QuerySet[Component]:
        return selectors.component_list()


class VectorTileRenderer(renderers.BaseRenderer):
    media_type = tiles.MVT_CONTENT_TYPE
    format = "mvt"
    charset = None
    render_style = "binary"

    def render(
        self,
        data: object,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        return data if isinstance(data, bytes) else b""


class TileView(APIView):
    """One z/x/y tile of a layer, as produced by PostGIS ST_AsMVT. Tiles of a layer with a data
    version carry it as their ETag: a browser revalidating a tile it holds gets a 304 for the
    price of one query, and the server renders each version of a tile once (Django's cache)."""

    renderer_classes = [VectorTileRenderer, renderers.JSONRenderer]
    layer = ""

    @extend_schema(
        responses={(200, tiles.MVT_CONTENT_TYPE): OpenApiTypes.BINARY, 304: None},
        description="Mapbox vector tile (z/x/y, Web Mercator). Grids below the grid zoom come as "
        "community outlines; components below the component zoom as clusters with a count. "
        "Component tiles carry an ETag and answer If-None-Match with 304 Not Modified.",
    )
    def get(self, request: Request, z: int, x: int, y: int) -> HttpResponse:
        if not tiles.tile_exists(z=z, x=x, y=y):
            raise NotFound("tile out of range")
        version = tiles.tile_version(layer=self.layer)
        etag = f'"{version}"' if version else None
        response = get_conditional_response(request, etag=etag)
        if response is None:
            body = tiles.tile_render(layer=self.layer, z=z, x=x, y=y, version=version)
            response = HttpResponse(body, content_type=tiles.MVT_CONTENT_TYPE)
        # Signed-in users only, so private: a shared proxy must not hand tiles to anyone else.
        response["Cache-Control"] = "private, max-age=60"
        if etag:
            response["ETag"] = etag
        return response


class GridTileView(TileView):
    layer = "grids"


class ComponentTileView(TileView):
    layer = "components"
