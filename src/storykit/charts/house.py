"""The house look of every chart: palette, fonts, layout template, chrome, colours per entity, legends.

`house(fig)` is what chart_bundle applies to every figure, whatever the notebook did: no mode bar,
nothing that zooms or pans, one colour per entity (`COLOURS`), legends in the order of the marks,
and hover text written for readers (storykit.charts.words.hover).
"""

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from .words import hover, is_data

# Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies; blue first,
# yellow (weak on white) late. Their grey sets a "before" or "the rest" against the accent.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
GREY = "#999999"
BLUE, VERMILLION, GREEN, ORANGE, SKY, PURPLE, YELLOW, BLACK = OKABE_ITO
# One colour per entity wherever it recurs on the site, matched to trace names (ignoring case).
# Entities that share a chart have different colours; the same colour on two pages never shares one.
COLOURS = {
    "Before the cease-fire": GREY, "After the cease-fire": BLUE,
    "Involving a group the truce excluded": VERMILLION, "All other organised violence": GREY,
    "UNHCR": BLUE, "IDMC": VERMILLION, "OCHA": GREEN, "UCDP": ORANGE, "VDC": PURPLE,
    "Violations Documentation Center": PURPLE,
    "Türkiye": VERMILLION, "Turkey": VERMILLION, "Lebanon": GREEN, "Jordan": ORANGE, "Iraq": SKY,
    "Egypt": PURPLE, "Germany": BLUE, "Sweden": BLACK,  # black, not yellow: yellow bars vanish on white
    "All other countries": GREY, "Other countries": GREY, "Other": GREY, "Rest of the world": GREY,
}
_COLOUR = {k.casefold(): v for k, v in COLOURS.items()}
# The reader's own system fonts: no web font is ever requested.
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
SEQUENTIAL = px.colors.sequential.Viridis[::-1]  # counts: perceptually even and colour-blind safe; dark = more
DIVERGING = px.colors.diverging.RdBu[::-1]  # change: red = more, blue = fewer, white = none; colour-blind safe
TEXT, GRID, AXIS = "#1a1a1a", "#e3e3e3", "#595959"
# No mode bar: its buttons share to Plotly's cloud, zoom and pan, and on a phone it covers the data.
# The wheel scrolls the page (plotly's scrollZoom covers geo maps too); a double tap resets nothing.
CONFIG = {"responsive": True, "displayModeBar": False, "displaylogo": False, "scrollZoom": False,
          "doubleClick": False}
GEO_TYPES = {"choropleth", "scattergeo"}

TEMPLATE = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=14, color=TEXT),
        colorway=list(OKABE_ITO),
        colorscale=dict(sequential=SEQUENTIAL, diverging=DIVERGING),
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=420,
        margin=dict(l=8, r=16, t=16, b=8),
        # Above the plot and horizontal: legends wrap instead of squeezing the plot on a phone, and
        # never cover the x-axis title (the chart's title is the page's heading, not Plotly's).
        legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom", title_text=""),
        hoverlabel=dict(font=dict(family=FONT, size=14)),
        xaxis=dict(automargin=True, showgrid=False, linecolor=AXIS, ticks="outside", tickcolor=AXIS,
                   title=dict(standoff=8)),
        yaxis=dict(automargin=True, gridcolor=GRID, zeroline=False, hoverformat=",", separatethousands=True,
                   title=dict(standoff=8)),
        coloraxis=dict(colorscale=SEQUENTIAL, colorbar=dict(thickness=12, outlinewidth=0, separatethousands=True)),
        geo=dict(visible=False, fitbounds="locations", projection=dict(type="mercator"), scope="world",
                 resolution=110, bgcolor="white"),
    )
)
pio.templates["storykit"] = TEMPLATE
pio.templates.default = "storykit"


def house(fig: go.Figure) -> go.Figure:
    """The house chrome, colours, legend order and hover text, applied to `fig` in place."""
    fig.update_layout(template=TEMPLATE, dragmode=False)  # nothing pans or zooms by drag, on a map either
    if not any(t.type in GEO_TYPES for t in fig.data):
        fig.update_xaxes(fixedrange=True)  # a phone's drag scrolls the page, never the axes
        fig.update_yaxes(fixedrange=True)
    colour(fig)
    legend_order(fig)
    return hover(fig)


def colour(fig: go.Figure) -> go.Figure:
    """Each bar or line trace named in COLOURS takes its colour. A trace not named keeps its own, unless
    a named trace on the chart wears it: then it takes a palette colour no other trace has."""
    traces = {i: t for i, t in enumerate(fig.data) if t.type in ("bar", "scatter") and is_data(t)}
    named = {i: _COLOUR[t.name.casefold()] for i, t in traces.items() if t.name and t.name.casefold() in _COLOUR}
    # A trace with no colour of its own gets the colorway's, by its place among the traces.
    own = {i: (t.marker.color if t.type == "bar" else t.line.color or t.marker.color)
           or OKABE_ITO[i % len(OKABE_ITO)] for i, t in traces.items() if i not in named}
    taken = set(named.values()) | {c for c in own.values() if isinstance(c, str)}
    spare = iter([c for c in OKABE_ITO if c not in taken])
    for i, t in traces.items():
        c = named.get(i) or (next(spare, GREY) if isinstance(own[i], str) and own[i] in named.values() else None)
        if c and t.type == "bar":
            t.marker.color = c
        elif c:
            t.line.color = c
            if t.marker.color is not None:
                t.marker.color = c
    return fig


def legend_order(fig: go.Figure) -> go.Figure:
    """Legend entries in the order the marks are drawn, unless the notebook chose an order.

    A vertical stack (bars or areas) draws its first trace at the bottom: reversed, the legend (above
    the plot, wrapping in reading order) names the top of the stack first, as the eye meets the marks.
    Horizontal stacks and grouped bars already run left to right in trace order, as the legend does.
    """
    bars = fig.layout.barmode in ("stack", "relative") and any(
        t.type == "bar" and t.orientation != "h" for t in fig.data)
    areas = any(t.type == "scatter" and t.stackgroup for t in fig.data)
    if (bars or areas) and not fig.layout.legend.traceorder:
        fig.update_layout(legend_traceorder="reversed")
    return fig
