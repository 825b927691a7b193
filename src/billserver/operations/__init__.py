"""Running a deployment: the billing jobs' schedule, retention, metrics and backups.

Like ``app.py`` and ``commands/``, this puts domains together (the scheduled jobs
call invoices, application charges and auto top-up) and is imported by none of them.
"""
