"""billclient.cli (built by a later issue)."""
