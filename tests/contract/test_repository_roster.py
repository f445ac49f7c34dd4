"""One roster of repositories (service/ports/unit_of_work.py `Repositories`): every unit of work,
in memory and on SQL, holds exactly the roster's repositories, each with its port's methods."""

from __future__ import annotations

import inspect
import typing

import pytest

from giliran.service.ports import REPOSITORIES, Repositories, UnitOfWork, UnitOfWorkFactory

PORTS = typing.get_type_hints(Repositories)


def _methods(port: type) -> set[str]:
    return {name for name, member in inspect.getmembers(port, inspect.isfunction)
            if not name.startswith("_")}


def test_the_unit_of_work_port_is_the_roster_and_the_roster_names_each_port_once() -> None:
    assert set(PORTS) == set(REPOSITORIES)
    assert set(REPOSITORIES) <= set(typing.get_type_hints(UnitOfWork))
    assert len(set(PORTS.values())) == len(REPOSITORIES)


def test_a_unit_of_work_holds_exactly_the_roster_each_with_its_ports_methods(
    uow: UnitOfWorkFactory
) -> None:
    with uow(write=False) as w:
        for name, port in PORTS.items():
            repository = getattr(w, name)
            missing = {m for m in _methods(port) if not callable(getattr(repository, m, None))}
            assert not missing, f"{name} lacks {sorted(missing)}"
        held = {name for name in vars(w) if not name.startswith("_")}
        assert held == set(REPOSITORIES)
        with pytest.raises(AttributeError):
            _ = w.ticket  # type: ignore[attr-defined]  # a name outside the roster
