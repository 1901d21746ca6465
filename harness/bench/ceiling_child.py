"""The child process of a ceiling measurement: ``python -m harness.bench.ceiling_child JOB``.

``JOB`` is a ``ceilings.ClientJob`` as JSON. The child says ``ready`` on
its standard output once it is about to start (the harness then raises the
signal a peer script may be waiting for), runs the client, and ends with
one JSON line: ``{"seconds": S}`` or ``{"error": TEXT}``. A process of its
own keeps the client from competing with the peers for the harness's
interpreter, just as a driver candidate does not.
"""

from __future__ import annotations

import json
import sys

from harness.bench.ceilings import CLIENTS, CeilingError, ClientJob

READY = "ready"


def main(argv: list[str]) -> int:
    job = ClientJob(**json.loads(argv[1]))
    print(READY, flush=True)
    try:
        answer = {"seconds": CLIENTS[job.client](job)}
    except (CeilingError, OSError) as error:
        answer = {"error": f"{type(error).__name__}: {error}" if isinstance(error, OSError) else str(error)}
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
