"""The remote cache client: bazel-remote's HTTP protocol on the standard library (DESIGN §5.1).

`GET`/`PUT` on `<url>/cas/<sha256>` (content, addressed by the sha256 of its bytes) and
`<url>/ac/<sha256>` (a key, the sha256 of a name, to a small JSON value). bazel-remote, nginx
or Apache WebDAV and other build-cache servers serve it.

`http.client` with persistent connections, one per thread of a small pool: a batch of
lookups is sent concurrently, so a fresh clone asks for a thousand entries in a few round
trips' worth of time. No new dependency: the requests are small, plain and to one host.

Trust. Every CAS value read is checked against its sha256 (a mismatch is a warning and a
miss). Nothing read is run or unpickled: values are text and JSON. Writing needs the caller's
`write` (`--remote-write`, `SKILLFORGE_REMOTE_WRITE=1`). Credentials come from the environment
only (`SKILLFORGE_REMOTE_HEADER`, netrc) and never appear in a message: errors name the
server by `display` (scheme, host, port and path, no credentials).

Failure is never fatal: the first transport error, time-out, 4xx/5xx other than 404, or an
answer that is not HTTP gives one warning, and the remote is dropped for the rest of the run.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import netrc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit

from skillforge import __version__

ENV_URL = "SKILLFORGE_REMOTE_CACHE"
ENV_WRITE = "SKILLFORGE_REMOTE_WRITE"
ENV_HEADER = "SKILLFORGE_REMOTE_HEADER"
ENV_TIMEOUT = "SKILLFORGE_REMOTE_TIMEOUT"
DEFAULT_TIMEOUT = 2.0  # seconds: at most between two reads of an answer
CONNECT_TIMEOUT = 1.0  # seconds: at most to connect
THREADS = 8
MAX_VALUE = 64 * 2**20  # a value larger than this is garbage, not read into memory
CAS, AC = "cas", "ac"
KEY_FORMAT = 1


def records_key(env: str, config_digest: str) -> str:
    """The AC key of a project's records: what renders them the same way (not the specs)."""
    name = "\0".join(("skillforge-records", str(KEY_FORMAT), __version__, env, config_digest))
    return sha256(name.encode())


def environment_key() -> str:
    """The versions a render depends on (DESIGN §5): skillforge, Jinja2, PyYAML, Python.

    Read from the installed distributions' folder names when they are found next to the
    packages, so that a `check` that renders nothing need not import Jinja2 to know them.
    """
    return sha256(
        "\0".join((__version__, _version("jinja2"), _version("yaml"), sys.version)).encode()
    )


