"""billclient.core (built by a later issue)."""
