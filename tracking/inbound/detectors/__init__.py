"""Bounce detectors, one per format, tried in the explicit order below.

The standard formats (RFC 3464 / 6533 reports, ARF, RFC 3834 auto-replies) come first; then the
non-standard formats, most specific first, so that a generic plain-text detector never answers
for a message a specific one knows. The first authoritative answer wins; nothing is merged.
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, Detector, Finding, MessageView

ORDER: tuple[Detector, ...] = ()

__all__ = ["ORDER", "Detection", "Detector", "Finding", "MessageView"]
