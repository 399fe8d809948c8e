"""Geometry helpers shared by every app. Points are built only here, by keyword, in SRID 4326."""

from __future__ import annotations

from django.contrib.gis.geos import Point

WGS84 = 4326


def make_point(*, lon: float, lat: float) -> Point:
    """A WGS84 point. Keyword-only so that longitude and latitude are never swapped."""
    lon, lat = float(lon), float(lat)
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon} is outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} is outside -90..90")
    return Point(lon, lat, srid=WGS84)
