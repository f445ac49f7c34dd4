"""Fixtures every email test may share: one throw-away Dovecot for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.email.dovecot import Dovecot, dovecot_fixture


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    yield from dovecot_fixture()
