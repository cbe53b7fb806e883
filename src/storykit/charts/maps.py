"""Maps of Syria's governorates: `choropleth(...)`, with names on the map and the boundary's sources.

Syria fills its frame; counts get the one sequential palette (from zero) and changes the one
diverging palette (centred on zero); slider maps open on their latest frame; names sit inside the
governorates with room for them, and a highlighted governorate is outlined (and marked, if small).
The names and outline are scattergeo traces whose `meta` is LABELS: never data.
"""

import json
from html import escape

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from ..errors import StorykitError
from ..paths import processed_dir
from .. import catalogue
from .house import DIVERGING, SEQUENTIAL, TEXT
from .words import LABELS, value_format

SMALL = 0.011  # a governorate under this share of the map's area has no room for its name in place
HALO = "0 0 2px #fff, 0 0 2px #fff"  # names stay legible on dark fills
# Horizontal, in the frame's empty south-east corner (the desert beyond the border): the map keeps the
# whole width on a phone and the whole height on a wide screen.
COLOUR_BAR = dict(orientation="h", x=1, xanchor="right", y=0.02, yanchor="bottom", lenmode="pixels", len=220,
                  thickness=10)

NAMES = "<b>%{customdata[0]}</b> · %{customdata[1]}"  # a place's hover names it in English and Arabic


def choropleth(data: pd.DataFrame, *, color: str, label: str | None = None, animation_frame: str | None = None,
               diverging: bool = False, highlight: str | None = None, geojson: dict | str | None = None,
               boundary_source: str | tuple[str, ...] | None = None) -> go.Figure:
    """A map of governorates coloured by `color`, one row of `data` per P-code (column `pcode`) per frame.

    The shapes default to the processed provinces layer; English and Arabic names show on hover, and
    the English ones on the map where there is room. Counts get the sequential palette from zero;
    `diverging=True` (a change) the diverging one, symmetric about zero. With `animation_frame` (e.g.
    "year") the map gets a slider and one colour scale for all frames, and opens on the latest.
    `highlight` (a P-code) outlines that governorate and, if it is small, marks and names it.
    """
    shapes, boundary = _layer(geojson, boundary_source)
    unknown = sorted((set(data["pcode"].astype(str)) | ({highlight} - {None})) - set(shapes["pcode"]))
    if unknown:
        raise StorykitError(f"Map data column 'pcode' has codes the map layer lacks: {', '.join(unknown)}.")
    gj = json.loads(shapes[["pcode", "geometry"]].to_json(drop_id=True))
    names = shapes.set_index("pcode")[["name_en", "name_ar"]]
    frame = data.join(names[[c for c in names if c not in data]], on="pcode")
    if animation_frame:
        frame = frame.sort_values(animation_frame, kind="stable")  # the last frame is the latest
    label = label or color
    values = pd.to_numeric(frame[color], errors="coerce")
    fig = px.choropleth(frame, geojson=gj, locations="pcode", featureidkey="properties.pcode", color=color,
                        animation_frame=animation_frame, range_color=colour_range(values, diverging),
                        custom_data=["name_en", "name_ar"], labels={color: label},
                        color_continuous_scale=DIVERGING if diverging else SEQUENTIAL)
    text = (f"{NAMES}<br>{escape(label)}: "
            f"%{{z:{value_format(values, label)}}}<extra></extra>")
    fig.update_traces(hovertemplate=text, marker_line_color="white", marker_line_width=0.8)
    for fr in fig.frames:
        for tr in fr.data:
            tr.hovertemplate = text
            tr.geojson = None  # the shapes stay on the base trace; frames carry only the values
    if fig.frames:
        _open_on_latest(fig, animation_frame)
    drawn = shapes["pcode"].isin(frame["pcode"].astype(str)) | (shapes["pcode"] == highlight)
    fig.add_traces(place_labels(shapes[drawn], highlight))  # after the shapes: drawn on top; frames leave them be
    fig.update_geos(fitbounds="locations", visible=False)  # Syria fills its frame
    fig.update_layout(margin=dict(l=0, r=0, t=0, b=0), coloraxis_cmid=0 if diverging else None,
                      coloraxis_colorbar=COLOUR_BAR | dict(title=dict(text=label, side="top")))
    fig._storykit_boundary = boundary
    return fig


