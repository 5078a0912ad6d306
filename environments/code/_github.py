"""GitHub mining over the REST API (httpx): merged pull requests that fix issues.

Sits beside the local-git miner and hands on the same `Candidate`s. For a repository it pages
through closed pull requests (following `Link: rel="next"`), keeps merged ones whose title or body
says "fixes #N" (close/fix/resolve and their forms) for an issue (not a PR) of the same repository,
takes the issue's title and body as the problem statement and the PR's diff (split into gold and
test patches), and archives the base commit from a clone. Guarantees: the token comes only from
GITHUB_TOKEN (or the caller); requests go through the core's retry loop (`synth.retrying`): rate
limits are waited out via Retry-After or X-RateLimit-Reset (up to `max_wait`, else `RateLimited`),
transport errors and 5xx back off; repeated requests are conditional (ETag / If-None-Match, a 304
reuses the cached body); a diff over `max_diff_bytes` is skipped with a reason, never loaded whole.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from synth import Attempt, ConfigError, GenerationError, Rejection, Retry, RetryPolicy, retrying

from ._mine import Candidate, archive, git
from ._patch import runnable_test_files, split

API = "https://api.github.com"
_FIXES = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+(?:([\w.-]+/[\w.-]+))?#(\d+)", re.I)
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class RateLimited(GenerationError):
    """The API's rate limit resets later than we are willing to wait."""


