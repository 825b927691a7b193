"""Account hierarchy: an organisation's users read the accounts below it."""
