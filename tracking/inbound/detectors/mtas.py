"""Mail-server software that writes its own (often plain-text) notices, in the order tried."""

from __future__ import annotations

from tracking.inbound.detectors.base import Detector

MTA_DETECTORS: tuple[Detector, ...] = ()
