import pytest

from kpis import config

MB = 2**20


@pytest.mark.parametrize(
    ("env", "expected"),
    [(None, 50 * MB), ("", 50 * MB), ("2", 2 * MB), (" 2 ", 2 * MB), ("0.5", MB // 2), ("lots", 50 * MB), ("0", 50 * MB), ("-3", 50 * MB)],
    ids=["unset", "empty", "two", "spaces", "half", "not-a-number", "zero", "negative"],
)
def test_upload_limit(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv(config.ENV_MAX_UPLOAD_MB, raising=False)
    else:
        monkeypatch.setenv(config.ENV_MAX_UPLOAD_MB, env)
    assert config.max_upload_bytes() == expected


@pytest.mark.parametrize(
    ("size", "limit", "refused"),
    [(0, MB, False), (MB, MB, False), (MB + 1, MB, True)],
    ids=["empty", "at-limit", "one-byte-over"],
)
def test_too_large(size, limit, refused):
    reason = config.too_large(size, limit)
    assert (reason is not None) is refused
    if refused:
        assert "over the 1 MB limit" in reason


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [("given", "from-env", "given"), (None, "from-env", "from-env"), (None, None, "data"), (None, "", "data")],
    ids=["argument-first", "environment-next", "default", "empty-environment"],
)
def test_data_dir(monkeypatch, explicit, env, expected):
    if env is None:
        monkeypatch.delenv(config.ENV_DATA_DIR, raising=False)
    else:
        monkeypatch.setenv(config.ENV_DATA_DIR, env)
    assert str(config.data_dir(explicit)) == expected
