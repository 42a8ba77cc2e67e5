# Copyright: gaap.genai contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Problem: one finding of a validator, reported as an error or a warning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """A finding with a stable code and a message that names the value and the fix."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the finding in the form that modules put into their result."""
        return {"code": self.code, "message": self.message}
