import pytest

from spark_jobs.config import ConfigError, Settings


def test_defaults_without_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings.load(env={}, config_file="/nonexistent.toml")
    assert s.lakehouse == str(tmp_path / "lakehouse") and s.spark_remote is None and s.es_url is None
    assert s.queue("registry") == "mlg-registry"


def test_every_local_path_is_absolute_once_loaded(tmp_path, monkeypatch):
    """Great Expectations' Data Docs (and any task that changes directory) need absolute paths."""
    monkeypatch.chdir(tmp_path)
    s = Settings.load(env={"MLG_LAKEHOUSE": "lh", "MLG_STATE_DIR": "st", "MLG_REPORTS_DIR": "rep"},
                      config_file="/nonexistent.toml")
    assert (s.lakehouse, s.state_dir, s.reports_dir) == (
        str(tmp_path / "lh"), str(tmp_path / "st"), str(tmp_path / "rep"))
    assert Settings.load(env={}, lakehouse="s3://b/lh").lakehouse == "s3://b/lh"


def test_lakehouse_owned_state_follows_the_lakehouse(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    default = Settings.load(env={}, config_file="/nonexistent.toml")
    assert default.reports_dir == str(tmp_path / "reports")  # the README's ./reports beside ./lakehouse
    a = Settings.load(env={"MLG_LAKEHOUSE": str(tmp_path / "a")}, config_file="/nonexistent.toml")
    b = Settings.load(env={"MLG_LAKEHOUSE": str(tmp_path / "b")}, config_file="/nonexistent.toml")
    assert len({default.reports_dir, a.reports_dir, b.reports_dir}) == 3
    assert len({default.lakehouse_state_path, a.lakehouse_state_path, b.lakehouse_state_path}) == 3
    assert a.lakehouse_state_path == Settings.load(env={}, lakehouse=str(tmp_path / "a")).lakehouse_state_path
    assert Settings.load(env={"MLG_LAKEHOUSE": "a", "MLG_REPORTS_DIR": "r"}).reports_dir == str(tmp_path / "r")


def test_environment_is_read_and_explicit_arguments_win(tmp_path):
    env = {"MLG_LAKEHOUSE": "s3://bucket/lh", "MLG_SOURCE_REGISTRY_URL": "http://r:1/",
           "MLG_SQS_QUEUE_REGISTRY": "q-reg", "MLG_ES_URL": "http://es:9200"}
    s = Settings.load(env=env, config_file=tmp_path / "none.toml")
    assert s.lakehouse == "s3://bucket/lh"
    assert s.source_url("registry") == "http://r:1"
    assert s.queue("registry") == "q-reg"
    assert Settings.load(env=env, lakehouse="/tmp/x").lakehouse == "/tmp/x"


def test_toml_file_is_below_environment(tmp_path):
    cfg = tmp_path / "mlg.toml"
    cfg.write_text('[mlg]\nlakehouse = "/from/toml"\nes_index_prefix = "acme"\n')
    s = Settings.load(env={"MLG_LAKEHOUSE": "/from/env"}, config_file=cfg)
    assert (s.lakehouse, s.es_index_prefix) == ("/from/env", "acme")


def test_errors_name_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="MLG_SOURCE_IDENTITY_URL"):
        Settings.load(env={}).source_url("identity")
    with pytest.raises(ConfigError, match="only one of"):
        Settings.load(env={"MLG_SPARK_REMOTE": "sc://x:1", "MLG_SPARK_MASTER": "local[1]"})
    bad = tmp_path / "mlg.toml"
    bad.write_text("[mlg]\nlakehuose = 1\n")
    with pytest.raises(ConfigError, match="lakehuose"):
        Settings.load(env={}, config_file=bad)
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(env={}, lakehose="x")


def test_the_closure_driver_walk_bound_comes_from_the_environment_as_a_whole_number():
    assert Settings.load(env={}, config_file="/nonexistent.toml").closure_local_walk_max_rows == 2_000_000
    assert Settings.load(env={"MLG_CLOSURE_LOCAL_WALK_MAX_ROWS": "5000"}, config_file="/nonexistent.toml").closure_local_walk_max_rows == 5000
    assert Settings.load(env={"MLG_CLOSURE_LOCAL_WALK_MAX_ROWS": "5000"},
                         closure_local_walk_max_rows=7).closure_local_walk_max_rows == 7
    with pytest.raises(ConfigError, match="MLG_CLOSURE_LOCAL_WALK_MAX_ROWS must be a whole number, got '1e6'"):
        Settings.load(env={"MLG_CLOSURE_LOCAL_WALK_MAX_ROWS": "1e6"}, config_file="/nonexistent.toml")
