"""The Python driver (``driver.py``): serves a Python implementation of the API over the protocol."""
