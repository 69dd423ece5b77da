"""Bounce detectors, one per format, tried in the explicit order of `ORDER`.

Groups, each an explicit tuple in its own module:
- `providers.PROVIDER_DETECTORS`: hosted providers (Microsoft, Google, Yahoo, Amazon SES…),
  recognised by strong signals (sender, vendor headers) before the generic paths;
- `mtas.MTA_DETECTORS`: mail-server software writing plain-text notices (Sendmail, Exim, qmail…);
- the standard formats (RFC 3464 / 6533 reports, ARF, RFC 3834 auto-replies).

The order, and why:
1. ARF (RFC 5965): a feedback report is unambiguous and must never be read as a bounce.
2. RFC 3834 auto-replies: vacation notices, before anything that keys on a provider's headers
   (an Outlook user's out-of-office carries Exchange headers); it declines anything that looks
   like a delivery report, since real DSNs carry `Auto-Submitted: auto-replied` too.
3. Providers: strong vendor signals, and they may read a provider's DSN better than the
   generic path (e.g. a reason the provider states in its own words).
4. `mtas.MTA_REPORT_DETECTORS`: software whose multipart/report the standard path would read,
   but whose text part says more (Sendmail's transcript, Exim's bare 5.0.0).
5. RFC 3464 / RFC 6533 delivery-status reports: the standard path for every other server.
6. MTAs: plain-text notices (reached only when no standard report was found).
7. Plain-text fallback: a non-authoritative guess when nothing above answered.

The first authoritative answer wins; nothing is merged (flufl.bounce's lesson: merging partial
answers picks up addresses from quoted originals).
"""

from __future__ import annotations

from tracking.inbound.detectors import arf, autoreply, plaintext, rfc3464
from tracking.inbound.detectors.base import Detection, Detector, Finding, MessageView
from tracking.inbound.detectors.mtas import MTA_DETECTORS, MTA_REPORT_DETECTORS
from tracking.inbound.detectors.providers import PROVIDER_DETECTORS

STANDARD_FIRST: tuple[Detector, ...] = (arf.DETECTOR, autoreply.DETECTOR)
STANDARD_REPORTS: tuple[Detector, ...] = (rfc3464.DETECTOR,)
LAST_RESORT: tuple[Detector, ...] = (plaintext.DETECTOR,)

ORDER: tuple[Detector, ...] = (
    *STANDARD_FIRST,
    *PROVIDER_DETECTORS,
    *MTA_REPORT_DETECTORS,
    *STANDARD_REPORTS,
    *MTA_DETECTORS,
    *LAST_RESORT,
)

__all__ = ["ORDER", "Detection", "Detector", "Finding", "MessageView"]
