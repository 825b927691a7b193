"""billclient.gui (built by a later issue)."""
