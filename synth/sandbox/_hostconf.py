"""The host's package-index settings, carried into setup containers.

Sits under image building: setup steps (network host) install packages inside containers, and
users behind proxies, private mirrors or TLS-intercepting gateways need the same settings there as
on the host. Collected: the CA bundle (mounted read-only, PIP_CERT/SSL_CERT_FILE/REQUESTS_CA_BUNDLE
pointed at it), pip's index settings from PIP_* variables and pip config files (index-url,
extra-index-url, trusted-host, find-links, constraint, timeout), and HTTP(S)_PROXY/NO_PROXY.
Local paths pip is told about (a find-links directory, a constraints file) are mounted read-only at
the same path, so the setting means the same thing inside. Nothing else of the host leaks in.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

CA_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
CA_INSIDE = "/etc/ssl/certs/synth-host-ca.crt"
_PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "find-links", "constraint", "timeout", "default-timeout")
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


@dataclass
class HostSettings:
    """Environment variables and read-only mounts for a setup container."""

    env: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, str] = field(default_factory=dict)
    """host path -> path inside the container (read-only)."""


def _pip_config_files() -> list[Path]:
    home = Path.home()
    files = [Path("/etc/pip.conf")]
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    files += [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files += [home / ".pip" / "pip.conf", Path(os.environ.get("XDG_CONFIG_HOME", home / ".config")) / "pip" / "pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    return files


def _from_config_files() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in _pip_config_files():
        if not path.is_file():
            continue
        parser = configparser.RawConfigParser()
        try:
            parser.read(path)
        except (configparser.Error, OSError):
            continue
        for section in ("global", "install"):
            if parser.has_section(section):
                for key, value in parser.items(section):
                    if key in _PIP_KEYS:
                        found[key] = " ".join(value.split())
    return found


def host_settings() -> HostSettings:
    """What a setup container needs to reach the package indexes the host reaches."""
    settings = HostSettings()
    ca = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    candidates = ([ca] if ca else []) + list(CA_CANDIDATES)
    for path in candidates:
        if path and Path(path).is_file():
            settings.mounts[str(Path(path).resolve())] = CA_INSIDE
            for var in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"):
                settings.env[var] = CA_INSIDE
            break
    pip = _from_config_files()
    for key in _PIP_KEYS:
        var = "PIP_" + key.upper().replace("-", "_")
        if var in os.environ:
            pip[key] = os.environ[var]
    for key, value in pip.items():
        if key in ("find-links", "constraint", "index-url", "extra-index-url"):
            kept = []
            for item in value.split():
                local = item[len("file://"):] if item.startswith("file://") else None if "://" in item else item
                if local is None:
                    kept.append(item)
                elif Path(local).exists():
                    where = Path(local).resolve()
                    # a local "simple" index links to files beside it: mount its parent too
                    where = where.parent if where.name == "simple" else where
                    settings.mounts[str(where)] = str(where)
                    kept.append(item)
            if not kept:
                continue
            value = " ".join(kept)
        settings.env["PIP_" + key.upper().replace("-", "_")] = value
    for var in _PROXY_VARS:
        if os.environ.get(var):
            settings.env[var] = os.environ[var]
    settings.env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    return settings
