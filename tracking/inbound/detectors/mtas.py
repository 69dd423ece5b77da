"""Mail-server software that writes its own (often plain-text) notices, in the order tried.

Most specific first: a detector declines unless its format's strong signals are present.
Reports that the standard RFC 3464 path already reads right have no detector here.
"""

from __future__ import annotations

from tracking.inbound.detectors.activehunter import ActiveHunter
from tracking.inbound.detectors.apachejames import ApacheJames
from tracking.inbound.detectors.base import Detector
from tracking.inbound.detectors.domino import Domino
from tracking.inbound.detectors.dragonfly import DragonFly
from tracking.inbound.detectors.exim import Exim
from tracking.inbound.detectors.fml import FML
from tracking.inbound.detectors.imailserver import IMailServer
from tracking.inbound.detectors.interscanmss import InterScanMSS
from tracking.inbound.detectors.mailfoundry import MailFoundry
from tracking.inbound.detectors.mailmarshal import MailMarshal
from tracking.inbound.detectors.messagingserver import MessagingServer
from tracking.inbound.detectors.mfilter import MFilter
from tracking.inbound.detectors.notes import Notes
from tracking.inbound.detectors.opensmtpd import OpenSMTPD
from tracking.inbound.detectors.postfix_text import PostfixText
from tracking.inbound.detectors.qmail import Qmail
from tracking.inbound.detectors.sendmail import Sendmail
from tracking.inbound.detectors.v5sendmail import V5Sendmail
from tracking.inbound.detectors.x1 import X1
from tracking.inbound.detectors.x2 import X2
from tracking.inbound.detectors.x3 import X3
from tracking.inbound.detectors.x5 import X5
from tracking.inbound.detectors.x6 import X6

# Software whose multipart/report the standard path would read, but whose text part says
# more (Sendmail's transcript): tried before the standard RFC 3464 path.
MTA_REPORT_DETECTORS: tuple[Detector, ...] = (
    Sendmail(),
    Exim(),   # its "-eximdsn-" reports carry a bare 5.0.0; the text part has the real reply
    OpenSMTPD(),  # its report's Status is generic (5.0.0, 4.4.7); the text names the cause
)

# Plain-text notices: tried after the standard path found no report.
# Vendor signals first (X-Mailer, boundary, fixed subject), generic layouts last.
MTA_DETECTORS: tuple[Detector, ...] = (
    MFilter(),        # X-Mailer: m-FILTER
    IMailServer(),    # X-Mailer: <SMTP32 …>
    ActiveHunter(),   # boundary "Active!Hunter"
    InterScanMSS(),   # boundary "InterScan_NT_MIME_Boundary"
    DragonFly(),
    Domino(),         # subject "DELIVERY FAILURE:"
    Notes(),          # subject "Undeliverable message" + "Failure Reasons"
    MailMarshal(),    # subject "Undeliverable Mail" + "Could not be delivered because of"
    MailFoundry(),    # subject "Message delivery has failed"
    FML(),            # subject "You … are not member (…)"
    V5Sendmail(),
    X1(),
    X2(),
    X3(),
    X6(),
    MessagingServer(),  # a report that lost its MIME structure
    PostfixText(),    # a Postfix notice without its delivery-status part
    ApacheJames(),
    X5(),             # a report forwarded as an attachment
    Qmail(),
)
