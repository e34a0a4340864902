# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side cost, in-process: the engine on a 1 MB system.json, and request validation cold and cached.

Needs ansible_collections.ioconnect.fleet importable (fleet_bench.py puts its collections path on sys.path).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time


def big_document(target_bytes: int = 1024 * 1024) -> bytes:
    """A system.json grown to target_bytes with realistic content: many app stores, layouts and applications."""
    import fleet  # noqa: E402 - benchmarks/ is on sys.path when run from fleet_bench.py

    document = fleet.drifted_document(1)
    document["appStores"] = []
    document["applications"] = []
    index = 0
    while len(fleet.render(document)) < target_bytes:
        index += 1
        document["appStores"].append({"type": "rest", "details": {
            "url": "https://apps-%03d.example.com/api/apps" % index, "auth": "negotiate", "pollInterval": 30000,
            "enablePersistentCache": True, "cacheFolder": "%%IO_CD_USER_DATA_DIR%%/appCache/%03d" % index}})
        document["applications"].append({
            "name": "trading-blotter-%04d" % index, "title": "Trading Blotter %d" % index, "type": "window",
            "details": {"url": "https://blotter.example.com/%d" % index, "mode": "tab", "width": 1280,
                        "height": 800, "allowMultiple": True, "autoStart": index % 7 == 0},
            "customProperties": {"desk": "equities", "tags": ["fx", "rates", "credit"][: 1 + index % 3]},
            "intents": [{"name": "ShowInstrument", "contexts": ["Instrument"], "displayName": "Show %d" % index}]})
    return fleet.render(document)


def _median_ms(fn, repeat: int) -> dict:
    """Wall and CPU milliseconds; on a shared, loaded machine the CPU time is the figure to read."""
    fn()  # warm caches (imports, regex compilation)
    samples, cpu = [], []
    for _sample in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - start_cpu) * 1000.0)
        samples.append((time.perf_counter() - start) * 1000.0)
    return {"median_ms": round(statistics.median(samples), 2), "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2), "cpu_median_ms": round(statistics.median(cpu), 2),
            "repeat": repeat}


def measure(repeat: int = 15) -> dict:
    from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.engine import plan
    from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import Request
    from ansible_collections.ioconnect.fleet.plugins.plugin_utils import validation

    raw = big_document()
    url = "https://iomanager-emea.example.com/api"
    params = {"server": {"enabled": True, "url": url}, "crash_reporter": {"output": {"type": "server",
              "serverUrl": url + "/crashes"}}, "settings": None, "app_stores": None, "app_stores_mode": "replace",
              "remove": []}
    request = Request.from_params(params)
    drifted = plan(raw, request, "system.json")
    assert drifted.changed and drifted.new_bytes is not None
    compliant_raw = drifted.new_bytes
    assert not plan(compliant_raw, request, "system.json").changed

    shapes = {"server": params["server"], "crashReporter": params["crash_reporter"]}

    def cold_validation():
        with tempfile.TemporaryDirectory() as folder:
            assert validation.validate_request(shapes, False, cache_dir=folder) == []

    warm_folder = tempfile.mkdtemp(prefix="bench-validated-")
    validation.validate_request(shapes, False, cache_dir=warm_folder)

    return {
        "document_bytes": len(raw),
        "plan_drifted": _median_ms(lambda: plan(raw, request, "system.json"), repeat),
        "plan_drifted_diff_mode": _median_ms(lambda: plan(raw, request, "system.json").result(diff_mode=True),
                                             repeat),
        "plan_compliant": _median_ms(lambda: plan(compliant_raw, request, "system.json"), repeat),
        "parse_only_json_loads": _median_ms(lambda: json.loads(raw), repeat),
        "validate_request_cold": _median_ms(cold_validation, repeat),
        "validate_request_cached": _median_ms(
            lambda: validation.validate_request(shapes, False, cache_dir=warm_folder), repeat),
    }
