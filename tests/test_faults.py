"""The fixture upstream's fault injection: deterministic, transient, and as documented."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
from collections.abc import Callable

import pytest

from newsmirror.testing import server as server_module
from newsmirror.testing.faults import REASON_FAILS, REASON_OVERSIZE, TRANSIENT, Faults, unit
from newsmirror.testing.server import UpstreamServer, build_parser, faults_from_args

TEXT = "/NewsData/GetNewsText.do?id=NW202205312398034850"
MEDIA = "/web/webapi?type=45&count=500&newsid=1"
MARKET38 = "/information/newmarket/web/webapi?marketType=38&count=500"
KEYS = [f"/NewsData/GetNewsText.do?id=NW{i}" for i in range(2000)]


def get(server: UpstreamServer, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.fixture
def faulty(upstream_factory: Callable[..., UpstreamServer]) -> Callable[..., UpstreamServer]:
    """Start a fixture upstream with a fault plan."""

    def start(articles: int = 0, **faults: object) -> UpstreamServer:
        return upstream_factory(articles=articles, faults=Faults(**faults))  # type: ignore[arg-type]

    return start


# -- the plan ------------------------------------------------------------------------------
def test_the_same_seed_gives_the_same_faults_and_another_seed_others() -> None:
    plan = Faults(seed=1, error=0.2, drop=0.1, gbk=0.3)
    again = Faults(seed=1, error=0.2, drop=0.1, gbk=0.3)
    other = Faults(seed=2, error=0.2, drop=0.1, gbk=0.3)
    faults = [plan.transient(k, 1) for k in KEYS]
    assert faults == [again.transient(k, 1) for k in KEYS]
    assert faults != [other.transient(k, 1) for k in KEYS]
    assert [plan.encoding(k) for k in KEYS] == [again.encoding(k) for k in KEYS]


def test_rates_are_fractions_of_urls() -> None:
    plan = Faults(seed=5, error=0.1, invalid_json=0.05, slow=0.05)
    faults = [plan.transient(k, 1) for k in KEYS]
    assert 150 <= faults.count("error") <= 250
    assert 60 <= faults.count("invalid_json") <= 140
    assert 60 <= faults.count("slow") <= 140
    assert {f for f in faults} == {"error", "invalid_json", "slow", None}


def test_a_faulty_url_fails_its_first_attempts_then_succeeds() -> None:
    plan = Faults(seed=3, error=1.0, attempts=2)
    assert [plan.transient(KEYS[0], n) for n in (1, 2, 3, 4)] == ["error", "error", None, None]


@pytest.mark.parametrize(
    "kwargs",
    [{"error": 1.5}, {"gbk": -0.1}, {"error": 0.6, "drop": 0.6}, {"attempts": -1}],
)
def test_impossible_plans_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"rate|add up|negative"):
        Faults(**kwargs)  # type: ignore[arg-type]


def test_unit_is_stable_across_runs() -> None:
    # blake2b, not hash(): the same number in every process (PYTHONHASHSEED).
    assert unit(0, "fault", "/x") == pytest.approx(0.5335657, abs=1e-6)


def test_unservable_codes_name_their_reason() -> None:
    plan = Faults(fail_codes=frozenset({"202205312398034850"}), oversize=1.0)
    codes = {"202205312398034850": "NW202205312398034850", "NW1": "NW1"}
    assert plan.unservable(codes) == {"202205312398034850": REASON_FAILS, "NW1": REASON_OVERSIZE}


def test_command_line_flags_build_the_plan() -> None:
    args = build_parser().parse_args(
        [
            "--latency", "0.1", "--seed", "7", "--error-rate", "0.1", "--invalid-json-rate",
            "0.05", "--duplicate-rate", "0.2", "--fail-codes", "NW1, NW2", "--fail-lists",
            "media", "--fault-attempts", "2", "--retry-after", "3", "--gbk-rate", "0.5",
        ]
    )  # fmt: skip
    plan = faults_from_args(args)
    assert args.latency == 0.1
    assert (plan.seed, plan.error, plan.invalid_json, plan.duplicates) == (7, 0.1, 0.05, 0.2)
    assert plan.fail_codes == {"NW1", "NW2"} and plan.fail_lists == {"media"}
    assert (plan.attempts, plan.retry_after, plan.gbk) == (2, 3, 0.5)
    assert set(TRANSIENT) <= set(vars(args))


# -- the server ----------------------------------------------------------------------------
def test_without_faults_answers_are_unchanged(upstream: UpstreamServer) -> None:
    status, headers, body = get(upstream, TEXT)
    assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(json.loads(body)) == {"text", "content"}
    assert upstream.injected == {}


def test_error_answers_carry_retry_after_and_pass(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(error=1.0, retry_after=7)
    seen = {}
    for i in range(40):
        path = f"{TEXT}&n={i}"
        status, headers, _ = get(server, path)
        seen[status] = headers.get("Retry-After")
        assert get(server, path)[0] == 200  # the second attempt succeeds
    assert seen == {500: None, 503: "7", 429: "7"}
    assert server.injected["error"] == 40


def test_dropped_connections_get_no_answer(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(drop=1.0)
    with pytest.raises(http.client.RemoteDisconnected):
        get(server, TEXT)
    assert get(server, TEXT)[0] == 200


def test_truncated_bodies_are_cut_short_or_short_declared(
    faulty: Callable[..., UpstreamServer],
) -> None:
    server = faulty(truncate=1.0)
    lost = cut = 0
    for i in range(20):
        try:
            status, _, body = get(server, f"{TEXT}&n={i}")
        except http.client.IncompleteRead:
            lost += 1
            continue
        assert status == 200
        with pytest.raises(ValueError):
            json.loads(body)
        cut += 1
    assert lost and cut


def test_invalid_json_html_and_empty_documents(faulty: Callable[..., UpstreamServer]) -> None:
    bad = faulty(invalid_json=1.0)
    status, _, body = get(bad, TEXT)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)

    page = faulty(html=1.0)
    status, headers, body = get(page, MEDIA)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"502 Bad Gateway" in body

    empty = faulty(empty=1.0)
    docs = [json.loads(get(empty, f"{MEDIA}&n={i}")[2]) for i in range(12)]
    assert {} in docs and {"nodeList": []} in docs
    assert json.loads(get(empty, f"{MEDIA}&n=0")[2])["nodeList"]  # then the real list


def test_gbk_answers_with_and_without_charset(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(gbk=1.0)
    declared = undeclared = 0
    for i in range(16):
        _, headers, body = get(server, f"{TEXT}&n={i}")
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        doc = json.loads(body.decode("gb18030"))
        assert "em_media" in doc["text"]
        if "charset=GB" in headers["Content-Type"]:
            declared += 1
        else:
            assert headers["Content-Type"] == "application/json"
            undeclared += 1
    assert declared and undeclared


def test_share_pages_in_gbk_say_so_in_their_meta(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(gbk=1.0)
    _, _, body = get(server, "/html_News/NewsShare.html?infoCode=NW202205292395331423")
    assert b'<meta charset="GBK">' in body
    assert "来源：四川新闻网" in body.decode("gbk")


def test_codes_and_lists_can_fail_for_good(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(
        fail_codes=frozenset({"202205312398034850"}), fail_lists=frozenset({"market38"})
    )
    for _ in range(5):
        assert get(server, TEXT)[0] == 503
        assert get(server, MARKET38)[0] == 503
    assert get(server, MEDIA)[0] == 200
    assert server.unservable_codes() == {
        "202205312398034850": REASON_FAILS,
        "NW202205312398034850": REASON_FAILS,  # its media twin shares the text
    }
    assert server.injected["permanent"] == 10


def test_oversized_texts_stay_oversized(faulty: Callable[..., UpstreamServer]) -> None:
    server = faulty(oversize=1.0, oversize_bytes=200_000)
    for _ in range(2):
        status, headers, body = get(server, TEXT)
        assert status == 200 and 200_000 <= int(headers["Content-Length"]) < 201_000
        assert "em_media" in json.loads(body)["text"]
    status, _, body = get(server, MEDIA)
    assert status == 200 and len(body) < 200_000


def test_duplicates_put_one_code_in_two_lists_in_each_spelling(
    faulty: Callable[..., UpstreamServer],
) -> None:
    server = faulty(articles=100, duplicates=0.3)
    media = json.loads(get(server, MEDIA)[2])["nodeList"]
    markets = [
        json.loads(get(server, f"/information/newmarket/web/webapi?marketType={m}&count=500")[2])[
            "record"
        ]
        for m in (37, 38, 39)
    ]
    codes = [r["infocode"] for r in media] + [r["infoCode"] for lst in markets for r in lst]
    doubled = {c for c in codes if codes.count(c) > 1}
    assert doubled and all(codes.count(c) == 2 for c in doubled)
    assert all({"infocode", "from"} <= r.keys() for r in media)
    listed = len(server.catalog.lists["media"]) + sum(
        len(server.catalog.lists[f"market{m}"]) for m in (37, 38, 39)
    )
    assert len(codes) == listed + len(doubled)


def test_latency_and_slow_answers_are_held_back(
    upstream_factory: Callable[..., UpstreamServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(server_module.time, "sleep", slept.append)
    plain = UpstreamServer(latency=0.1).start()
    try:
        assert get(plain, TEXT)[0] == 200
    finally:
        plain.stop()
    assert slept == [0.1]
    slow = upstream_factory(faults=Faults(slow=1.0, slow_delay=3.0))
    assert get(slow, TEXT)[0] == get(slow, TEXT)[0] == 200
    assert slept == [0.1, 3.0]  # the first attempt only


def test_the_command_line_serves_with_faults() -> None:
    """``python -m newsmirror.testing.server`` with flags, as benchmarks start it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsmirror.testing.server", "--port", str(port),
         "--fail-lists", "media", "--latency", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"UPSTREAM_BASE=http://127.0.0.1:{port}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", MEDIA)
        assert conn.getresponse().status == 503
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
