"""The typed environment readers reject malformed values instead of guessing."""

import pytest

from hunter.env import (
    EnvError,
    Nameserver,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_nameservers,
    env_str,
    redis_db_url,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("TRUE", True), ("on", True), ("no", False), ("0", False), ("Off", False)],
)
def test_env_bool_reads_the_usual_words(raw, expected):
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


def test_env_bool_rejects_a_typo_instead_of_reading_it_as_true():
    with pytest.raises(EnvError, match="DEBUG='flase'"):
        env_bool("DEBUG", False, environ={"DEBUG": "flase"})


def test_unset_or_blank_values_fall_back_to_the_default():
    assert env_bool("DEBUG", True, environ={}) is True
    assert env_str("NAME", "fallback", environ={"NAME": "   "}) == "fallback"
    assert env_int("N", 7, environ={}) == 7


def test_env_int_rejects_words_and_out_of_range_numbers():
    with pytest.raises(EnvError, match="whole number"):
        env_int("N", 1, environ={"N": "ten"})
    with pytest.raises(EnvError, match="at least 1"):
        env_int("N", 1, minimum=1, environ={"N": "0"})
    assert env_int("N", 1, minimum=1, maximum=10, environ={"N": " 10 "}) == 10


def test_env_float_rejects_nan_and_out_of_range():
    assert env_float("T", 1.0, environ={"T": "2.5"}) == 2.5
    with pytest.raises(EnvError, match="finite"):
        env_float("T", 1.0, environ={"T": "nan"})
    with pytest.raises(EnvError, match="at most 60"):
        env_float("T", 1.0, maximum=60, environ={"T": "61"})


def test_env_choice_names_the_allowed_values():
    assert (
        env_choice("E", "development", ("development", "production"), environ={}) == "development"
    )
    with pytest.raises(EnvError, match="development, production"):
        env_choice("E", "development", ("development", "production"), environ={"E": "prod"})


def test_env_list_splits_on_commas_and_drops_blanks():
    assert env_list("H", environ={"H": "a.com, b.com,,"}) == ["a.com", "b.com"]
    assert env_list("H", ("x",), environ={}) == ["x"]


def test_nameservers_accept_ip_and_ip_port_including_ipv6():
    servers = env_nameservers("NS", environ={"NS": "127.0.0.1:5353, 8.8.8.8, [::1]:53, ::1"})
    assert servers == (
        Nameserver("127.0.0.1", 5353),
        Nameserver("8.8.8.8", 53),
        Nameserver("::1", 53),
        Nameserver("::1", 53),
    )
    assert str(servers[0]) == "127.0.0.1:5353"


@pytest.mark.parametrize("raw", ["dns.google", "127.0.0.1:0", "127.0.0.1:http", "1.2.3:53"])
def test_nameservers_reject_names_and_bad_ports(raw):
    with pytest.raises(EnvError, match="NS="):
        env_nameservers("NS", environ={"NS": raw})


def test_empty_nameservers_mean_the_system_resolver():
    assert env_nameservers("NS", environ={"NS": ""}) == ()


@pytest.mark.parametrize(
    ("url", "offset", "expected"),
    [
        ("redis://127.0.0.1:6379/8", 1, "redis://127.0.0.1:6379/9"),
        ("redis://127.0.0.1:6379", 2, "redis://127.0.0.1:6379/2"),
        ("redis://:pw@redis:6379/0/", 1, "redis://:pw@redis:6379/1"),
    ],
)
def test_redis_db_url_moves_to_a_separate_database(url, offset, expected):
    assert redis_db_url(url, offset) == expected
