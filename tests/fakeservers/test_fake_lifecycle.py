"""Starting and stopping: the ServerThread helper, and each server's clean start and stop."""

from __future__ import annotations

import errno
import socket
import threading

import psutil
import pytest

from fakeservers import (
    SERVER_KINDS,
    Closed,
    ConfigError,
    FtpServer,
    HttpServer,
    Opened,
    ServerNotReady,
    ServerThread,
    SmtpServer,
    WireTranscript,
    from_config,
)


class _RecordingLoop:
    """A ServingLoop that records which thread did what, serving until shut down."""

    def __init__(self, bind_error: BaseException | None = None,
                 bind_gate: threading.Event | None = None) -> None:
        self.bind_error = bind_error
        self.bind_gate = bind_gate
        self.calls: list[tuple[str, str]] = []
        self.stop = threading.Event()

    def _note(self, what: str) -> None:
        self.calls.append((what, threading.current_thread().name))

    def bind(self) -> tuple[str, int]:
        self._note("bind")
        if self.bind_gate is not None:
            self.bind_gate.wait(5)
        if self.bind_error is not None:
            raise self.bind_error
        return ("127.0.0.1", 4321)

    def serve(self) -> None:
        self._note("serve")
        self.stop.wait(10)

    def shutdown(self) -> None:
        self._note("shutdown")
        self.stop.set()

    def close(self) -> None:
        self._note("close")


def test_server_thread_binds_serves_and_closes_in_its_own_thread() -> None:
    loop = _RecordingLoop()
    thread = ServerThread(loop, name="test-serving-loop")
    assert thread.start() == ("127.0.0.1", 4321)
    assert thread.running
    assert thread.stop()
    assert not thread.running
    in_thread = {what for what, name in loop.calls if name == "test-serving-loop"}
    assert in_thread == {"bind", "serve", "close"}
    assert ("shutdown", threading.current_thread().name) in loop.calls


def test_server_thread_reraises_the_bind_error_and_still_closes() -> None:
    error = OSError(errno.EADDRINUSE, "Address already in use")
    loop = _RecordingLoop(bind_error=error)
    thread = ServerThread(loop, name="test-bind-error")
    with pytest.raises(OSError) as raised:
        thread.start()
    assert raised.value is error
    assert [what for what, _ in loop.calls] == ["bind", "close"]
    assert not thread.running


def test_server_thread_gives_up_when_bind_never_finishes() -> None:
    gate = threading.Event()
    loop = _RecordingLoop(bind_gate=gate)
    thread = ServerThread(loop, name="test-slow-bind", ready_timeout=0.2)
    try:
        with pytest.raises(ServerNotReady, match="did not bind within 0.2s"):
            thread.start()
    finally:
        gate.set()  # let bind return so the thread can serve, see the shutdown and end
        assert thread.stop()


def test_server_thread_context_manager_and_double_start() -> None:
    loop = _RecordingLoop()
    with ServerThread(loop, name="test-context") as thread:
        assert thread.running
        with pytest.raises(RuntimeError, match="already started"):
            thread.start()
    assert not thread.running
    assert ServerThread(_RecordingLoop(), name="never-started").stop()


@pytest.mark.parametrize("kind", sorted(SERVER_KINDS))
def test_each_server_starts_on_an_ephemeral_port_and_stops_cleanly(kind: str) -> None:
    threads_before = set(threading.enumerate())
    server = from_config(kind, {})
    with pytest.raises(RuntimeError, match="no address until it is started"):
        _ = server.port
    with server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        with socket.create_connection((server.host, server.port), timeout=5) as client:
            client.sendall(b"QUIT\r\n")
            opened = server.transcript.wait_for(lambda event: isinstance(event, Opened), 5)
            assert opened is not None
        listening = [conn for conn in psutil.Process().net_connections(kind="tcp")
                     if conn.status == psutil.CONN_LISTEN and conn.laddr.port == server.port]
        assert len(listening) == 1
    assert not server.running
    assert set(threading.enumerate()) == threads_before
    assert all(conn.laddr.port != server.port for conn in psutil.Process().net_connections(kind="tcp"))
    assert server.transcript.events(Closed), "the connection's end is recorded"


def test_stop_closes_connections_clients_still_hold() -> None:
    for server in (HttpServer(), SmtpServer(), FtpServer()):
        with server, socket.create_connection((server.host, server.port), timeout=5) as client:
            server.transcript.wait_for(lambda event: isinstance(event, Opened), 5)
            server.stop()
            client.settimeout(5)
            rest = b""
            while chunk := client.recv(4096):  # greeting (smtp, ftp) then the end of the stream
                rest += chunk
        closed = server.transcript.events(Closed)
        assert [event.by for event in closed] == ["stop"], server.kind


def test_a_port_in_use_is_reported_by_start() -> None:
    with HttpServer() as first:
        second = HttpServer.from_config({"port": first.port})
        with pytest.raises(OSError) as raised:
            second.start()
        assert raised.value.errno == errno.EADDRINUSE
        assert not second.running


def test_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown server kind 'gopher'"):
        from_config("gopher", {})


def test_transcript_wait_for_sees_past_and_future_events() -> None:
    transcript = WireTranscript()
    transcript.note(1, "first")
    assert transcript.wait_for(lambda event: getattr(event, "text", "") == "first", 0).connection == 1
    seen: list[str] = []
    transcript.subscribe(lambda event: seen.append(event.describe()))
    later = threading.Timer(0.05, transcript.note, args=(2, "second"))
    later.start()
    try:
        event = transcript.wait_for(lambda event: getattr(event, "text", "") == "second", 5)
    finally:
        later.join()
    assert event is not None and event.connection == 2
    assert seen == ["#2 second"]
    assert transcript.wait_for(lambda event: False, 0.05) is None
