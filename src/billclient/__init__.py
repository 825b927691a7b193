"""billclient: the billing client, its wire protocol and its rating rules."""

__version__ = "0.1.0"
__all__ = ["__version__"]
