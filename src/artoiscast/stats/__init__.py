"""Listener statistics the IAB Podcast Measurement v2.2 way (`artoiscast stats`)."""
