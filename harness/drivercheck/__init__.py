"""``lsconform check-driver``: does a driver speak ``drivers/PROTOCOL.md`` correctly?

``run_checks(Target(command))`` runs a fixed battery (hello, protocol
version, errors vs unimplemented, byte-exact strings over real TCP, stable
handles through select, release, callbacks and repetition when claimed,
bye, end of input) and returns one ``CheckResult`` per check.
"""

from harness.drivercheck.battery import run_checks
from harness.drivercheck.support import CheckResult, Target

__all__ = ["CheckResult", "Target", "run_checks"]
