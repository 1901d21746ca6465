"""The fake SMTP server: aiosmtpd with byte-exact records and scripted replies."""

from fakeservers.smtp.config import SmtpConfig, read_smtp_config
from fakeservers.smtp.protocol import MailEnvelope
from fakeservers.smtp.server import SmtpServer

__all__ = ["MailEnvelope", "SmtpConfig", "SmtpServer", "read_smtp_config"]
