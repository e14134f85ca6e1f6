"""Portal simulators served on loopback."""