def _layer(geojson, boundary_source):
    """The map's shapes (pcode, names, geometry with clockwise exteriors) and their catalogue ids."""
    import geopandas as gpd
    import shapely

    path = None
    if geojson is None:
        path = processed_dir() / "provinces.geojson"
        if not path.is_file():
            raise StorykitError(f"{path} is missing: run `storykit process` first.")
        geojson = json.loads(path.read_text(encoding="utf-8"))
    elif isinstance(geojson, str):
        geojson = json.loads(open(geojson, encoding="utf-8").read())
    boundary = ((boundary_source,) if isinstance(boundary_source, str) else tuple(boundary_source or ())) \
        or _provinces_sources()
    for s in boundary:
        catalogue.get(s)
    shapes = gpd.GeoDataFrame.from_features(geojson["features"])
    missing = [c for c in ("pcode", "name_en", "name_ar") if c not in shapes.columns]
    if missing:
        raise StorykitError(f"The map layer {path or 'given'} has no property {', '.join(missing)}.")
    # Plotly's geo maps fill the outside of counter-clockwise rings: make exteriors clockwise.
    shapes["geometry"] = shapely.orient_polygons(shapes.geometry.values, exterior_cw=True)
    return shapes, boundary


def _provinces_sources() -> tuple[str, ...]:
    from .. import data  # records only the provinces' entry as this page's input, not the whole package

    return data.sources("provinces")


def colour_range(values: pd.Series, diverging: bool) -> tuple[float, float] | None:
    """One scale for all frames: counts from zero; a change symmetric about zero, so white means none."""
    if values.isna().all():
        return None
    lo, hi = float(values.min()), float(values.max())
    if diverging:
        reach = max(abs(lo), abs(hi)) or 1.0
        return (-reach, reach)
    lo = min(0.0, lo)
    return (lo, hi if hi > lo else lo + 1)


def _open_on_latest(fig: go.Figure, animation_frame: str) -> None:
    """A slider map opens on its latest frame: the base traces show its values, the slider its step."""
    for base, latest in zip(fig.data, fig.frames[-1].data):
        base.update({k: v for k, v in latest.to_plotly_json().items() if k not in ("type", "geojson")})
    if fig.layout.sliders:
        slider = fig.layout.sliders[0]
        slider.active = len(slider.steps) - 1
        slider.currentvalue.prefix = f"{animation_frame.replace('_', ' ').capitalize()}: "
        slider.pad.r = 24  # room for the last step's label on a phone


def place_labels(shapes, highlight: str | None = None) -> list[go.Scattergeo]:
    """The names of the governorates with room for them (by area: the smallest have none), each at a
    point inside its shape; the highlighted one outlined and named, with a mark if it is small, since
    a few pixels of fill are not enough to find it."""
    import shapely

    area = pd.Series(shapely.area(shapes.geometry.values), index=shapes.index)
    small = area < SMALL * area.sum()
    points = shapes.geometry.representative_point()
    one = shapes["pcode"] == highlight
    common = dict(hoverinfo="skip", showlegend=False, meta=LABELS)

    def names(which, **style):
        return go.Scattergeo(lon=points[which].x.round(4).tolist(), lat=points[which].y.round(4).tolist(),
                             text=shapes.loc[which, "name_en"].tolist(), **common, **style)

    # Each name carries its governorate's share of the area: charts.js keeps only the roomiest on a phone.
    share = (area / area.sum()).round(3)
    traces = [names(~small & ~one, mode="text", textfont=dict(size=12, color=TEXT, shadow=HALO), name="names",
                    customdata=share[~small & ~one].tolist())]
    if highlight is not None:
        lon, lat = [], []
        for ring in shapely.get_exterior_ring(shapely.get_parts(shapes.geometry[one].values)):
            xy = shapely.get_coordinates(ring).round(4).tolist()
            lon, lat = lon + [x for x, _ in xy] + [None], lat + [y for _, y in xy] + [None]
        traces.append(go.Scattergeo(lon=lon, lat=lat, mode="lines", line=dict(color=TEXT, width=2), name="outline",
                                    **common))
        # A small one is marked, its name above the mark, clear of a neighbour's (Damascus, Rural Damascus).
        mark = dict(mode="markers+text", textposition="top center") if small[one].any() else dict(mode="text")
        traces.append(names(one, **mark, textfont=dict(size=13, color=TEXT, shadow=HALO), name="highlight",
                            marker=dict(size=10, color=TEXT, line=dict(color="white", width=1.5))))
    return traces
