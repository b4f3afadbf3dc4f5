"""wabiz-tui: install, operate and monitor a WhatsApp Business API On-Premises cluster over SSH."""

__version__ = "0.1.0"
