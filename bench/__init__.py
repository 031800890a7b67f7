"""voidmail's benchmark suite: ``python -m bench`` (see ``bench/__main__.py``).

It runs the daemon as ``voidmail run`` runs it, against the rig's real servers on loopback
(Dovecot, the aiosmtpd sink, the Groq emulator and PostgreSQL), and writes ``bench/REPORT.md``
and ``bench/llm_rpm.png``. Benchmarks are not tests: pytest does not collect this package.
"""
