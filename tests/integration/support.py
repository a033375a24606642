"""Support for Custody's integration tests.

Each test class runs its own custodyd (`custodyd serve` on 127.0.0.1, port 0, a temporary
database) and, when it needs S3, its own bucket in the RGW that tests/support/rgw.sh started.

Environment:
  CUSTODYD, CUSTODY_CLI   paths of the built binaries (set by tests/CMakeLists.txt via run.py)
  S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, S3_ROLE_ARN,
  S3_KMS_KEY_ID           the RGW, from the env file that tests/support/rgw.sh writes
  CUSTODY_TEST_KEEP=1     keep every temporary directory (they are kept anyway after a failure)
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable

ROLES = ("viewer", "auditor", "contributor", "manager", "admin")

ID_PREFIXES = ("org_", "ent_", "usr_", "tok_", "ra_", "evd_", "ver_")

_ALPHANUMERIC = string.ascii_letters + string.digits

S3_VARIABLES = ("S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_ROLE_ARN")

SKIP_WITHOUT_S3 = (
    "S3_ENDPOINT is not set: start RGW with `tests/support/rgw.sh start DIR` and export the "
    "variables of DIR/env (scripts/test.sh does both)"
)


def requires_s3(test_class):
    """Skip the decorated test class unless the RGW variables are set."""
    missing = [name for name in S3_VARIABLES if not os.environ.get(name)]
    if missing:
        return unittest.skip(f"{SKIP_WITHOUT_S3}; missing: {', '.join(missing)}")(test_class)
    return test_class


def requires_binary(variable: str):
    """Skip the decorated test class unless the binary named by `variable` exists."""

    def decorate(test_class):
        path = os.environ.get(variable, "")
        if not path or not os.access(path, os.X_OK):
            reason = f"{variable} is not set to an executable (got {path!r}); build it first"
            return unittest.skip(reason)(test_class)
        return test_class

    return decorate


def random_id(prefix: str) -> str:
    """Return a well-formed identifier that no server generated: prefix + 22 alphanumerics."""
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(22))


def new_request_id() -> str:
    return "it-" + secrets.token_hex(12)


def unique_email(label: str) -> str:
    return f"{label}-{secrets.token_hex(6)}@example.test"


# --------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    """One HTTP response with its raw bytes, so that two responses can be compared exactly."""

    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    raw: bytes
    request_id: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def describe(self) -> str:
        body = self.body[:2000].decode("utf-8", "replace")
        return f"HTTP {self.status} {self.reason} (request id {self.request_id}): {body}"


def _decode_chunked(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        body += data[:size]
        data = data[size + 2 :]
    return body


def _parse_response(raw: bytes) -> Response:
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ConnectionError(f"incomplete HTTP response: {raw[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers.append((key, value.strip()))
    response = Response(int(status), reason[0] if reason else "", version, headers, body, raw)
    if (response.header("Transfer-Encoding") or "").lower() == "chunked":
        response.body = _decode_chunked(body)
    return response


def _expected_length(raw: bytes) -> int | None:
    """Return the full length of the response in `raw` once its header is complete."""
    head, separator, _ = raw.partition(b"\r\n\r\n")
    if not separator:
        return None
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
    if match is None:
        return None
    return len(head) + 4 + int(match.group(1))


def http_request(
    host: str,
    port: int,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes | None = None,
    timeout: float = 60.0,
    host_header: str | None = None,
) -> Response:
    """Send one HTTP/1.1 request on a new connection and return the response.

    Only the given headers, Host, Content-Length (when there is a body and `headers` has none)
    and `Connection: close` are sent. A server that closes the connection while the body is
    still being sent (as for a 413) is tolerated as long as its response arrives.
    """
    header_list = list(headers)
    names = {key.lower() for key, _ in header_list}
    lines = [f"{method} {target} HTTP/1.1"]
    if "host" not in names:
        lines.append(f"Host: {host_header or f'{host}:{port}'}")
    lines.extend(f"{key}: {value}" for key, value in header_list)
    if body is not None and "content-length" not in names:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + (body or b"")

    raw = b""
    with socket.create_connection((host, port), timeout=timeout) as connection:
        try:
            connection.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while True:
            expected = _expected_length(raw)
            if expected is not None and len(raw) >= expected:
                break
            if method == "HEAD" and b"\r\n\r\n" in raw:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {target}: no complete response in {timeout} s")
            try:
                chunk = connection.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            raw += chunk
    return _parse_response(raw)


class Api:
    """Calls custodyd's API as one caller (a bearer token, or none)."""

    def __init__(self, port: int, token: str | None = None, host: str = "127.0.0.1"):
        self.port = port
        self.token = token
        self.host = host

    def request(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        *,
        body: bytes | None = None,
        content_type: str | None = "application/json",
        request_id: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        timeout: float = 60.0,
    ) -> Response:
        """Send a request. `json_body` is serialized unless `body` gives the bytes."""
        request_id = request_id or new_request_id()
        header_list = [("X-Request-Id", request_id)]
        if self.token is not None:
            header_list.append(("Authorization", f"Bearer {self.token}"))
        if json_body is not None and body is None:
            body = json.dumps(json_body).encode("utf-8")
        if body is not None and content_type is not None:
            header_list.append(("Content-Type", content_type))
        header_list.extend(headers)
        if body is None and method in ("POST", "PUT"):
            body = b""
        response = http_request(
            self.host, self.port, method, path, header_list, body, timeout=timeout
        )
        response.request_id = request_id
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs) -> Response:
        return self.request("POST", path, json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs) -> Response:
        return self.request("PUT", path, json_body, **kwargs)

    def delete(self, path: str, **kwargs) -> Response:
        return self.request("DELETE", path, **kwargs)

    def expect(self, status: int, method: str, path: str, json_body: Any = None, **kwargs) -> Any:
        """Send a request, raise AssertionError unless it returns `status`, return the JSON."""
        response = self.request(method, path, json_body, **kwargs)
        if response.status != status:
            raise AssertionError(
                f"{method} {path}: expected HTTP {status}, got {response.describe()}"
            )
        return response.json() if response.body else None

    def list_all(self, path: str, limit: int = 200) -> list[dict]:
        """Return every item of a list endpoint, following next_cursor."""
        items: list[dict] = []
        cursor = None
        for _ in range(10_000):
            query = {"limit": str(limit)}
            if cursor is not None:
                query["after"] = cursor
            separator = "&" if "?" in path else "?"
            page = self.expect(200, "GET", path + separator + urllib.parse.urlencode(query))
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return items
        raise AssertionError(f"GET {path}: more than 10000 pages")

    # Calls for test set-up. Each raises AssertionError on an unexpected status.

    def me(self) -> dict:
        return self.expect(200, "GET", "/api/v1/me")

    def create_entity(self, name: str, kind: str, parent_id: str) -> dict:
        body = {"name": name, "kind": kind, "parent_id": parent_id}
        return self.expect(201, "POST", "/api/v1/entities", body)

    def create_user(self, label: str) -> dict:
        body = {"email": unique_email(label), "display_name": label}
        return self.expect(201, "POST", "/api/v1/users", body)

    def create_token(self, user_id: str | None = None, name: str = "integration test") -> dict:
        body: dict[str, Any] = {"name": name}
        if user_id is not None:
            body["user_id"] = user_id
        return self.expect(201, "POST", "/api/v1/tokens", body)

    def assign_role(self, user_id: str, entity_id: str, role: str) -> dict:
        body = {"user_id": user_id, "entity_id": entity_id, "role": role}
        return self.expect(201, "POST", "/api/v1/role-assignments", body)

    def create_user_with_role(self, label: str, entity_id: str, role: str) -> tuple[dict, str]:
        """Create a user with `role` on `entity_id` and return the user and an API token."""
        user = self.create_user(label)
        self.assign_role(user["id"], entity_id, role)
        token = self.create_token(user["id"], f"{label} token")["token"]
        return user, token

    def create_evidence(self, entity_id: str, title: str = "Evidence") -> dict:
        body = {"title": title, "description": "created by an integration test"}
        return self.expect(201, "POST", f"/api/v1/entities/{entity_id}/evidence", body)

    def set_aws_connection(self, bucket: str, kms_key_id: str | None = None) -> dict:
        return self.expect(200, "PUT", "/api/v1/aws-connection", aws_connection_body(bucket, kms_key_id))

    def create_version(self, evidence_id: str, data: bytes, file_name: str = "evidence.bin") -> dict:
        return self.expect(
            201, "POST", f"/api/v1/evidence/{evidence_id}/versions", version_body(data, file_name)
        )

    def complete_version(self, evidence_id: str, version_id: str) -> Response:
        return self.post(f"/api/v1/evidence/{evidence_id}/versions/{version_id}/complete")

    def versions(self, evidence_id: str) -> list[dict]:
        return self.list_all(f"/api/v1/evidence/{evidence_id}/versions")

    def upload_version(self, evidence_id: str, data: bytes, file_name: str = "evidence.bin") -> dict:
        """Create a version, PUT the bytes to its presigned URL and complete it."""
        created = self.create_version(evidence_id, data, file_name)
        put = presigned_put(created["upload"], data)
        if put.status != 200:
            raise AssertionError(f"presigned PUT failed: {put.describe()}")
        version_id = created["version"]["id"]
        completed = self.complete_version(evidence_id, version_id)
        if completed.status != 200:
            raise AssertionError(f"complete failed: {completed.describe()}")
        return completed.json()

    def audit_records(self) -> list[dict]:
        return self.list_all("/api/v1/audit-records")

    def metric(self, name: str) -> float:
        """Return the sum of every sample of metric `name` on /metrics."""
        response = self.get("/metrics")
        if response.status != 200:
            raise AssertionError(f"GET /metrics: {response.describe()}")
        total = 0.0
        found = False
        for line in response.body.decode("utf-8").splitlines():
            match = re.match(rf"^{re.escape(name)}(\{{[^}}]*\}})?\s+(\S+)", line)
            if match:
                total += float(match.group(2))
                found = True
        if not found:
            raise AssertionError(f"/metrics has no sample of {name}")
        return total


