"""A minimal raw HTTP/2 gRPC client on Python `h2`, for sending requests that no well-behaved
gRPC library would send (test_malformed.py) and for looking at frames a library hides."""
from __future__ import annotations

import socket
import struct
import urllib.parse
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events

# Bounds each wait for the server. A liveness bound, never a performance assertion.
READ_TIMEOUT_S = 20.0


def grpc_frame(message: bytes, compressed: bool = False, declared_length: int | None = None) -> bytes:
    """One Length-Prefixed-Message; `declared_length` lies about the length when given."""
    length = len(message) if declared_length is None else declared_length
    return struct.pack(">BI", 1 if compressed else 0, length) + message


def parse_grpc_frames(data: bytes) -> list[bytes]:
    messages, offset = [], 0
    while offset + 5 <= len(data):
        _flag, length = struct.unpack_from(">BI", data, offset)
        messages.append(data[offset + 5: offset + 5 + length])
        offset += 5 + length
    assert offset == len(data), f"response ends inside a message: {data[offset:]!r}"
    return messages


@dataclass
class RawResponse:
    stream_id: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    data: bytes = b""
    ended: bool = False
    reset_code: int | None = None        # RST_STREAM error code, when the server reset
    goaway: h2.events.ConnectionTerminated | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def trailer_or_header(self, name: str) -> str | None:
        """Trailers-Only responses carry grpc-status in the only HEADERS block."""
        value = next((v for k, v in self.trailers if k == name), None)
        return value if value is not None else self.header(name)

    @property
    def http_status(self) -> int | None:
        status = self.header(":status")
        return int(status) if status is not None else None

    @property
    def grpc_status(self) -> int | None:
        status = self.trailer_or_header("grpc-status")
        return int(status) if status is not None else None

    @property
    def grpc_message(self) -> str:
        return urllib.parse.unquote(self.trailer_or_header("grpc-message") or "")

    @property
    def messages(self) -> list[bytes]:
        return parse_grpc_frames(self.data)

    def describe(self) -> str:
        return (f"stream {self.stream_id}: headers={self.headers} trailers={self.trailers} "
                f"data={len(self.data)}B ended={self.ended} reset={self.reset_code} "
                f"goaway={self.goaway}")


class RawGrpcConnection:
    """One HTTP/2 connection; requests are built by hand and may be malformed on purpose."""

    def __init__(self, address: str):
        host, port = address.rsplit(":", 1)
        self.authority = address
        self.sock = socket.create_connection((host, int(port)), timeout=READ_TIMEOUT_S)
        config = h2.config.H2Configuration(
            client_side=True,
            header_encoding="utf-8",
            validate_outbound_headers=False,
            normalize_outbound_headers=False,
            validate_inbound_headers=False,
        )
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self._flush()
        self.responses: dict[int, RawResponse] = {}
        self.goaway: h2.events.ConnectionTerminated | None = None

    def close(self) -> None:
        try:
            self.conn.close_connection()
            self._flush()
        except Exception:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def grpc_headers(self, path: str, *, method: str = "POST", content_type: str = "application/grpc",
                     te: bool = True, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
        headers = [(":method", method), (":scheme", "http"), (":path", path),
                   (":authority", self.authority)]
        if te:
            headers.append(("te", "trailers"))
        if content_type is not None:
            headers.append(("content-type", content_type))
        return headers + list(extra or [])

    def start(self, headers: list[tuple[str, str]], *, end_stream: bool = False) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        self.responses[stream_id] = RawResponse(stream_id)
        self.conn.send_headers(stream_id, headers, end_stream=end_stream)
        self._flush()
        return stream_id

    def send(self, stream_id: int, data: bytes, *, end_stream: bool = False) -> None:
        """Sends DATA, respecting the peer's flow-control window."""
        view = memoryview(data)
        while True:
            window = min(self.conn.local_flow_control_window(stream_id),
                         self.conn.max_outbound_frame_size)
            if len(view) <= window:
                self.conn.send_data(stream_id, bytes(view), end_stream=end_stream)
                self._flush()
                return
            if window > 0:
                self.conn.send_data(stream_id, bytes(view[:window]))
                self._flush()
                view = view[window:]
            else:
                self._read_once()
                if self._finished(stream_id):
                    return  # the server answered before taking everything; that is its right

    def request(self, headers, body: bytes | None, *, end_stream: bool = True) -> RawResponse:
        """Sends a whole request (body None = HEADERS with END_STREAM) and awaits its end."""
        if body is None:
            stream_id = self.start(headers, end_stream=True)
        else:
            stream_id = self.start(headers)
            self.send(stream_id, body, end_stream=end_stream)
        return self.wait(stream_id)

    def wait(self, stream_id: int) -> RawResponse:
        while not self._finished(stream_id):
            self._read_once()
        return self.responses[stream_id]

    def _finished(self, stream_id: int) -> bool:
        r = self.responses[stream_id]
        return r.ended or r.reset_code is not None or self.goaway is not None

    def _read_once(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as exc:
            pending = "; ".join(r.describe() for r in self.responses.values() if not r.ended)
            raise TimeoutError(f"no answer from the server within {READ_TIMEOUT_S}s: {pending}") from exc
        if not chunk:
            raise ConnectionError("the server closed the connection: "
                                  + "; ".join(r.describe() for r in self.responses.values()))
        for event in self.conn.receive_data(chunk):
            self._handle(event)
        self._flush()

    def _handle(self, event) -> None:
        sid = getattr(event, "stream_id", None)
        response = self.responses.get(sid) if sid is not None else None
        if isinstance(event, h2.events.ResponseReceived) and response:
            response.headers = list(event.headers)
        elif isinstance(event, h2.events.TrailersReceived) and response:
            response.trailers = list(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            if response:
                response.data += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded) and response:
            response.ended = True
        elif isinstance(event, h2.events.StreamReset) and response:
            response.reset_code = int(event.error_code)
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event
            for r in self.responses.values():
                r.goaway = event

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)
