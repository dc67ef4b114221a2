"""One unit of work: a use case's changes are committed together or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


class UnitOfWork:
    """The block's handle: ``discard()`` rolls its changes back instead of committing them
    (a dry run, or an import that rejected rows), without raising."""

    def __init__(self, session: Session):
        self.session = session
        self.discarded = False

    def discard(self) -> None:
        self.discarded = True


@contextmanager
def unit_of_work(session: Session) -> Iterator[UnitOfWork]:
    """Commit ``session`` when the block succeeds; roll back on any exception and re-raise it.

    Views and commands wrap the one service call that changes data in this block, so a
    half-done change (a service error, a failed flush, a bug) is never left in the session.
    """
    work = UnitOfWork(session)
    try:
        yield work
        if work.discarded:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        # A failed commit is rolled back too, so the session stays usable.
        session.rollback()
        raise
