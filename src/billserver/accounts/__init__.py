"""Accounts, logins, devices and tokens."""