def problem(response: Response) -> dict:
    """Return the problem details of an error response, or raise unless it is problem+json."""
    content_type = (response.header("Content-Type") or "").split(";")[0].strip()
    if content_type != "application/problem+json":
        raise AssertionError(
            f"expected Content-Type application/problem+json, got {content_type!r}: "
            + response.describe()
        )
    return response.json()


# --------------------------------------------------------------------------------------------
# Evidence bytes and S3


def version_body(data: bytes, file_name: str = "evidence.bin",
                 media_type: str = "application/octet-stream") -> dict:
    return {
        "file_name": file_name,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
        "media_type": media_type,
    }


def aws_connection_body(bucket: str, kms_key_id: str | None = None) -> dict:
    return {
        "role_arn": os.environ["S3_ROLE_ARN"],
        "bucket": bucket,
        "region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "kms_key_id": kms_key_id or os.environ.get("S3_KMS_KEY_ID", "testkey-1"),
        "key_prefix": "evidence/",
        "endpoint": os.environ["S3_ENDPOINT"],
    }


def presigned_put(
    upload: dict,
    data: bytes,
    *,
    headers: dict[str, str] | None = None,
    url: str | None = None,
) -> Response:
    """PUT `data` to a presigned URL with the given headers (default: the upload's headers)."""
    parsed = urllib.parse.urlsplit(url or upload["url"])
    target = parsed.path + ("?" + parsed.query if parsed.query else "")
    header_values = upload.get("headers", {}) if headers is None else headers
    return http_request(
        parsed.hostname,
        parsed.port or 80,
        upload.get("method", "PUT"),
        target,
        list(header_values.items()),
        data,
        host_header=parsed.netloc,
    )


