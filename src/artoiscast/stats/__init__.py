"""Listener statistics: `artoiscast stats`, downloads counted the IAB v2.2 way from access logs."""
