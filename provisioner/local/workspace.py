"""`LocalWorkspace`: the emulator's public face — open a folder, serve it, tune it, inspect it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from provisioner.local import services
from provisioner.local.faults import Faults
from provisioner.local.server import App, Server
from provisioner.local.settings import Settings
from provisioner.local.store import Store
from provisioner.local.tls import certificate, server_context

DATABASE = "workspace.db"
POLL_SECONDS = 0.05  # how soon `stop()` is noticed by the accept loop


class LocalWorkspace:
    """A Databricks workspace emulated over `directory` (a `.provisioner/local/` folder).

    `start()` serves it on a daemon thread and returns its URL; `serve_forever()` blocks.
    Any number of servers, in this process or others, may share one folder. Any bearer
    token is accepted unless `token` is given.
    """

    def __init__(self, directory: Path, *, token: str | None = None,
                 settings: Settings | None = None, tls: bool = False):
        self.directory = Path(directory)
        self.tls = tls
        self.certificate: Path | None = None
        """With `tls`, the self-signed certificate clients trust as their CA (after start)."""
        settings = settings or Settings()
        store = Store(self.directory / DATABASE, seed=services.seeder(settings.user))
        self._app = App(self.directory, store, Faults(settings), token)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LocalWorkspace:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `host:port` (0: any free port) from a daemon thread; returns the URL."""
        if self._server is not None:
            raise RuntimeError(f"the local workspace is already serving at {self.url}")
        self._server = Server((host, port), self._app)
        if self.tls:
            self.certificate, key = certificate(self.directory, host)
            self._server.socket = server_context(self.certificate, key).wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False)
            self._app.scheme = "https"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        args=(POLL_SECONDS,),
                                        name=f"local-workspace-{self._server.server_port}")
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local workspace is not serving")
        host, port = self._server.server_address[:2]
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"

    def stop(self) -> None:
        """Stop serving and close open connections; the data stays in the folder."""
        if self._server is None:
            return
        self._server.close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def serve_forever(self) -> None:
        """Serve until `stop()` or Ctrl-C (KeyboardInterrupt reaches the caller)."""
        if self._server is None:
            self.start()
        thread = self._thread
        while thread is not None and thread.is_alive():
            thread.join(0.5)  # a bounded wait lets the main thread see Ctrl-C

    @property
    def settings(self) -> Settings:
        return self._app.faults.settings

    def configure(self, **knobs: Any) -> Settings:
        """Change knobs while running, as `PUT /_local/config` does; returns the new settings."""
        return self._app.faults.configure(knobs)

    def request_log(self) -> list[dict[str, Any]]:
        """Calls served so far: method, path, status, time (epoch s) and elapsed (s)."""
        return self._app.log.entries()

    def reset(self) -> None:
        """Wipe every resource and the request log; the settings stay."""
        self._app.reset()

    def summary(self) -> dict[str, list[str]]:
        """Names of what the workspace holds, by kind (for `provisioner local status`)."""
        with self._app.store.read() as tx:
            return services.summary(tx)
