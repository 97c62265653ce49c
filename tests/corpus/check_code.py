#!/usr/bin/env python3
"""Checks every code question of a pack for truth: runs the snippet with this
python3 and compares the marked line's result with the marked correct option.

code_output: the marked line is evaluated (an assignment: its target after it
runs; print(...): what it prints); code_raises: the exception it raises.
Each snippet runs in its own interpreter with a timeout, isolated from the
others. Exit status 1 lists every mismatch as "id: expected ... got ...".
"""
import ast
import json
import subprocess
import sys

RUNNER = r'''
import ast, io, json, sys, contextlib
src = sys.stdin.read()
lines = src.split("\n")
body, last = "\n".join(lines[:-1]), lines[-1].replace("# ?", "").rstrip()
g = {"__name__": "__quizd__"}
exec(compile(body, "<snippet>", "exec"), g)
out = {}
try:
    if last.startswith("print("):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(last, g)
        out["printed"] = buf.getvalue().rstrip("\n")
    else:
        tree = ast.parse(last)
        node = tree.body[0]
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            exec(last, g)
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            out["value"] = repr(eval(compile(ast.Expression(target), "<t>", "eval"), g))
        else:
            out["value"] = repr(eval(last, g))
except BaseException as e:
    out["raised"] = type(e).__name__
print(json.dumps(out))
'''


def same_value(expected, got_repr):
    try:
        return ast.literal_eval(expected) == ast.literal_eval(got_repr)
    except Exception:
        return expected.strip() == got_repr.strip()


def check(q):
    code = q["code"]
    expected = q["options"][q["correct"]]
    try:
        r = subprocess.run([sys.executable, "-I", "-c", RUNNER], input=code, text=True,
                           capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "timed out"
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()
        return "snippet failed before the marked line: " + (err[-1] if err else "?")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    if q["kind"] == "code_raises":
        want = expected.replace("Raises ", "")
        if out.get("raised") != want:
            return f"expected to raise {want}, got {out}"
        return None
    if "raised" in out:
        return f"raised {out['raised']}"
    if "printed" in out:
        return None if out["printed"] == expected else f"printed {out['printed']!r}, expected {expected!r}"
    return None if same_value(expected, out["value"]) else f"evaluated to {out['value']}, expected {expected}"


def main():
    if len(sys.argv) < 2:
        print("usage: check_code.py PACK.json [--list-failures]", file=sys.stderr)
        return 2
    pack = json.load(open(sys.argv[1], encoding="utf-8"))
    qs = [q for q in pack["questions"] if q["kind"] in ("code_output", "code_raises")]
    bad = 0
    for q in qs:
        why = check(q)
        if why:
            bad += 1
            print(f"{q['id']}: {why}")
    print(f"{len(qs) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
