"""Qt item models over the client core's lists (charge records, statement, support)."""
