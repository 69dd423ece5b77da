"""Mail-server software that writes its own (often plain-text) notices, in the order tried.

Most specific first: a detector declines unless its format's strong signals are present.
Reports that the standard RFC 3464 path already reads right have no detector here.
"""

from __future__ import annotations

from tracking.inbound.detectors.base import Detector
from tracking.inbound.detectors.dragonfly import DragonFly
from tracking.inbound.detectors.exim import Exim
from tracking.inbound.detectors.mfilter import MFilter
from tracking.inbound.detectors.opensmtpd import OpenSMTPD
from tracking.inbound.detectors.qmail import Qmail
from tracking.inbound.detectors.sendmail import Sendmail
from tracking.inbound.detectors.v5sendmail import V5Sendmail
from tracking.inbound.detectors.x2 import X2
from tracking.inbound.detectors.x6 import X6

# Software whose multipart/report the standard path would read, but whose text part says
# more (Sendmail's transcript): tried before the standard RFC 3464 path.
MTA_REPORT_DETECTORS: tuple[Detector, ...] = (
    Sendmail(),
    Exim(),   # its "-eximdsn-" reports carry a bare 5.0.0; the text part has the real reply
    OpenSMTPD(),  # its report's Status is generic (5.0.0, 4.4.7); the text names the cause
)

# Plain-text notices: tried after the standard path found no report.
MTA_DETECTORS: tuple[Detector, ...] = (
    MFilter(),
    DragonFly(),
    V5Sendmail(),
    X2(),
    X6(),
    Qmail(),
)
