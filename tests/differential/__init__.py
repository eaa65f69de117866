"""Differential suite: the Go redaction engine (redactdriver) against the pinned Python oracle."""
