"""Real third-party servers that tests talk to on loopback (never mocks)."""