def presigned_get(url: str) -> Response:
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + ("?" + parsed.query if parsed.query else "")
    return http_request(
        parsed.hostname, parsed.port or 80, "GET", target, [], None, host_header=parsed.netloc
    )


def object_key_from_url(url: str, bucket: str) -> str:
    """Return the object key of a path-style URL (http://host/bucket/key?...)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    prefix = f"/{bucket}/"
    if not path.startswith(prefix):
        raise AssertionError(f"URL {url} is not a path-style URL of bucket {bucket}")
    return path[len(prefix) :]


def content_md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def s3_client():
    """Return a botocore S3 client with the RGW tester's keys, path-style addressing."""
    import botocore.config
    import botocore.session

    session = botocore.session.Session()
    return session.create_client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"max_attempts": 3},
        ),
    )


def create_bucket(label: str) -> str:
    """Create a fresh bucket named after `label` and return its name."""
    name = f"custody-it-{label}-{secrets.token_hex(4)}".lower()[:63]
    s3_client().create_bucket(Bucket=name)
    return name


def list_object_keys(bucket: str) -> list[str]:
    listing = s3_client().list_objects_v2(Bucket=bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


# --------------------------------------------------------------------------------------------
# custodyd


@dataclass
class Organization:
    """An organization made by `custodyd init`, with its first admin."""

    name: str
    admin_email: str
    token: str
    init_output: Any
    admin_user_id: str = ""
    organization_id: str = ""
    root_entity_id: str = ""


def _find_strings(value: Any, prefix: str) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(prefix) else []
    if isinstance(value, dict):
        children = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return []
    found: list[str] = []
    for child in children:
        found.extend(_find_strings(child, prefix))
    return found


def _parse_init_output(stdout: str) -> Any:
    """Return the JSON document that `custodyd init` printed.

    Log lines may share standard output with the document, so the last JSON value on stdout
    that contains a token (a string starting with "cst_") is taken.
    """
    try:
        return json.loads(stdout)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    candidates = []
    index = 0
    while index < len(stdout):
        start = stdout.find("{", index)
        if start < 0:
            break
        try:
            value, end = decoder.raw_decode(stdout, start)
        except json.JSONDecodeError:
            index = start + 1
            continue
        if _find_strings(value, "cst_"):
            candidates.append(value)
        index = end
    if not candidates:
        raise AssertionError(f"custodyd init printed no JSON with a token:\n{stdout}")
    return candidates[-1]


_LISTEN_WORDS = re.compile(r"listen|serving|started|bound|accept", re.IGNORECASE)
_ADDRESS = re.compile(r"(?:^|//|\s)(?:127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0):(\d{1,5})\b")


def _port_from_log_line(line: str, excluded_ports: set[int]) -> int | None:
    """Return the bound port announced by one log line, if the line announces it.

    custodyd logs JSON lines ("ts", "level", "msg" and fields). The line that announces the
    listening socket has a message about listening and the port in a "port" field or in an
    address field such as "127.0.0.1:PORT".
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        record = None
    if isinstance(record, dict):
        if not _LISTEN_WORDS.search(str(record.get("msg", record.get("message", "")))):
            return None
        port = record.get("port")
        if isinstance(port, int) and port > 0 and port not in excluded_ports:
            return port
        for value in record.values():
            if isinstance(value, str):
                match = _ADDRESS.search(value)
                if match and int(match.group(1)) > 0 and int(match.group(1)) not in excluded_ports:
                    return int(match.group(1))
        return None
    if _LISTEN_WORDS.search(line):
        match = _ADDRESS.search(line)
        if match and int(match.group(1)) > 0 and int(match.group(1)) not in excluded_ports:
            return int(match.group(1))
    return None


def _excluded_ports() -> set[int]:
    """Ports of other servers that custodyd may mention in its log (the S3/STS endpoint)."""
    ports = set()
    endpoint = os.environ.get("S3_ENDPOINT")
    if endpoint:
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.port:
            ports.add(parsed.port)
    return ports


class CustodyServer:
    """One custodyd with its own directory, configuration and SQLite database."""

    def __init__(
        self,
        label: str,
        *,
        max_body_bytes: int | None = None,
        log_level: str = "info",
        audit_settings: dict[str, Any] | None = None,
    ):
        binary = os.environ.get("CUSTODYD")
        if not binary:
            raise unittest.SkipTest("CUSTODYD is not set: the custodyd binary is not built")
        self.binary = binary
        self.directory = tempfile.mkdtemp(prefix=f"custody-it-{label}-")
        self.config_path = os.path.join(self.directory, "custodyd.toml")
        # The database has a folder of its own, so that a test can make just that folder
        # read-only.
        self.data_directory = os.path.join(self.directory, "data")
        os.mkdir(self.data_directory)
        self.db_path = os.path.join(self.data_directory, "custody.db")
        self.log_path = os.path.join(self.directory, "custodyd.log")
        # The checkpoint signing key stays outside the data folder, which tests make read-only.
        self.signing_key_path = os.path.join(self.directory, "audit.key")
        self.max_body_bytes = max_body_bytes
        self.log_level = log_level
        # Extra [audit] keys, e.g. {"checkpoint_interval_seconds": 1}.
        self.audit_settings = dict(audit_settings or {})
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._log_file = None
        self.write_config()
        self.verifier_key = self.create_signing_key()

    def create_signing_key(self) -> str:
        """Run `custodyd audit keygen` for this server's key and return its verifier key."""
        result = subprocess.run(
            [self.binary, "--config", self.config_path, "audit", "keygen",
             "--out", self.signing_key_path],
            capture_output=True, text=True, env=self.environment(), timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"custodyd audit keygen exited with {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        for line in result.stdout.splitlines():
            if line.startswith("{") and "verifier_key" in line:
                return json.loads(line)["verifier_key"]
        raise AssertionError(f"custodyd audit keygen printed no verifier key:\n{result.stdout}")

    def write_config(self) -> None:
        lines = [
            "[server]",
            'listen = "127.0.0.1:0"',
            "worker_threads = 2",
        ]
        if self.max_body_bytes is not None:
            lines.append(f"max_body_bytes = {self.max_body_bytes}")
        lines += ["", "[database]", f"path = {json.dumps(self.db_path)}", "", "[aws]"]
        endpoint = os.environ.get("S3_ENDPOINT")
        if endpoint:
            lines.append(f"sts_endpoint = {json.dumps(endpoint)}")
        lines += ["allow_insecure_loopback = true", ""]
        lines += ["[audit]", f"signing_key_file = {json.dumps(self.signing_key_path)}"]
        for key, value in self.audit_settings.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines += ["", "[log]", f'level = "{self.log_level}"', ""]
        with open(self.config_path, "w", encoding="utf-8") as config:
            config.write("\n".join(lines))

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if os.environ.get("AWS_ACCESS_KEY_ID"):
            env["CUSTODY_AWS_ACCESS_KEY_ID"] = os.environ["AWS_ACCESS_KEY_ID"]
            env["CUSTODY_AWS_SECRET_ACCESS_KEY"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        return env

    def init_organization(self, name: str, admin_email: str | None = None) -> Organization:
        """Run `custodyd init`; call it before start() (it writes the database directly)."""
        admin_email = admin_email or unique_email("admin")
        command = [
            self.binary, "--config", self.config_path, "init",
            "--org", name, "--admin-email", admin_email, "--admin-name", f"{name} admin",
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, env=self.environment(), timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"custodyd init exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        output = _parse_init_output(result.stdout)
        tokens = _find_strings(output, "cst_")
        return Organization(name, admin_email, tokens[0], output)

    def start(
        self,
        *,
        wait_ready: bool = True,
        timeout: float = 60.0,
        command_prefix: Iterable[str] = (),
    ) -> None:
        """Start `custodyd serve` and wait until it announces its port (and /readyz is 200).

        `command_prefix` runs custodyd under another command, such as `unshare`.
        """
        self._log_file = open(self.log_path, "ab")
        # The log is appended to across restarts: only lines of this start count.
        log_offset = self._log_file.tell()
        self.process = subprocess.Popen(
            [*command_prefix, self.binary, "--config", self.config_path, "serve"],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.environment(),
        )
        excluded = _excluded_ports()
        deadline = time.monotonic() + timeout
        self.port = 0
        while self.port == 0:
            for line in self.log_lines(log_offset):
                port = _port_from_log_line(line, excluded)
                if port:
                    self.port = port
                    break
            if self.port:
                break
            if self.process.poll() is not None:
                raise AssertionError(
                    f"custodyd exited with {self.process.returncode} during start:\n"
                    + self.log_tail()
                )
            if time.monotonic() > deadline:
                raise AssertionError("custodyd logged no listening port in time:\n" + self.log_tail())
            time.sleep(0.05)
        if wait_ready:
            self.wait_ready(deadline)

    def wait_ready(self, deadline: float) -> None:
        api = self.api()
        while True:
            try:
                if api.get("/readyz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("custodyd's /readyz is not 200 in time:\n" + self.log_tail())
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """Send `sig` to custodyd and return its exit code (None if it had to be killed)."""
        if self.process is None:
            return None
        process, self.process = self.process, None
        exit_code: int | None = None
        try:
            if process.poll() is None:
                process.send_signal(sig)
            exit_code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        finally:
            if self._log_file:
                self._log_file.close()
                self._log_file = None
        return exit_code

    def api(self, token: str | None = None) -> Api:
        return Api(self.port, token)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe_organization(self, organization: Organization) -> Organization:
        """Fill in the ids of an organization from GET /api/v1/me of its admin."""
        me = self.api(organization.token).me()
        organization.admin_user_id = me["user"]["id"]
        organization.organization_id = me["organization"]["id"]
        organization.root_entity_id = me["organization"]["root_entity_id"]
        return organization

    def log_lines(self, offset: int = 0) -> list[str]:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []

    def log_tail(self, lines: int = 200) -> str:
        return "\n".join(self.log_lines()[-lines:])

    def cleanup(self, keep: bool) -> None:
        self.stop()
        if keep or os.environ.get("CUSTODY_TEST_KEEP") == "1":
            print(f"custodyd files kept in {self.directory}", file=sys.stderr)
        else:
            shutil.rmtree(self.directory, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """A test class with one running custodyd and one organization (`cls.org`).

    Subclasses may set `needs_s3 = True` to get a fresh bucket (`cls.bucket`) and the
    organization's AWS connection to it. After a failed test the server's log is printed
    and its directory is kept.
    """

    needs_s3 = False
    server_options: dict[str, Any] = {}

    server: CustodyServer
    org: Organization
    admin: Api
    bucket: str = ""
    _failed = False

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls._failed = False
        cls.server = CustodyServer(cls.__name__.lower(), **cls.server_options)
        try:
            cls.org = cls.server.init_organization("Integration Org")
            cls.prepare_database()
            cls.server.start()
            cls.server.describe_organization(cls.org)
            cls.admin = cls.server.api(cls.org.token)
            if cls.needs_s3:
                cls.bucket = create_bucket(cls.__name__)
                cls.admin.set_aws_connection(cls.bucket)
            cls.set_up_data()
        except BaseException:
            print("custodyd log:\n" + cls.server.log_tail(), file=sys.stderr)
            cls.server.cleanup(keep=True)
            raise

    @classmethod
    def prepare_database(cls) -> None:
        """Run before the server starts, for more `custodyd init` calls."""

    @classmethod
    def set_up_data(cls) -> None:
        """Run once after the server started and the organization is described."""

    @classmethod
    def tearDownClass(cls) -> None:
        if cls._failed:
            print(f"\n--- custodyd log ({cls.server.log_path}) ---\n" + cls.server.log_tail(),
                  file=sys.stderr)
        cls.server.cleanup(keep=cls._failed)
        super().tearDownClass()

    def run(self, result=None):
        result = result if result is not None else self.defaultTestResult()
        problems_before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if len(result.failures) + len(result.errors) > problems_before:
            type(self)._failed = True
        return outcome

    # Assertions shared by the test files.

    def assertStatus(self, response: Response, expected: int | set[int], context: str = "") -> None:
        allowed = expected if isinstance(expected, set) else {expected}
        if response.status not in allowed:
            self.fail(f"{context}: expected HTTP {sorted(allowed)}, got {response.describe()}")

    def assertProblem(self, response: Response, status: int, context: str = "") -> dict:
        self.assertStatus(response, status, context)
        details = problem(response)
        self.assertEqual(details.get("status"), status, f"{context}: problem status")
        self.assertTrue(str(details.get("type", "")).startswith("urn:custody:problem:"),
                        f"{context}: problem type {details.get('type')!r}")
        return details


# --------------------------------------------------------------------------------------------
# Audit records

DENY_DECISIONS = {"deny"}
ALLOW_DECISIONS = {"allow"}


def records_for_request(records: list[dict], request_id: str) -> list[dict]:
    return [record for record in records if record.get("request_id") == request_id]
