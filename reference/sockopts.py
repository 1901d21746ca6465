"""UDP socket options given to ``udpsocket`` (spec §8.1, manual Appendix A).

A separate module because it is a small table-driven parser: the options
table maps a name to a value, and every way of getting it wrong stops at the
first bad entry with the spec's detail text (spec §3.3), which ``udpsocket``
returns as ``nil, message``, as the manual says of its errors (DIVERGENCES #24):

==================  =====================================================
``SO_KEEPALIVE``    number (numeric strings too), set as an int option
``SO_DONTROUTE``    number
``SO_BROADCAST``    number
``SO_LINGER``       table ``{l_onoff = number, l_linger = number}``
==================  =====================================================

Unknown or lower-case names, array entries and OS refusals all give
``error setting option``.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable, Mapping

from reference.args import check_text, to_number, truncate

_INT_OPTIONS = {
    "SO_KEEPALIVE": socket.SO_KEEPALIVE,
    "SO_DONTROUTE": socket.SO_DONTROUTE,
    "SO_BROADCAST": socket.SO_BROADCAST,
}

Options = Mapping[object, object] | list[object] | tuple[object, ...]


class OptionError(Exception):
    """A bad entry in the options table; the argument is the spec's message for it."""


def apply_options(sock: socket.socket, options: Options) -> None:
    """Set every option of ``options`` on ``sock``; raises OptionError on the first bad one."""
    entries: Iterable[tuple[object, object]] = (
        options.items() if isinstance(options, Mapping) else enumerate(options, start=1)
    )
    for key, value in entries:
        name = check_text(key) if isinstance(key, (str, bytes)) else None
        if name in _INT_OPTIONS:
            number = to_number(value)
            if number is None:
                raise OptionError(f"invalid {name} value")
            _setsockopt(sock, _INT_OPTIONS[name], truncate(number))
        elif name == "SO_LINGER":
            if isinstance(value, (list, tuple)):
                value = {}  # a Lua table too, an array: it has no l_onoff field
            if not isinstance(value, Mapping):
                raise OptionError("invalid SO_LINGER value")
            onoff = to_number(_field(value, "l_onoff"))
            if onoff is None:
                raise OptionError("invalid SO_LINGER (l_onoff) value")
            linger = to_number(_field(value, "l_linger"))
            if linger is None:
                raise OptionError("invalid SO_LINGER (l_linger) value")
            _setsockopt(sock, socket.SO_LINGER, (truncate(onoff), truncate(linger)))
        else:
            raise OptionError("error setting option")


def _field(table: Mapping[object, object], name: str) -> object:
    return table.get(name, table.get(name.encode("ascii")))


def _setsockopt(sock: socket.socket, option: int, value: int | tuple[int, int]) -> None:
    """Set one option from C ints; a number no C int holds is refused like any other value the OS refuses."""
    try:
        packed = struct.pack("ii", *value) if isinstance(value, tuple) else struct.pack("i", value)
        sock.setsockopt(socket.SOL_SOCKET, option, packed)
    except (OSError, OverflowError, struct.error):
        raise OptionError("error setting option") from None
