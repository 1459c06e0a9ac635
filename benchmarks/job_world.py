"""A LimeSurvey world for the sync-job benchmark: the demo's year, left running.

Runs ``bip_bridge.demo.run_demo`` (the bundled emulator, provisioning, a synthetic
cohort, a year of waves, syncs and push-backs) but keeps the emulator serving when the
demo ends, in this process, so that ``bip-bridge sync`` can be timed against it from
another one. Prints one JSON line (configuration file, environment for the secrets,
response count), then reads commands on stdin:

    add K      K new complete responses (copies of existing ones, new ids), prints the count
    quit

    python benchmarks/job_world.py FOLDER [participants]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from bip_bridge import demo  # noqa: E402
from bip_bridge.emulator import EmulatorServer  # noqa: E402

_servers: list[EmulatorServer] = []


class _KeptServer(EmulatorServer):
    """The emulator, not stopped when the demo leaves its ``with`` block."""

    def __enter__(self) -> _KeptServer:
        _servers.append(self)
        return super().__enter__()  # type: ignore[return-value]

    def __exit__(self, *exc: object) -> None:
        return None


def main(folder: Path, participants: int) -> None:
    import bip_bridge.emulator as emulator_package
    from bip_bridge.limesurvey import LimeSurveyClient

    emulator_package.EmulatorServer = _KeptServer  # type: ignore[misc]
    result = demo.run_demo(folder, participants=participants, months=12)
    server = _servers[-1]
    env = {"BIP_BRIDGE_LIMESURVEY_PASSWORD": server.password,
           "BIP_BRIDGE_PSEUDONYM_KEY": demo.DEMO_PSEUDONYM_KEY}
    client = LimeSurveyClient(server.url, server.username, server.password, retries=0)
    surveys = [int(s["sid"]) for s in client.list_surveys()]
    columns = {sid: demo.answer_columns(client, sid) for sid in surveys}

    def count() -> int:
        return sum(len(client.export_responses(sid, fields=("id",))) for sid in surveys)

    print(json.dumps({"config": str(result.out_dir / "bip-bridge.toml"), "env": env,
                      "responses": count()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] == "add":
            wanted = int(words[1])
            for i in range(wanted):
                sid = surveys[i % len(surveys)]
                row = client.export_responses(sid, completion="complete")[i // len(surveys)]
                data: dict[str, Any] = {"submitdate": row["submitdate"],
                                        "startdate": row.get("startdate")}
                for heading, column in columns[sid].items():
                    if row.get(heading) not in (None, ""):
                        data[column] = row[heading]
                client.add_response(sid, {k: v for k, v in data.items() if v is not None})
            print(json.dumps({"responses": count()}), flush=True)
    client.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 240)
