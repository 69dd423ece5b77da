"""The outbound side: compose (pure) and the SMTP transports (the I/O edge)."""
