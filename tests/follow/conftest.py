"""The private MariaDB of `visites follow`'s tests: started once for the session (its
binary log on, in ROW format with full images and metadata), stopped at the end; and a
fresh CRM database on it for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from follow_crm import Crm

from tools.mariadb import PrivateMariaDB


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateMariaDB]:
    with PrivateMariaDB(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@pytest.fixture
def crm(mariadb: PrivateMariaDB) -> Iterator[Crm]:
    database = Crm(mariadb)
    yield database
    database.drop()
