"""The host's CA bundle and pip index settings reach setup containers (no Docker needed)."""

from __future__ import annotations

from synth.sandbox import host_settings
from synth.sandbox._hostconf import CA_INSIDE


def test_ca_bundle_and_pip_settings_are_carried_in(tmp_path, monkeypatch):
    ca = tmp_path / "corp-ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    index = tmp_path / "mirror" / "simple"
    index.mkdir(parents=True)
    conf = tmp_path / "pip.conf"
    conf.write_text(f"[global]\nindex-url = https://mirror.example/simple\nfind-links = {wheels} /gone/dir\n"
                    f"extra-index-url = file://{index}\n")
    for var in list(__import__("os").environ):
        if var.startswith("PIP_") or var.lower().endswith("_proxy"):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PIP_CERT", str(ca))
    monkeypatch.setenv("PIP_TRUSTED_HOST", "mirror.example")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    settings = host_settings()
    assert settings.mounts[str(ca)] == CA_INSIDE and settings.env["PIP_CERT"] == CA_INSIDE
    assert settings.env["SSL_CERT_FILE"] == CA_INSIDE
    assert settings.env["PIP_INDEX_URL"] == "https://mirror.example/simple"
    assert settings.env["PIP_TRUSTED_HOST"] == "mirror.example"
    assert settings.env["PIP_FIND_LINKS"] == str(wheels)  # a missing directory is dropped
    assert settings.mounts[str(wheels)] == str(wheels)
    assert settings.mounts[str(index.parent)] == str(index.parent)  # a local index with its files
    assert settings.env["HTTPS_PROXY"] == "http://proxy.example:3128"