def _version(module: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(module)
    origin = spec.origin if spec is not None else None
    if origin:
        site = os.path.dirname(os.path.dirname(origin))
        dist = {"jinja2": "jinja2-", "yaml": "pyyaml-"}[module]
        with contextlib.suppress(OSError):
            found = [
                name[len(dist) : -len(".dist-info")]
                for name in os.listdir(site)
                if name.lower().startswith(dist) and name.endswith(".dist-info")
            ]
            if len(found) == 1:
                return found[0]
    loaded = importlib.import_module(module)
    return str(getattr(loaded, "__version__", ""))


class RemoteFailed(Exception):
    """The remote cannot be used for the rest of the run (the message has no credentials)."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_wanted(flag: bool) -> bool:
    """Whether this run may write the remote: `--remote-write` or SKILLFORGE_REMOTE_WRITE=1."""
    return flag or os.environ.get(ENV_WRITE, "").strip().lower() in ("1", "true", "yes")


def open_remote(url: str, write: bool, warn: Callable[[str], None]) -> Remote:
    """The remote cache of this run (writing only with `--remote-write` or its variable)."""
    return Remote(url, warn, write=write_wanted(write))


def _timeout() -> float:
    try:
        value = float(os.environ.get(ENV_TIMEOUT, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 60 else DEFAULT_TIMEOUT


def credentials(host: str) -> dict[str, str]:
    """Request headers from the environment: SKILLFORGE_REMOTE_HEADER, then netrc for `host`.

    The header (`Name: value`) wins over netrc for the same name. A netrc that cannot be
    read is ignored (as curl does), with no message that could show its contents.
    """
    headers: dict[str, str] = {}
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    if os.path.isfile(path):
        try:
            found = netrc.netrc(path).authenticators(host)
        except (OSError, netrc.NetrcParseError):
            found = None
        if found is not None and found[0]:
            login, _, password = found
            token = base64.b64encode(f"{login}:{password or ''}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
    raw = os.environ.get(ENV_HEADER, "")
    name, sep, value = raw.partition(":")
    if sep and name.strip() and "\n" not in raw and "\r" not in raw:
        headers[name.strip()] = value.strip()
    return headers


class RemoteStats:
    """What the remote did in one run: the `remote` layer of the build record."""

    __slots__ = ("bytes_read", "bytes_written", "errors", "hits", "misses", "seconds", "writes")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self.bytes_read = 0
        self.bytes_written = 0
        self.writes = 0
        self.errors = 0
        self.seconds = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "bytes_read": self.bytes_read,
            "bytes_written": self.bytes_written,
            "writes": self.writes,
            "errors": self.errors,
            "ms": round(self.seconds * 1000, 2),
        }


class Remote:
    """One remote cache for one run: concurrent GET and PUT of batches, dropped on failure."""

    def __init__(
        self,
        url: str,
        warn: Callable[[str], None],
        *,
        write: bool = False,
        timeout: float | None = None,
    ) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.base = parts.path.rstrip("/")
        netloc = self.host if self.port is None else f"{self.host}:{self.port}"
        self.display = f"{parts.scheme}://{netloc}{self.base}"
        self.warn = warn
        self.write = write
        self.timeout = _timeout() if timeout is None else timeout
        self.headers = credentials(self.host)
        self.stats = RemoteStats()
        self.dropped = False
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[http.client.HTTPConnection] = []
        self._pool: ThreadPoolExecutor | None = None
        self._poisoned = False

    # -- the batch calls -----------------------------------------------------------------

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, bytes]:
        """Fetch `keys` (sha256 hex) concurrently; return the ones found (CAS ones verified)."""
        wanted = sorted(set(keys))
        if self.dropped or not wanted:
            return {}
        started = time.perf_counter()
        found: dict[str, bytes] = {}
        for key, data in zip(wanted, self._map(lambda k: self._get(kind, k), wanted), strict=True):
            if data is None:
                continue
            if kind == CAS and sha256(data) != key:
                self.stats.errors += 1
                self.stats.misses += 1
                self.stats.hits -= 1
                self.poisoned(f"{kind}/{key[:12]}… does not match its sha256")
                continue
            found[key] = data
        self.stats.seconds += time.perf_counter() - started
        return found

    def put_many(self, kind: str, items: dict[str, bytes]) -> int:
        """Store `items` (key -> value) concurrently; return how many were stored."""
        if self.dropped or not self.write or not items:
            return 0
        started = time.perf_counter()
        keys = sorted(items)
        done = sum(bool(ok) for ok in self._map(lambda k: self._put(kind, k, items[k]), keys))
        self.stats.seconds += time.perf_counter() - started
        return done

    def poisoned(self, what: str) -> None:
        """An entry failed its check: ignored (rendered locally), with one warning per run."""
        if not self._poisoned:
            self._poisoned = True
            self.warn(
                f"remote cache {self.display}: an entry failed its integrity check ({what}); "
                "ignoring it and rendering locally (more entries may be bad)"
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for connection in self._connections:
            connection.close()
        self._connections.clear()

    # -- one request ---------------------------------------------------------------------

    def _map(self, call: Callable[[str], Any], keys: list[str]) -> list[Any]:
        if len(keys) == 1:
            return [call(keys[0])]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="skillforge-remote")
        return list(self._pool.map(call, keys))

    def _get(self, kind: str, key: str) -> bytes | None:
        if self.dropped:
            return None
        try:
            status, data = self._request("GET", kind, key)
        except RemoteFailed as exc:
            self._drop(str(exc))
            return None
        if status == 404:
            with self._lock:
                self.stats.misses += 1
            return None
        if status != 200:
            self._drop(f"GET answered {status}")
            return None
        with self._lock:
            self.stats.hits += 1
            self.stats.bytes_read += len(data)
        return data

    def _put(self, kind: str, key: str, value: bytes) -> bool:
        if self.dropped:
            return False
        try:
            status, _ = self._request("PUT", kind, key, value)
        except RemoteFailed as exc:
            self._drop(str(exc))
            return False
        if not 200 <= status < 300:
            self._drop(f"PUT answered {status}")
            return False
        with self._lock:
            self.stats.writes += 1
            self.stats.bytes_written += len(value)
        return True

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self.https:
                connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
            else:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _request(
        self, method: str, kind: str, key: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        path = f"{self.base}/{kind}/{quote(key)}"
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        for attempt in (1, 2):
            connection = self._connection()
            reused = connection.sock is not None
            try:
                if not reused:  # an unreachable host costs CONNECT_TIMEOUT at most
                    connection.timeout = min(CONNECT_TIMEOUT, self.timeout)
                    connection.connect()
                    if connection.sock is not None:
                        connection.sock.settimeout(self.timeout)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                length = response.getheader("Content-Length")
                if length is not None and length.isdigit() and int(length) > MAX_VALUE:
                    connection.close()
                    raise RemoteFailed(f"{method} answered a value over {MAX_VALUE} bytes")
                data = response.read(MAX_VALUE + 1)
                if len(data) > MAX_VALUE:
                    connection.close()
                    raise RemoteFailed(f"{method} answered a value over {MAX_VALUE} bytes")
                if response.will_close:
                    connection.close()
                return response.status, data
            except TimeoutError:
                connection.close()
                raise RemoteFailed(f"no answer within {self.timeout:g} s") from None
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                if reused and attempt == 1:
                    continue  # a kept-alive connection the server closed: one new one
                raise RemoteFailed("the server closed the connection") from None
            except http.client.HTTPException as exc:
                connection.close()
                raise RemoteFailed(f"not an HTTP answer ({exc.__class__.__name__})") from None
            except OSError as exc:
                connection.close()
                raise RemoteFailed(exc.strerror or exc.__class__.__name__) from None
            except RemoteFailed:
                raise
            except Exception as exc:  # anything else from the client: the name, never its text
                connection.close()
                raise RemoteFailed(f"the request failed ({exc.__class__.__name__})") from None
        raise RemoteFailed("the server closed the connection")  # pragma: no cover

    def _drop(self, why: str) -> None:
        with self._lock:
            self.stats.errors += 1
            if self.dropped:
                return
            self.dropped = True
        self.warn(
            f"remote cache {self.display}: {why}; not using it for the rest of this run "
            "(outputs are built locally, exactly as without it)"
        )
