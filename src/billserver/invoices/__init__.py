"""Invoices and statements: periods, arithmetic, runs, PDF and the HTTP API."""
