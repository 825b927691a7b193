"""billclient.component (built by a later issue)."""
