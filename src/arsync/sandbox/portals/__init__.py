"""Portal simulators served on loopback: government e-mall, hospital settlement, university finance."""

from .core import Faults
from .server import SimulatorHandle, start_simulators

__all__ = ["Faults", "SimulatorHandle", "start_simulators"]
