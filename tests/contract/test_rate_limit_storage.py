"""Rate-limit counts: the in-memory twin, SQLite and PostgreSQL count alike."""

from __future__ import annotations

from giliran.service.ports import UnitOfWorkFactory


def test_hits_count_per_key_and_window_and_old_windows_are_pruned(
    uow: UnitOfWorkFactory
) -> None:
    seen = []
    for key, window in [("auth:a", 60), ("auth:a", 60), ("auth:b", 60), ("auth:a", 60),
                        ("auth:a", 120), ("auth:a", 120), ("auth:b", 180)]:
        with uow(write=True, defer_lock=True) as w:
            seen.append(w.rate_limits.hit(key, window))
            w.commit()
    assert seen == [1, 2, 1, 3, 1, 2, 1]
    with uow(write=False) as r:  # read without counting: this window's hits, or none
        assert [r.rate_limits.hits("auth:a", 120), r.rate_limits.hits("auth:a", 60),
                r.rate_limits.hits("auth:c", 120)] == [2, 0, 0]
    with uow(write=True) as w:
        assert w.rate_limits.prune(before=150) == 1  # auth:a's window 120
        w.commit()
    with uow(write=True) as w:
        assert w.rate_limits.hit("auth:a", 120) == 1
        assert w.rate_limits.hit("auth:b", 180) == 2
