"""Runs the `custody` CLI against a test server.

The CLI reads the server URL from $XDG_CONFIG_HOME/custody/config.toml (`server`) and the API
token from CUSTODY_TOKEN. Commands used here:
  custody upload FILE --entity ENTITY_ID [--evidence EVIDENCE_ID]
  custody ls --entity ENTITY_ID
  custody download EVIDENCE_ID --output FILE
"""

from __future__ import annotations

import os
import subprocess


class Cli:
    def __init__(self, binary: str, server_url: str, token: str, directory: str):
        self.binary = binary
        self.token = token
        self.config_home = os.path.join(directory, "xdg-config")
        # The CLI keeps records of interrupted uploads there; the test's home stays clean.
        self.state_home = os.path.join(directory, "xdg-state")
        os.makedirs(os.path.join(self.config_home, "custody"), exist_ok=True)
        with open(os.path.join(self.config_home, "custody", "config.toml"), "w",
                  encoding="utf-8") as config:
            config.write(f'server = "{server_url}"\n')

    def run(self, *arguments: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env["XDG_CONFIG_HOME"] = self.config_home
        env["XDG_STATE_HOME"] = self.state_home
        env["CUSTODY_TOKEN"] = self.token
        # The config file is the source under test, so the variable must not override it.
        env.pop("CUSTODY_SERVER", None)
        return subprocess.run(
            [self.binary, *arguments],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


def describe(result: subprocess.CompletedProcess) -> str:
    return (
        f"`{' '.join(result.args)}` exited with {result.returncode}\n"
        f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    )
