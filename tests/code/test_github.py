"""GitHub mining against recorded API responses (httpx.MockTransport): pagination, rate limits,
conditional requests, PRs without issues, huge diffs, and candidates cut from a real clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from synth import ConfigError, Rejection
from synth.environments.code import GitHubClient, GitHubMiner, RateLimited

from code_repos import make_repo

PR_DIFF = """\
diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -4,7 +4,7 @@


 def add(a, b):
-    return abs(a) + abs(b)
+    return a + b


 def sub(a, b):
diff --git a/tests/test_calc.py b/tests/test_calc.py
--- a/tests/test_calc.py
+++ b/tests/test_calc.py
@@ -7,3 +7,7 @@ def test_add_positive():

 def test_mul():
     assert mul(2, 3) == 6
+
+
+def test_add_negative():
+    assert add(-1, -2) == -3
"""


def pr(number, body, merged=True, base="BASE"):
    return {"number": number, "title": f"PR {number}", "body": body, "merged_at": "2024-01-01T00:00:00Z" if merged else None,
            "base": {"sha": base}}


class Recorded:
    """A scripted GitHub: responses by path, with a request log."""

    def __init__(self, routes):
        self.routes = routes
        self.log: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        key = request.url.path + ("?page=" + request.url.params["page"] if "page" in request.url.params else "")
        handler = self.routes.get(key) or self.routes.get(request.url.path)
        if handler is None:
            return httpx.Response(404, json={"message": "Not Found"})
        return handler(request) if callable(handler) else handler


def client_for(recorded, sleeps=None, now=1000.0, max_wait=900):
    return GitHubClient(token="t0k", transport=httpx.MockTransport(recorded), sleep=(sleeps if sleeps is not None else []).append,
                        clock=lambda: now, max_wait=max_wait)


def test_pagination_follows_link_headers():
    recorded = Recorded({
        "/repos/o/n/pulls": httpx.Response(200, json=[pr(1, "")], headers={"Link": '<https://api.github.com/repos/o/n/pulls?page=2>; rel="next"'}),
        "/repos/o/n/pulls?page=2": httpx.Response(200, json=[pr(2, ""), pr(3, "")]),
    })
    items = list(client_for(recorded).paginate("/repos/o/n/pulls", {"per_page": 100}))
    assert [i["number"] for i in items] == [1, 2, 3]
    assert recorded.log[0].headers["Authorization"] == "Bearer t0k"


def test_rate_limit_waits_for_reset_then_retries():
    calls = []

    def limited(request):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(403, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1030"})
        if len(calls) == 2:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, json={"ok": True})

    sleeps: list[float] = []
    response = client_for(Recorded({"/x": limited}), sleeps).get("/x")
    assert response.json() == {"ok": True}
    assert sleeps == [31.0, 7.0]


def test_rate_limit_too_far_away_is_an_error():
    recorded = Recorded({"/x": httpx.Response(403, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "99999"})})
    with pytest.raises(RateLimited, match="resets in"):
        client_for(recorded, max_wait=60).get("/x")


def test_server_errors_and_dropped_connections_back_off_then_give_up_or_answer():
    from synth import GenerationError

    answers = [httpx.Response(502), httpx.ConnectError("refused"), httpx.Response(200, json={"ok": True})]

    def flaky(request):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    sleeps: list[float] = []
    assert client_for(Recorded({"/x": flaky}), sleeps).get("/x").json() == {"ok": True}
    assert sleeps == [1, 2]

    def down(request):
        raise httpx.ConnectError("refused")

    sleeps.clear()
    with pytest.raises(GenerationError, match="GitHub API unreachable: ConnectError"):
        client_for(Recorded({"/x": down}), sleeps).get("/x")
    assert sleeps == [1, 2, 4, 8, 16]
    always = client_for(Recorded({"/x": httpx.Response(503)}), [])
    assert always.get("/x").status_code == 503  # the last attempt's answer is returned as it is


def test_conditional_requests_reuse_the_cached_body():
    def etagged(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, json={"n": 1}, headers={"ETag": '"v1"'})

    client = client_for(Recorded({"/x": etagged}))
    assert client.get("/x").json() == {"n": 1}
    assert client.get("/x").json() == {"n": 1}
    assert client.not_modified == 1


def _origin(tmp_path: Path) -> tuple[Path, str]:
    repo = make_repo(tmp_path)
    base = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD~3"], capture_output=True, text=True,
                          check=True).stdout.strip()
    return repo, base


def test_mining_keeps_merged_prs_that_fix_issues_and_says_why_others_are_skipped(tmp_path):
    repo, base = _origin(tmp_path)
    huge = "diff --git a/a.py b/a.py\n" + "+x\n" * 50_000
    recorded = Recorded({
        "/repos/o/n": httpx.Response(200, json={"clone_url": str(repo)}),
        "/repos/o/n/pulls": httpx.Response(200, json=[
            pr(10, "Fixes #7", base=base), pr(11, "just a refactor"), pr(12, "closes #8"), pr(13, "fixes #9"),
            pr(14, "fixes #7", merged=False),
        ]),
        "/repos/o/n/issues/7": httpx.Response(200, json={"title": "add() loses the sign", "body": "add(-1, -2) is 3"}),
        "/repos/o/n/issues/8": httpx.Response(200, json={"title": "a PR", "pull_request": {}}),
        "/repos/o/n/issues/9": httpx.Response(200, json={"title": "big", "body": "huge"}),
        "/repos/o/n/pulls/10": httpx.Response(200, text=PR_DIFF),
        "/repos/o/n/pulls/13": httpx.Response(200, text=huge),
    })
    miner = GitHubMiner(client_for(recorded), "o/n", max_diff_bytes=10_000)
    try:
        items = list(miner.candidates())
    finally:
        miner.close()
    found = [item for item in items if not isinstance(item, Rejection)]
    skipped = {item.key: item.reason for item in items if isinstance(item, Rejection)}
    assert [item.key for item in items] == ["o/n#10", "o/n#11", "o/n#12", "o/n#13"]  # newest first, as listed
    assert all(item.family == "code" and item.details == {"source": "github", "repo": "o/n"}
               for item in items if isinstance(item, Rejection))
    assert [c.instance_id for c in found] == ["o/n#10"]
    cand = found[0]
    assert cand.problem.startswith("add() loses the sign") and cand.commit == base
    assert cand.test_files == ["tests/test_calc.py"] and "a + b" in cand.gold_patch
    assert "references no issue" in skipped["o/n#11"]
    assert "is a pull request" in skipped["o/n#12"]
    assert "too large" in skipped["o/n#13"]
    assert "o/n#14" not in skipped  # closed without merging: silently not a fix
    diff_request = [r for r in recorded.log if r.url.path == "/repos/o/n/pulls/10"][0]
    assert diff_request.headers["Accept"] == "application/vnd.github.v3.diff"


def test_unknown_repository_is_a_config_error():
    miner = GitHubMiner(client_for(Recorded({})), "o/missing")
    with pytest.raises(ConfigError, match="no such repository"):
        list(miner.candidates())
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        GitHubMiner(client_for(Recorded({})), "not-a-repo")
