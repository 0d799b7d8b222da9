"""Serve the tanmap app on a free loopback port in a background thread; launch Debian's chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

from tanmap.api.app import create_app
from tanmap.api.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, Playwright

__all__ = [
    "CHROMIUM_ARGS",
    "MISSING_CHROMIUM",
    "LiveServer",
    "chromium_path",
    "free_port",
    "launch_chromium",
    "serve",
]

#: Flags for a headless, offline Debian chromium running as root (no sandbox, no phoning home).
CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

#: What to do when the browser is not installed (skip locally, fail under CI).
MISSING_CHROMIUM = (
    "Debian's chromium is not installed (no `chromium` on PATH and no /usr/bin/chromium): "
    "run `make browser` (scripts/install-browser.sh) to install it; never `playwright install`."
)

_HOST = "127.0.0.1"


def free_port(host: str = _HOST) -> int:
    """Return a TCP port that was free on ``host`` a moment ago (bind to port 0, read it, close).

    中文：取得一个空闲的本机端口。
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def chromium_path() -> str | None:
    """Return the chromium executable to drive, or None when it is not installed.

    中文：返回 chromium 可执行文件路径（未安装时为 None）。
    """
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def launch_chromium(pw: Playwright) -> Browser:
    """Launch Debian's headless chromium (never a downloaded playwright build).

    中文：启动系统自带的无头 chromium。

    Raises
    ------
    FileNotFoundError
        When chromium is not installed (message: run ``make browser``).
    """
    path = chromium_path()
    if path is None:
        raise FileNotFoundError(MISSING_CHROMIUM)
    return pw.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS), timeout=30_000)


@dataclass(frozen=True)
class LiveServer:
    """A running app: its base URL (``http://127.0.0.1:<port>``) and the uvicorn server."""

    url: str
    server: uvicorn.Server


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the main thread (it runs in a worker)."""

    def install_signal_handlers(self) -> None:  # pragma: no cover - uvicorn < 0.29 only
        return None


@contextmanager
def serve(
    store: str | Path, *, api_token: str | None = None, timeout_s: float = 20.0, **settings: Any,
) -> Iterator[LiveServer]:
    """Serve ``create_app`` for ``store`` on a free loopback port until the block exits.

    中文：在后台线程中以 uvicorn 启动应用（本机随机端口），退出时停止。

    Parameters
    ----------
    store
        GeoPackage store the app serves.
    api_token
        Write token (None: read-only over HTTP).
    timeout_s
        Longest wait for the server to answer on start and to stop on exit.
    **settings
        Further :class:`~tanmap.api.settings.Settings` fields.

    Raises
    ------
    RuntimeError
        When the server does not answer ``GET /openapi.json`` within ``timeout_s``.
    """
    app = create_app(Settings(store=str(store), api_token=api_token, **settings))
    port = free_port()
    config = uvicorn.Config(app, host=_HOST, port=port, log_level="warning", lifespan="on",
                            access_log=False)
    server = _QuietServer(config)
    thread = threading.Thread(target=server.run, name=f"tanmap-uvicorn-{port}", daemon=True)
    thread.start()
    url = f"http://{_HOST}:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if not thread.is_alive():
                raise RuntimeError(f"the test server on {url} exited during start-up")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=2.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the test server on {url} did not answer in {timeout_s:.0f} s")
            time.sleep(0.05)
        yield LiveServer(url, server)
    finally:
        server.should_exit = True
        thread.join(timeout_s)
        if thread.is_alive():  # pragma: no cover - a hung request
            server.force_exit = True
            thread.join(5.0)
