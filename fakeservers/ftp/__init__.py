"""The fake FTP server: pyftpdlib with accounts, scripted replies and byte-exact records."""

from fakeservers.ftp.config import Account, FtpConfig, TransferFaults, read_ftp_config
from fakeservers.ftp.records import FtpCommand, FtpReceived, StoredFile, Transfer
from fakeservers.ftp.server import FtpServer

__all__ = ["Account", "FtpCommand", "FtpConfig", "FtpReceived", "FtpServer", "StoredFile", "Transfer",
           "TransferFaults", "read_ftp_config"]
