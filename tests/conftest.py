"""Every suite under tests/ imports the shared package `lib` (expectations, collector, oracle data)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
