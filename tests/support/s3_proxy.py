"""An HTTP proxy on 127.0.0.1 in front of the test RGW, for browser tests.

Browsers send a CORS preflight (OPTIONS) before each presigned PUT, with the URL's query. Ceph
RGW 16.2 authenticates such a preflight by the presigned query parameters and rejects it with
403 (seen with the Debian 12 radosgw package), while S3 decides it by the bucket's CORS rules
alone. The proxy therefore drops the query of OPTIONS requests, so RGW still applies the
bucket's own CORS rules. Every other request passes unchanged, with its Host header, so the
presigned signatures (which cover the proxy's host and port) still verify.

stop() and start() let a test cut the path to the bucket and restore it.
"""

from __future__ import annotations

import http.client
import http.server
import socket
import threading

# Hop-by-hop fields, which apply to one connection and are not forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "trailer", "upgrade"}
UPSTREAM_TIMEOUT_SECONDS = 60


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None

        target = self.path.split("?", 1)[0] if self.command == "OPTIONS" else self.path
        upstream = http.client.HTTPConnection(
            self.server.upstream_host, self.server.upstream_port, timeout=UPSTREAM_TIMEOUT_SECONDS
        )
        try:
            upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    upstream.putheader(name, value)
            upstream.endheaders(body)
            response = upstream.getresponse()
            data = response.read()
        except OSError as error:
            self.send_error(502, f"the upstream RGW failed: {error}")
            return
        finally:
            upstream.close()

        self.send_response_only(response.status, response.reason)
        # A HEAD response keeps RGW's Content-Length, the size of the object.
        keep_length = self.command == "HEAD"
        for name, value in response.getheaders():
            lower = name.lower()
            if lower not in HOP_BY_HOP and (keep_length or lower != "content-length"):
                self.send_header(name, value)
        if not keep_length:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    upstream_host: str
    upstream_port: int

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request_thread(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.connections.discard(request)

    def close_connections(self) -> None:
        """Cut every open client connection, as an outage would."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class S3Proxy:
    """The proxy on a fixed port of 127.0.0.1, so that a restart keeps the endpoint URL."""

    def __init__(self, upstream_host: str, upstream_port: int, port: int):
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Ports of a stopped proxy may linger in TIME_WAIT, which SO_REUSEADDR allows.
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.upstream_host = self.upstream_host
        server.upstream_port = self.upstream_port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
