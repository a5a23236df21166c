"""``artoiscast stats``: listener statistics counted the IAB Podcast Measurement v2.2 way.

Logs in (the serve log, nginx/Apache/Caddy combined logs, S3 server access logs, CloudFront
standard logs), downloads out: :mod:`~artoiscast.stats.logs` parses, :mod:`~artoiscast.stats.sources`
finds what was not read yet, :mod:`~artoiscast.stats.engine` applies the rules in DuckDB and
answers the queries, :mod:`~artoiscast.stats.output` prints them. The method is in the README.
"""
