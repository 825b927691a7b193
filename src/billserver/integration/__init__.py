"""The integration interface (operator role) over the existing billing model."""
