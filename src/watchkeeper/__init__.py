"""Watchkeeper: insider-risk and data-protection operations platform."""

from watchkeeper.errors import WatchkeeperError

__version__ = "0.1.0"

__all__ = ["WatchkeeperError", "__version__"]
