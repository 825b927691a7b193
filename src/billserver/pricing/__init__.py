"""What the caller's plan offers, and advice of charge."""
