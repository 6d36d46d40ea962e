"""Accounts, activation codes, sign-in sessions and sign-in limits."""
