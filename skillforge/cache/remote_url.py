"""The remote cache's URL in the config (DESIGN §5.1), read without loading the HTTP client.

Light: standard library only; the config loader calls it on every run.
"""

from __future__ import annotations

import os

from skillforge.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def remote_url(configured: str, what: str) -> str:
    """The remote cache URL: SKILLFORGE_REMOTE_CACHE, else `[cache] remote` ("" for none)."""
    url = os.environ.get("SKILLFORGE_REMOTE_CACHE", "").strip()
    if url:
        what = "SKILLFORGE_REMOTE_CACHE"
    else:
        url = configured.strip()
    if not url:
        return ""
    wrong = check_url(url)
    if wrong is not None:
        raise ConfigError(f"{what} {wrong}")  # never the URL itself: it may hold a secret
    return url


def without_remote(data: dict[str, Any]) -> dict[str, Any]:
    """The config without what cannot change an output (the remote cache): its digest."""
    cache = data.get("cache")
    if not isinstance(cache, dict) or "remote" not in cache:
        return data
    rest = {k: v for k, v in cache.items() if k != "remote"}
    if rest:
        return {**data, "cache": rest}
    return {k: v for k, v in data.items() if k != "cache"}


def check_url(url: str) -> str | None:
    """Return what is wrong with a configured remote URL, or None when it is usable."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "names no host"
    if parts.username is not None or parts.password is not None:
        return (
            "must not hold credentials: put them in SKILLFORGE_REMOTE_HEADER or a netrc file, "
            "not in a config that is committed"
        )
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    return None
