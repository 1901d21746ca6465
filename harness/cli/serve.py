"""``lsconform serve smtp|http|ftp``: one fake server in the foreground, for manual testing.

The server is the same one scenarios use, configured from the same mapping
a scenario's peer carries (a YAML file whose top level is that mapping;
``!hex`` and ``!repeat`` work as in scenarios). It prints its address, then
every transcript event as it happens, and stops cleanly on Ctrl-C (or
SIGTERM), closing every connection.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from harness.cli.common import CliError

NAME = "serve"
HELP = "run one fake SMTP, HTTP or FTP server in the foreground and print what clients do"
EXAMPLE = "lsconform serve http --config routes.yaml --port 8080"

KINDS = ("smtp", "http", "ftp")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=KINDS, help="which server to run")
    parser.add_argument("--config", metavar="FILE", type=Path, default=None,
                        help="YAML file holding the server's configuration (see fakeservers/README.md)")
    parser.add_argument("--host", metavar="H", default=None,
                        help="address to listen on (overrides the file); 'auto': a random 127.x.y.z on the "
                             "protocol's well-known port (25, 80, 21), which needs root")
    parser.add_argument("--port", metavar="P", type=port_option, default=None,
                        help="port to listen on, 0-65535 (overrides the file; default 0, an ephemeral port)")


def port_option(text: str) -> int:
    """An argparse type for ``--port``: a whole number 0-65535, refused as a usage error when typed.

    A plain ``int`` let ``-5`` and ``99999`` through to the configuration
    check, which then blamed the file for the command line's value.
    """
    try:
        value = int(text)
    except ValueError:
        value = -1
    if 0 <= value <= 65535:
        return value
    raise argparse.ArgumentTypeError(f"expected a whole number 0-65535, not {text!r}")


def execute(args: argparse.Namespace) -> int:
    from fakeservers import ConfigError, Opened, from_config
    from fakeservers.events import CONTROL

    raw = _read_config(args.config) if args.config is not None else {}
    overrides = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    raw.update(overrides)
    try:
        server = from_config(args.kind, raw)
    except ConfigError as error:
        raise CliError(_where(error, args.config, raw, overrides)) from None
    reader_gone = threading.Event()

    def show(event: Any) -> None:
        """Print one event; once stdout is closed (``serve ... | head``), have the server stopped.

        This runs in a session thread: an error escaping it would end that
        session, and the server would go on serving with no one reading.
        """
        if reader_gone.is_set():
            return
        try:
            print(f"{event.at:9.3f}  {event.describe()}", flush=True)
        except OSError:
            reader_gone.set()

    server.transcript.subscribe(show)
    try:
        server.start()
    except OSError as error:
        raise CliError(f"cannot start the {args.kind} server: {error}") from None
    url = f" ({server.url()})" if hasattr(server, "url") else ""
    try:
        with _interrupt_on_sigterm():
            try:
                # Announced only inside the handler's reach: a client (or a test) that stops
                # the server as soon as it sees this line must find it ready to stop cleanly.
                print(f"{args.kind} server listening on {server.host}:{server.port}{url}; Ctrl-C stops it",
                      flush=True)
                reader_gone.wait()
            except KeyboardInterrupt:
                pass
    finally:
        server.stop()
    if reader_gone.is_set():
        raise BrokenPipeError("standard output was closed")  # main: exit 141, as for the other commands
    connections = sum(event.channel == CONTROL for event in server.transcript.events(Opened))
    print(f"{args.kind} server stopped after {connections} connection(s)", flush=True)
    return 0


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """Inside the block SIGTERM and SIGINT raise KeyboardInterrupt: both stop the server cleanly.

    SIGINT too: a process started with SIGINT ignored (``lsconform serve ... &``
    from a script) gets no Ctrl-C handler from Python, and would not stop on it.
    """
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, interrupt) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _read_config(path: Path) -> dict[str, Any]:
    """The YAML file's top-level mapping, read with the scenario tags."""
    from harness.scenario.errors import Collector
    from harness.scenario.located import InvalidValue
    from harness.scenario.yamlsource import load_yaml

    if path.is_dir():
        raise CliError(f"{path}: a directory, not a configuration file")
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    collector = Collector(str(path))
    document = load_yaml(path, collector)
    problems = [str(problem) for problem in collector.problems]
    problems += [f"{path}:{invalid.line}: {invalid.tag}: {invalid.message}" for invalid in document.invalid]
    if problems:
        raise CliError("\n".join(problems))
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected a mapping of server options at the top level")
    if any(isinstance(value, InvalidValue) for value in _walk(data)):
        raise CliError(f"{path}: a tag could not be built")
    return data


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _where(error: Any, config: Path | None, raw: Any, overrides: dict[str, Any]) -> str:
    """``error`` (a ConfigError) placed where its value came from: the option that set it, or the file.

    A value given on the command line replaces the file's, so blaming the
    file's line (or line 1 when the file has none) pointed at the wrong place.
    """
    if error.field in overrides:
        return f"--{error.field} {shlex.quote(str(overrides[error.field]))}: {error.message}"
    where = f"{config}:{_line_of(raw, error.field)}: " if config is not None else ""
    return f"{where}{error}"


def _line_of(data: Any, field: str) -> int:
    """The line of a field path such as ``routes[2].status``, as far as the YAML knows it."""
    from harness.scenario.load_servers import line_of_config_field
    from harness.scenario.located import YMap

    return line_of_config_field(data, field) if isinstance(data, YMap) else 1
