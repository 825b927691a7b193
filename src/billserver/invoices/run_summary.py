"""What ``billserver invoice run`` prints: one sentence about the documents it wrote."""

from __future__ import annotations

from .service import RunReport

__all__ = ["run_summary"]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def run_summary(period: str, report: RunReport) -> str:
    """``"period 2026-10: 3 documents issued, 1 already issued."``; drafts (a month that
    has not ended yet) are named as such, and only then."""
    parts = [f"{_count(len(report.issued), 'document', 'documents')} issued"]
    if report.drafted:
        drafts = _count(len(report.drafted), "draft", "drafts")
        parts.append(f"{drafts} written (the month has not ended yet; issued once it has)")
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} already issued before")
    return f"period {period}: {', '.join(parts)}."
