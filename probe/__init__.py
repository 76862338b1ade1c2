"""probe: replay concurrency scenarios against openclaw's stuck-session recovery."""

__version__ = "0.1.0"
