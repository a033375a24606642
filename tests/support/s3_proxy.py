"""An HTTP proxy on 127.0.0.1 in front of the test RGW, for browser tests.

Browsers send a CORS preflight (OPTIONS) before each presigned PUT, with the URL's query. Ceph
RGW 16.2 authenticates such a preflight by the presigned query parameters and rejects it with
403 (seen with the Debian 12 radosgw package), while S3 decides it by the bucket's CORS rules
alone. The proxy therefore drops the query of OPTIONS requests, so RGW still applies the
bucket's own CORS rules. Every other request passes unchanged, with its Host header, so the
presigned signatures (which cover the proxy's host and port) still verify.

stop() and start() let a test cut the path to the bucket and restore it.
limit_part_uploads(n) lets the first n UploadPart requests through and cuts the connection of
every later one without forwarding it, as if the network failed mid-upload. The proxy records
every request it forwarded (method and target), so a test can check which parts reached RGW.
"""

from __future__ import annotations

import http.client
import http.server
import socket
import sys
import threading
import urllib.parse

# Hop-by-hop fields, which apply to one connection and are not forwarded.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te",
              "trailer", "upgrade"}
UPSTREAM_TIMEOUT_SECONDS = 60


def part_number(method: str, target: str) -> int | None:
    """The part number of an UploadPart request (PUT with uploadId and partNumber), else None."""
    if method != "PUT":
        return None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    if "uploadId" not in query or "partNumber" not in query:
        return None
    return int(query["partNumber"][0])


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None

        if not self.server.proxy.admit(self.command, self.path):
            # No response at all: the client gets a connection closed mid-request.
            self.close_connection = True
            return

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
    proxy: "S3Proxy"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:
        """Ignore clients that reset their connection (a browser cancelling a request), and
        report other errors with the default traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

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
        self._lock = threading.Lock()
        self._forwarded: list[tuple[str, str]] = []
        self._part_upload_limit: int | None = None
        self._part_uploads = 0

    def limit_part_uploads(self, count: int | None) -> None:
        """Forward `count` more UploadPart requests and cut the later ones.

        None removes the limit."""
        with self._lock:
            self._part_upload_limit = count
            self._part_uploads = 0

    def admit(self, method: str, target: str) -> bool:
        """Record the request and return True when it is to be forwarded."""
        with self._lock:
            if part_number(method, target) is not None and self._part_upload_limit is not None:
                if self._part_uploads >= self._part_upload_limit:
                    return False
                self._part_uploads += 1
            self._forwarded.append((method, target))
            return True

    def forwarded(self) -> list[tuple[str, str]]:
        """The (method, target) of every request forwarded so far, oldest first."""
        with self._lock:
            return list(self._forwarded)

    def forwarded_parts(self, path_suffix: str) -> list[int]:
        """The part numbers of the UploadPart requests forwarded for an object key ending in
        `path_suffix`, in the order they were forwarded."""
        numbers = []
        for method, target in self.forwarded():
            number = part_number(method, target)
            if number is not None and urllib.parse.urlsplit(target).path.endswith(path_suffix):
                numbers.append(number)
        return numbers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Ports of a stopped proxy may linger in TIME_WAIT, which SO_REUSEADDR allows.
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.upstream_host = self.upstream_host
        server.upstream_port = self.upstream_port
        server.proxy = self
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
