"""A real nginx with WebDAV PUT on 127.0.0.1, as a remote cache for tests and benchmarks.

It runs as the user, from a generated config in a temporary folder (its own pid, logs and
temporary paths), and is stopped by `stop`. `/` stores what is PUT (bazel-remote's layout:
`/cas/<sha256>`, `/ac/<sha256>`); `/broken/` answers 500 to everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import build_json, project

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

CONFIG = """
{user}
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {root}/temp/body;
    proxy_temp_path {root}/temp/proxy;
    fastcgi_temp_path {root}/temp/fastcgi;
    uwsgi_temp_path {root}/temp/uwsgi;
    scgi_temp_path {root}/temp/scgi;
    log_format cache '$request_method $uri $status "$http_authorization"';
    access_log {root}/access.log cache;
    keepalive_requests 10000;
    server {{
        listen 127.0.0.1:{port};
        root {root}/store;
        location / {{
            dav_methods PUT;
            create_full_put_path on;
            client_max_body_size 64m;
        }}
        location /broken/ {{
            return 500;
        }}
    }}
}}
"""


def available() -> bool:
    return os.path.isfile(NGINX) and os.access(NGINX, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Nginx:
    """One nginx process serving a folder of its own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        (root / "temp").mkdir(parents=True, exist_ok=True)
        (root / "store").mkdir(exist_ok=True)
        self.conf = root / "nginx.conf"
        # as root, nginx's workers would run as `nobody`, who cannot read a private temp folder
        user = "user root root;" if hasattr(os, "getuid") and os.getuid() == 0 else ""
        text = CONFIG.format(root=root, port=self.port, user=user)
        self.conf.write_text(text, encoding="utf-8")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(root), "-c", str(self.conf), "-e", str(root / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    self.stop()
                    raise RuntimeError(f"nginx did not start: {err}") from None
                time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def requests(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request so far, from the access log."""
        return [(m, p, s) for m, p, s, _ in self.log()]

    def log(self) -> list[tuple[str, str, int, str]]:
        """(method, path, status, Authorization header) of every request so far."""
        log = self.root / "access.log"
        if not log.exists():
            return []
        rows = []
        for line in log.read_text(encoding="utf-8").splitlines():
            method, path, status, auth = line.split(" ", 3)
            rows.append((method, path, int(status), auth.strip('"')))
        return rows

    def stored(self, kind: str) -> list[Path]:
        folder = self.root / "store" / kind
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def clear_log(self) -> None:
        log = self.root / "access.log"
        if log.exists():
            log.write_text("", encoding="utf-8")  # nginx appends (O_APPEND): truncating is safe

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


# -- fixtures and scenario helpers of tests/test_remote*.py -----------------------------------


@pytest.fixture
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (CI installs nginx-light: see .ci/run)")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    server = Nginx(tmp_path_factory.mktemp("nginx"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _clean_remote_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SKILLFORGE_REMOTE_CACHE",
        "SKILLFORGE_REMOTE_WRITE",
        "SKILLFORGE_REMOTE_HEADER",
        "SKILLFORGE_REMOTE_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


def configure(root: Path, url: str, replace: bool = False) -> None:
    """Name `url` as the remote cache in the project's config (`replace`: instead of one)."""
    config = root / ".skillforge.toml"
    text = config.read_text(encoding="utf-8")
    if replace:
        text = text[: text.index("\n[cache]\n")]
    config.write_text(text + f'\n[cache]\nremote = "{url}"\n', encoding="utf-8")


def clone(a: Path, b: Path) -> Path:
    """What a fresh checkout of A holds: its files, outputs included, but no cache folder."""
    shutil.copytree(a, b, ignore=shutil.ignore_patterns(".skillforge"))
    return b


def outputs(root: Path) -> dict[str, bytes]:
    out = root / ".claude"
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def two_clones(tmp_path: Path, url: str, skills: int = 4) -> tuple[Path, Path]:
    a = project(tmp_path / "a", skills=skills, agents=2)
    configure(a, url)
    report = build_json(a, "--remote-write")
    assert report["ok"], report
    assert report["remote"]["writes"] > 0
    return a, clone(a, tmp_path / "b")
