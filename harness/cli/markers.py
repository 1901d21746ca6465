"""``lsconform run -m``: a marker expression written with tag names, as pytest must read it.

A scenario's tags and area become pytest markers with ``-`` and ``.``
spelled ``_`` (``pattern-line`` is the marker ``pattern_line``,
``harness.pytest_state.RunState.marker_for``). pytest reads
``pattern-line`` as one word that names no marker, so ``-m pattern-line``
selected nothing without a word; the tag names the README and
``lsconform list`` show did not work.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"""(?P<kept>"[^"]*"|'[^']*'|=\s*[^\s,()]+)|(?P<word>[\w:+\-.\[\]\\/]+)""")
"""A quoted string or a keyword argument's value (kept as written), or one of pytest's words."""


def marker_expression(text: str) -> str:
    """``text`` with ``-`` and ``.`` in every word spelled ``_``, as the markers are.

    ``and``, ``or``, ``not`` and the parentheses stay as they are; so does a
    keyword argument's value (``marker(key=1.5)``). ``_`` already works.
    """
    return _TOKEN.sub(lambda match: match["kept"] or re.sub(r"[-.]", "_", match["word"]), text)
