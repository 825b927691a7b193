"""Words for people, shared by both front ends (no Qt): money, units and times
(:mod:`.formats`), a rate in plain words (:mod:`.prices`), and how a session ended
and how a charge record was rated (:mod:`.rating`).

Every phrase goes through :func:`.translation.translate` (Qt's
``QCoreApplication.translate`` once the GUI has installed it; the text as written
otherwise), under the contexts ``formatting``, ``price`` and ``explain``, in calls
``pyside6-lupdate`` extracts. This package imports nothing itself: ``formats`` is
light enough for the GUI's first window (babel, no pydantic).
"""
