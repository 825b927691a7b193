"""Version facts both sides agree on."""

from __future__ import annotations

__all__ = ["BUNDLED_COMPONENT_VERSION", "PROTOCOL_VERSION"]

PROTOCOL_VERSION = "v1"
"""The wire protocol's base path."""

BUNDLED_COMPONENT_VERSION = "1.0.0"
"""The billing component shipped inside the client package (the updater's fallback).

Until servers publish signed component updates, registration answers name this
version.
"""
