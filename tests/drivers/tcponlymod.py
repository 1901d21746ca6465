"""The reference's TCP functions and nothing else: a port of the TCP section alone.

Behind the Python driver it claims ``tcp`` (and the loop capabilities), so
``check-driver`` must not need ``udpsocket`` or ``select`` to pass it.
"""

from __future__ import annotations

from reference import LuaError, __version__, accept, bind, close, connect, receive, send  # noqa: F401
