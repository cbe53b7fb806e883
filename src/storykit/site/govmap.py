"""The index's map of the places a fan-out has pages for (the governorates), drawn at build time.

An inline SVG, so it needs no script and no file: each place with a page is a link to it, which a
keyboard reaches like any other, named by the page's title. The shapes are the processed provinces
layer, simplified together (shared borders stay shared) until the map weighs a few kilobytes.
"""

import hashlib
import json
import math
from html import escape
from pathlib import Path

from .config import Config

LAYER = "provinces.geojson"  # in data/processed: the layer storykit.data.provinces() reads
WIDTH = 400  # the map's width in its own units; it scales to its box
TOLERANCE = 0.012  # degrees: what a phone-sized map can show
LABELLED = 0.025  # a place under this share of the map's area has no room for its name


def layer_digest(processed: Path) -> str:
    """What the map is drawn from, for the index's key (standard library only: every build asks)."""
    try:
        return hashlib.sha256((processed / LAYER).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def fan_map(config: Config, manifest: dict, processed: Path, arabic: bool = False) -> dict | None:
    """{"folder", "svg", "sources"} for the first fan-out whose values are places of the layer and that
    has a published page (in Arabic, `arabic`: a page with an Arabic edition); None if there is none."""
    try:
        layer = json.loads((processed / LAYER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    places = {str(f.get("properties", {}).get("pcode")): f for f in layer.get("features", [])}
    for r in config.reports:
        fan = r.get("fan_out")
        if not fan or not {str(v) for v in fan["pages"].values()} <= set(places):
            continue
        folder = fan.get("folder", r["name"])
        entries = {str(v): manifest.get(f"{folder}/{k}.html") for k, v in fan["pages"].items()}
        entries = {v: (e.get("ar") if arabic else e) for v, e in entries.items() if e}
        hrefs = {str(v): f"{folder}/{k}.html" for k, v in fan["pages"].items()}
        links = {v: (hrefs[v], e["title"]) for v, e in entries.items() if e}
        if links:
            label = config.label(r, arabic) or r["name"]
            return {"folder": folder, "svg": svg(places, links, label, arabic), "sources": _sources(processed)}
    return None


def svg(places: dict, links: dict, label: str, arabic: bool = False) -> str:
    """The map: `places` {code: GeoJSON feature}, `links` {code: (href, title)} for those with a page;
    its names in Arabic with `arabic`."""
    codes = list(places)
    shapes = [_polygons(places[c]["geometry"]) for c in codes]  # [polygon: [ring: [(lon, lat)]]] per place
    xs = [x for polys in shapes for poly in polys for ring in poly for x, _ in ring]
    ys = [y for polys in shapes for poly in polys for ring in poly for _, y in ring]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    squeeze = math.cos(math.radians((y0 + y1) / 2))  # a degree of longitude is shorter than one of latitude
    scale = WIDTH / ((x1 - x0) * squeeze)
    height = math.ceil((y1 - y0) * scale)
    shapes = [[[[((x - x0) * squeeze * scale, (y1 - y) * scale) for x, y in ring] for ring in poly] for poly in polys]
              for polys in shapes]
    simple = _simplified([ring for polys in shapes for poly in polys for ring in poly], TOLERANCE * scale)
    total = sum(abs(_area(poly[0])) for polys in shapes for poly in polys)
    parts = [f'<svg class="place-map-svg" viewBox="0 0 {WIDTH} {height}" role="group" '
             f'aria-label="{escape(label)}: {"خريطة" if arabic else "a map"}">']
    names = []  # drawn over every shape, so that no neighbour covers one; the links carry the names
    for code, polys in zip(codes, shapes):
        d = "".join(_path(r) for r in (simple.pop(0) for poly in polys for _ in poly) if len(r) >= 3)
        name = places[code].get("properties", {}).get("name_ar" if arabic else "name_en") or code
        if sum(abs(_area(poly[0])) for poly in polys) / total >= LABELLED:
            x, y = _inside(max(polys, key=lambda poly: abs(_area(poly[0]))))
            names.append(f'<text x="{_n(x)}" y="{_n(y)}">{escape(name)}</text>')
        if code in links:
            href, title = links[code]
            parts.append(f'<a href="{escape(href)}" aria-label="{escape(title)}"><title>{escape(title)}</title>'
                         f'<path d="{d}"/></a>')
        else:
            parts.append(f'<g class="no-page"><title>{escape(name)}</title><path d="{d}"/></g>')
    parts.append('<g class="place-map-names" aria-hidden="true">' + "".join(names) + "</g>")
    return "\n".join(parts) + "\n</svg>"


# Written here, with the standard library, rather than with shapely: a build must not import numpy
# (tests/test_house.py), and the layer is small.


def _polygons(geometry: dict) -> list:
    rings = geometry["coordinates"]
    polys = [rings] if geometry["type"] == "Polygon" else rings
    return [[[tuple(p) for p in ring[:-1]] for ring in poly] for poly in polys]  # rings open: no repeated point


def _simplified(rings: list, tolerance: float) -> list:
    """Each ring simplified (Douglas-Peucker) so that neighbours keep one border: the points where a
    border meets another stay, and a stretch of border two places share is simplified once, in one
    direction, for both."""
    owners: dict = {}
    for i, ring in enumerate(rings):
        for p in ring:
            owners.setdefault(p, set()).add(i)
    fixed = {p for ring in rings for k, p in enumerate(ring)
             if owners[p] != owners[ring[k - 1]] or owners[p] != owners[ring[(k + 1) % len(ring)]]}
    for ring in rings:  # a ring with no junction (an island, a place inside another): two points all agree on
        if sum(p in fixed for p in ring) < 2:
            fixed |= {min(ring), max(ring)}
    done: dict = {}
    out = []
    for ring in rings:
        first = next(k for k, p in enumerate(ring) if p in fixed)
        ring = ring[first:] + ring[:first] + [ring[first]]
        kept, start = [], 0
        for k in range(1, len(ring)):
            if ring[k] in fixed:
                stretch = ring[start:k + 1]
                forward = stretch[0] <= stretch[-1]
                key = tuple(stretch if forward else stretch[::-1])
                if key not in done:
                    done[key] = _douglas_peucker(list(key), tolerance)
                kept += (done[key] if forward else done[key][::-1])[:-1]
                start = k
        out.append(kept)
    return out


def _douglas_peucker(points: list, tolerance: float) -> list:
    if len(points) < 3:
        return points
    (ax, ay), (bx, by) = points[0], points[-1]
    length = math.hypot(bx - ax, by - ay)
    far, at = -1.0, 0
    for k in range(1, len(points) - 1):
        px, py = points[k]
        gap = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length if length else math.hypot(px - ax, py - ay)
        if gap > far:
            far, at = gap, k
    if far <= tolerance:
        return [points[0], points[-1]]
    return _douglas_peucker(points[:at + 1], tolerance)[:-1] + _douglas_peucker(points[at:], tolerance)


def _area(ring: list) -> float:
    return sum(x * y2 - x2 * y for (x, y), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / 2


def _inside(poly: list) -> tuple[float, float]:
    """A point well inside the polygon for its name: the middle of the widest stretch of the polygon
    across the horizontal line through its centroid."""
    ring, a = poly[0], _area(poly[0])
    cy = sum((y + y2) * (x * y2 - x2 * y) for (x, y), (x2, y2) in zip(ring, ring[1:] + ring[:1])) / (6 * a)
    cross = sorted(x + (cy - y) * (x2 - x) / (y2 - y) for r in poly for (x, y), (x2, y2) in zip(r, r[1:] + r[:1])
                   if (y <= cy) != (y2 <= cy))
    left, right = max(zip(cross[::2], cross[1::2]), key=lambda lr: lr[1] - lr[0])
    return (left + right) / 2, cy


def _path(points: list[tuple[float, float]]) -> str:
    """A ring as SVG path data, each point relative to the one before: a third of the bytes."""
    (x, y), out = points[0], [f"M{_n(points[0][0])} {_n(points[0][1])}l"]
    for nx, ny in points[1:]:
        dx, dy = _n(round(nx - x, 1)), _n(round(ny - y, 1))
        out.append(("" if dx.startswith("-") or len(out) == 1 else " ") + dx + ("" if dy.startswith("-") else " ") + dy)
        x, y = nx, ny
    return "".join(out) + "z"


def _n(v: float) -> str:
    """A number as short as SVG allows: 0.5 as .5, 2.0 as 2."""
    text = f"{v:.1f}".rstrip("0").rstrip(".")
    return (text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text) or "0"


def _sources(processed: Path) -> list[str]:
    """The attribution of the layer's sources, as the catalogue words it (datapackage.json names them)."""
    from .. import catalogue

    try:
        package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
        ids = [s["id"] for r in package.get("resources", []) if r.get("path") == LAYER or r.get("name") == "provinces"
               for s in r.get("sources", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    out = []
    for i in dict.fromkeys(ids):
        try:
            out.append(catalogue.get(i).attribution)
        except Exception:  # noqa: BLE001 (a source the catalogue lacks: the map goes without its line)
            continue
    return out
