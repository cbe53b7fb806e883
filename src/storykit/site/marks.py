"""The places in a page that the build fills once the page is made, each between two HTML comments,
<!--sk-NAME--> and <!--/sk-NAME-->: the menu and the links between pages (storykit.site.navigation),
a notice (storykit.site.index), the dates and the "What changed" part (storykit.site.changes)."""


def block(name: str, inner: str) -> str:
    """The place `name` holding `inner`, for a page that has no such place yet."""
    return f"<!--sk-{name}-->{inner}<!--/sk-{name}-->"


def fill(html: str, name: str, inner: str, *, last: bool = False) -> str | None:
    """The page with its place `name` holding `inner` (what it held before replaced); None if the page
    has no such place. `last` fills the last one: a place after the body, which a body quoting the
    marker must not take."""
    start, end = f"<!--sk-{name}-->", f"<!--/sk-{name}-->"
    i = html.rfind(start) if last else html.find(start)
    j = html.find(end, i) if i >= 0 else -1
    return None if j < 0 else html[:i + len(start)] + inner + html[j:]
