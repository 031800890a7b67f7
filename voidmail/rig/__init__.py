"""Local stand-ins for the servers voidmail talks to: Dovecot, an SMTP sink, a Groq emulator.

The test suite, ``voidmail demo`` and the benchmarks all use them, so they ship with the package.
"""
