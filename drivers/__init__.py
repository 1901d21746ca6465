"""Out-of-process drivers: one per runtime, each speaking drivers/PROTOCOL.md."""
