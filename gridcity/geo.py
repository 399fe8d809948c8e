"""Geometry helpers shared by every app. Points are built only here, by keyword, in SRID 4326."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.db.models import FloatField, Func

WGS84 = 4326


class Lon(Func):
    """A point's longitude read in the database (ST_X): a float, with no GEOS object built for
    it on the way out, for lists that need only the coordinates of thousands of points."""

    function = "ST_X"
    output_field = FloatField()


class Lat(Func):
    """A point's latitude read in the database (ST_Y); see Lon."""

    function = "ST_Y"
    output_field = FloatField()


def make_point(*, lon: float, lat: float) -> Point:
    """A WGS84 point. Keyword-only so that longitude and latitude are never swapped."""
    lon, lat = float(lon), float(lat)
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    return Point(lon, lat, srid=WGS84)
