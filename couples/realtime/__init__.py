"""Socket.IO: the live-session namespace and its wire protocol."""

NAMESPACE = "/live"
