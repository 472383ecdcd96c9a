"""Maintenance scripts for the sandbox (run by hand; nothing at run time imports them)."""
