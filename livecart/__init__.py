"""livecart: an open-source live-stream shopping server."""

__version__ = "0.1.0"
