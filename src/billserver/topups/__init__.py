"""Funding: top-ups by voucher or card, and the account statement."""