class GitHubClient:
    """A small GitHub REST client: pagination, rate limits, conditional requests."""

    def __init__(self, token: str | None = None, *, base_url: str = API, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 max_wait: float = 900, retries: int = 5) -> None:
        token = token if token is not None else os.environ.get("GITHUB_TOKEN")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": "synth-code-miner"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base_url, headers=headers, transport=transport, timeout=60,
                                 follow_redirects=True)
        self.sleep, self.clock, self.max_wait, self.retries = sleep, clock, max_wait, retries
        self._etags: dict[str, tuple[str, httpx.Response]] = {}
        self.not_modified = 0
        """Requests answered 304 Not Modified from the cache."""

    def close(self) -> None:
        self.http.close()

    def _wait_for(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying a rate-limited response, or None if it is not one."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        if response.headers.get("X-RateLimit-Remaining") == "0":
            reset = float(response.headers.get("X-RateLimit-Reset", "0") or 0)
            return max(0.0, reset - self.clock()) + 1
        return None

    def get(self, url: str, *, params: dict[str, Any] | None = None, accept: str | None = None,
            max_bytes: int | None = None) -> httpx.Response:
        """GET with retries (the core's retry loop); cached by URL+params+accept for conditional
        requests. Rate limits wait as long as the API says; transport errors and 5xx back off
        1, 2, 4, ... up to 30 s; a 5xx on the last attempt is returned as it is."""
        cache_key = str(httpx.URL(url, params=params)) + "|" + (accept or "")

        def attempt(at: Attempt) -> httpx.Response | Retry:
            headers = {"Accept": accept} if accept else {}
            cached = self._etags.get(cache_key)
            if cached:
                headers["If-None-Match"] = cached[0]
            try:
                response = self._fetch(url, params, headers, max_bytes)
            except httpx.TransportError as exc:
                return Retry(f"GitHub API unreachable: {type(exc).__name__}: {exc}")
            if response.status_code == 304 and cached:
                self.not_modified += 1
                return cached[1]
            wait = self._wait_for(response)
            if wait is not None:
                if wait > self.max_wait:
                    raise RateLimited(f"GitHub rate limit: resets in {wait:.0f}s (more than {self.max_wait:.0f}s)")
                return Retry(f"GitHub API: gave up on {url} after {self.retries + 1} attempts", wait)
            if response.status_code >= 500 and not at.last:
                return Retry(f"GitHub API {response.status_code} for {url}")
            if response.status_code == 200 and response.headers.get("ETag"):
                self._etags[cache_key] = (response.headers["ETag"], response)
            return response

        return retrying(attempt, RetryPolicy(attempts=self.retries + 1, base=1.0, cap=30.0), sleep=self.sleep,
                        give_up=lambda last: GenerationError(last.reason))

    def _fetch(self, url: str, params: dict[str, Any] | None, headers: dict[str, str],
               max_bytes: int | None) -> httpx.Response:
        """One GET whose body is read whole, or `_TooBig` once it exceeds `max_bytes`."""
        with self.http.stream("GET", url, params=params, headers=headers) as response:
            length = response.headers.get("Content-Length")
            if max_bytes is not None and length is not None and int(length) > max_bytes:
                raise _TooBig(int(length))
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if max_bytes is not None and len(body) > max_bytes:
                    raise _TooBig(len(body))
            response._content = body  # keep the body readable after the stream closes
        return response

    def paginate(self, url: str, params: dict[str, Any] | None = None, limit: int | None = None) -> Iterator[Any]:
        """Items of a list endpoint, following Link rel=next."""
        seen = 0
        next_url: str | None = url
        next_params = params
        while next_url:
            response = self.get(next_url, params=next_params)
            if response.status_code != 200:
                raise GenerationError(f"GitHub API {response.status_code} for {next_url}: {response.text[:200]}")
            for item in response.json():
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            match = _NEXT.search(response.headers.get("Link", ""))
            next_url, next_params = (match.group(1), None) if match else (None, None)


class _TooBig(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def linked_issues(text: str, owner: str, name: str) -> list[int]:
    """Issue numbers a PR says it fixes, in this repository only."""
    found = []
    for repo, number in _FIXES.findall(text or ""):
        if repo and repo.lower() != f"{owner}/{name}".lower():
            continue
        if int(number) not in found:
            found.append(int(number))
    return found


class GitHubMiner:
    """Candidates from one GitHub repository."""

    def __init__(self, client: GitHubClient, repo: str, *, max_diff_bytes: int = 200_000, max_pulls: int = 300,
                 clone_url: str | None = None) -> None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo or ""):
            raise ConfigError(f"--github {repo!r}: give OWNER/NAME")
        self.client, self.repo = client, repo
        self.owner, self.name = repo.split("/")
        self.max_diff_bytes, self.max_pulls = max_diff_bytes, max_pulls
        self.clone_url = clone_url
        self._clone: Path | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    def info(self) -> dict[str, Any]:
        response = self.client.get(f"/repos/{self.repo}")
        if response.status_code == 404:
            raise ConfigError(f"--github {self.repo}: no such repository (or it is private and GITHUB_TOKEN is unset)")
        if response.status_code != 200:
            raise ConfigError(f"--github {self.repo}: GitHub answered {response.status_code}: {response.text[:200]}")
        return response.json()

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
        self.client.close()

    def _repo_dir(self, url: str) -> Path:
        if self._clone is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="synth-clone-")
            target = Path(self._tmp.name) / self.name
            done = subprocess.run(["git", "clone", "--quiet", "--no-checkout", url, str(target)], capture_output=True,
                                  text=True, timeout=1800)
            if done.returncode != 0:
                raise ConfigError(f"--github {self.repo}: cannot clone {url}: {done.stderr.strip()[:200]}")
            self._clone = target
        return self._clone

    def tree_at(self, url: str, sha: str) -> bytes:
        repo = self._repo_dir(url)
        try:
            git(repo, "cat-file", "-e", f"{sha}^{{commit}}")
        except GenerationError:
            git(repo, "fetch", "--quiet", "origin", sha)
        return archive(repo, sha)

    def candidates(self) -> Iterator[Candidate | Rejection]:
        """Merged PRs that fix an issue, newest first, and a `Rejection` for every other merged PR
        (closed unmerged PRs are not fixes and are passed over silently)."""

        def skip(ident: str, reason: str) -> Rejection:
            return Rejection(key=ident, family="code", reason=reason, details={"source": "github", "repo": self.repo})

        info = self.info()
        url = self.clone_url or info.get("clone_url") or f"https://github.com/{self.repo}.git"
        pulls = self.client.paginate(f"/repos/{self.repo}/pulls",
                                     {"state": "closed", "sort": "updated", "direction": "desc", "per_page": 100},
                                     limit=self.max_pulls)
        for pr in pulls:
            ident = f"{self.repo}#{pr['number']}"
            if not pr.get("merged_at"):
                continue  # closed without merging: not a fix
            issues = linked_issues(f"{pr.get('title') or ''}\n{pr.get('body') or ''}", self.owner, self.name)
            if not issues:
                yield skip(ident, "the pull request references no issue it fixes")
                continue
            issue = self.client.get(f"/repos/{self.repo}/issues/{issues[0]}")
            if issue.status_code != 200:
                yield skip(ident, f"issue #{issues[0]} is unavailable ({issue.status_code})")
                continue
            data = issue.json()
            if "pull_request" in data:
                yield skip(ident, f"#{issues[0]} is a pull request, not an issue")
                continue
            try:
                response = self.client.get(f"/repos/{self.repo}/pulls/{pr['number']}", accept="application/vnd.github.v3.diff",
                                           max_bytes=self.max_diff_bytes)
            except _TooBig as big:
                yield skip(ident, f"diff is too large ({big.size} bytes, limit {self.max_diff_bytes})")
                continue
            if response.status_code != 200:
                yield skip(ident, f"diff is unavailable ({response.status_code})")
                continue
            pieces = split(response.text)
            if not pieces.gold or not pieces.tests:
                yield skip(ident, "the diff does not change both source and tests")
                continue
            base_sha = pr["base"]["sha"]
            try:
                tree = self.tree_at(url, base_sha)
            except GenerationError as exc:
                yield skip(ident, f"base commit unavailable: {exc}")
                continue
            problem = f"{data.get('title') or ''}\n\n{data.get('body') or ''}".strip()
            yield Candidate(
                source="github", repo=self.repo, instance_id=ident, commit=base_sha, tree=tree,
                gold_patch=pieces.gold, test_patch=pieces.tests, problem=problem,
                test_files=runnable_test_files(pieces.tests),
                details={"issue": issues[0], "pull": pr["number"], "merged_at": pr["merged_at"]},
            )
