"""Call policy: the two transport drivers and the decisions they obey (retry, routing, breakers).

The only part of the library that does network I/O. Decisions are plain functions the sync and async
drivers share.
"""
