"""The inbound side: messages from the bounce mailbox -> kinds, recipients, reasons, keys."""
