"""Make the collection importable as ansible_collections.gaap.genai in tests."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COLLECTIONS = ROOT / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "gaap" / "genai"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT, target_is_directory=True)

for path in (COLLECTIONS, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
