"""Bounce detectors, one per format, tried in the explicit order of `ORDER`.

Groups, each an explicit tuple in its own module:
- `providers.PROVIDER_DETECTORS`: hosted providers (Microsoft, Google, Yahoo, Amazon SES…),
  recognised by strong signals (sender, vendor headers) before the generic paths;
- `mtas.MTA_DETECTORS`: mail-server software writing plain-text notices (Sendmail, Exim, qmail…);
- the standard formats (RFC 3464 / 6533 reports, ARF, RFC 3834 auto-replies).

The first authoritative answer wins; nothing is merged (flufl.bounce's lesson: merging partial
answers picks up addresses from quoted originals).
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detection, Detector, Finding, MessageView
from tracking.inbound.detectors.mtas import MTA_DETECTORS
from tracking.inbound.detectors.providers import PROVIDER_DETECTORS

ORDER: tuple[Detector, ...] = (*PROVIDER_DETECTORS, *MTA_DETECTORS)

__all__ = ["ORDER", "Detection", "Detector", "Finding", "MessageView"]
