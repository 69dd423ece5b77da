"""Hosted providers whose bounces need their own reading, in the order tried."""

from __future__ import annotations

from tracking.inbound.detectors.base import Detector

PROVIDER_DETECTORS: tuple[Detector, ...] = ()
