"""A failure alert: a Slack-compatible webhook ({"text": ...}), if STORYKIT_ALERT_WEBHOOK is set.

The address comes only from the environment (it is a secret: whoever has it can post to the
channel), never from a file in the repository. An alert that cannot be sent is logged and
otherwise ignored: a broken webhook must not fail a build, nor hide why the build failed.
"""

import os

ENV = "STORYKIT_ALERT_WEBHOOK"
TIMEOUT = 10  # seconds: a scheduled build must not hang on a chat server
MAX_TEXT = 3000  # chat services cut or refuse longer messages


def send(text: str, log=print) -> bool:
    """Post `text` to the webhook; True if it was accepted. Without a webhook, do nothing."""
    url = os.environ.get(ENV, "").strip()
    if not url:
        return False
    import httpx

    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 40] + "\n... (cut; the build log has the rest)"
    try:
        response = httpx.post(url, json={"text": text}, timeout=TIMEOUT)
        response.raise_for_status()
    except Exception as e:  # the URL is never logged: it is a secret
        log(f"alert not sent: the webhook in {ENV} failed ({type(e).__name__}: {_short(e, url)})")
        return False
    return True


def _short(error: Exception, url: str) -> str:
    return str(error).replace(url, "<webhook>").splitlines()[0][:200] if str(error) else "no detail"


def changed_headlines(entries: list[dict]) -> str | None:
    """The message naming the headline figures a build changed (entries of storykit.site.changes), or None."""
    lines = []
    for e in entries:
        for f in e.get("figures", []):
            if f.get("headline"):
                was = f["old"] if f["old"] is not None else "not shown"
                now = f["new"] if f["new"] is not None else "no longer shown"
                lines.append(f"  {e.get('title', e['page'])} ({e['page']}): {f['what']}: {now}, was {was}")
    if not lines:
        return None
    return "storykit build changed headline figures:\n" + "\n".join(lines) + "\nEvery change: reports/changes.html"
