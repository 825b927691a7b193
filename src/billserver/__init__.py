"""The billing server: rating, credit control, ledger, charge records (PROTOCOL.md v1)."""
