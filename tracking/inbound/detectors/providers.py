"""Hosted providers whose bounces need their own reading, in the order tried.

Tried after ARF and auto-replies and before the RFC 3464 path, so each detector declines unless
its provider's strong signals are present (sender address, vendor headers, fixed sentences) and,
where the provider also sends a readable report, leaves that report to the standard path
(EZweb is the exception: its text states a reason its bare 5.0.0 report does not; Exchange
takes its report over only when the text lists the attempt that failed before QUEUE.Expired;
McAfee's appliance report is not a multipart/report and names no SMTP step).
Most specific first: Google Groups and Google's empty-report notices before Gmail's plain text.
"""

from __future__ import annotations

from tracking.inbound.detectors.amazon_ses import AmazonSES
from tracking.inbound.detectors.amazon_workmail import AmazonWorkMail
from tracking.inbound.detectors.base import Detector
from tracking.inbound.detectors.biglobe import Biglobe
from tracking.inbound.detectors.exchange2003 import Exchange2003
from tracking.inbound.detectors.exchange2007 import Exchange2007
from tracking.inbound.detectors.ezweb import EZweb
from tracking.inbound.detectors.gmail import Gmail
from tracking.inbound.detectors.google_groups import GoogleGroups
from tracking.inbound.detectors.google_workspace import GoogleWorkspace
from tracking.inbound.detectors.kddi import KDDI
from tracking.inbound.detectors.mcafee import McAfee
from tracking.inbound.detectors.united_internet import UnitedInternet
from tracking.inbound.detectors.verizon import Verizon
from tracking.inbound.detectors.zoho import Zoho

PROVIDER_DETECTORS: tuple[Detector, ...] = (
    AmazonSES(),
    AmazonWorkMail(),
    GoogleGroups(),
    GoogleWorkspace(),
    Gmail(),
    Exchange2007(),
    Exchange2003(),
    EZweb(),
    KDDI(),
    Biglobe(),
    McAfee(),
    UnitedInternet(),
    Verizon(),
    Zoho(),
)
