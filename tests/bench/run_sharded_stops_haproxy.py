"""bench/run --shards: when the HAProxy readiness loop raises, HAProxy is
stopped with the shards (it used to keep running). Real shards and a real
HAProxy start; only the readiness probe is replaced by one that raises.
    run_sharded_stops_haproxy.py SOURCE_DIR BUILD_DIR"""
import os
import subprocess
import sys
import types
import urllib.request

src, build = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, 'bench'))
import run  # noqa: E402

started = []
real_popen = subprocess.Popen


def popen(cmd, *a, **k):
    p = real_popen(cmd, *a, **k)
    if run.HAPROXY in cmd:
        started.append(p)
    return p


class Interrupted(Exception):
    pass


def probe(*a, **k):
    raise Interrupted('the readiness probe raised')


subprocess.Popen = popen
urllib.request.urlopen = probe
args = types.SimpleNamespace(build=build, shards=2, timeout=30)
sc = {'name': 'cleanup', 'rooms': 1, 'players': 1, 'questions': 1, 'seconds': 1, 'think_ms': 0}
try:
    run.run_sharded(args, sc, 0)
    sys.exit('run_sharded returned although its readiness probe raised')
except Interrupted:
    pass
if not started:
    sys.exit('HAProxy was never started')
if started[0].poll() is None:
    started[0].kill()
    started[0].wait()
    sys.exit('HAProxy was still running after run_sharded raised')
print('HAProxy stopped after the failure (status %d)' % started[0].returncode)
