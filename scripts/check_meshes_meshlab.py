"""Open losscape's OBJ and PLY meshes in MeshLab and report what it made of them.

Run by hand, not by CI or `cargo test`. It needs pymeshlab (MeshLab's own library, current
vcglib; `pip install pymeshlab numpy`, 2025.7 tested) and, if installed, also tries the
command-line `meshlabserver` of Debian's MeshLab 2020.09 (`apt-get install meshlab`), run
under `xvfb-run -a`:

    python3 scripts/check_meshes_meshlab.py /tmp/s.obj /tmp/s.ply

For each file it loads the mesh and checks its counts against the file's own: vertices,
triangles (the 2·(res−1)² of the grid), edges (one per polyline segment), the per-vertex colour
(present, in [0, 1]), finite coordinates and faces whose normals point along the file's up axis
(OBJ +Y, PLY +Z). Debian's meshlabserver 2020.09 aborts on every OBJ that has a face, ours or
not (an assertion in its vcglib, Debian bug 1054006); that is reported, not counted as ours.

Exit status 0 when every check passes, 1 otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pymeshlab


def file_counts(path):
    """What the file says it holds: vertices, triangles, polyline segments."""
    if path.lower().endswith(".ply"):
        data = open(path, "rb").read()
        header = data[: data.index(b"end_header\n")].decode("ascii")
        counts = dict(re.findall(r"^element (\w+) (\d+)$", header, re.M))
        return {k: int(counts.get(e, 0)) for k, e in (("vertices", "vertex"), ("triangles", "face"), ("segments", "edge"))}
    v = f = s = 0
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if parts and parts[0] == "v":
            v += 1
        elif parts and parts[0] == "f":
            f += len(parts) - 3
        elif parts and parts[0] == "l":
            s += len(parts) - 2
    return {"vertices": v, "triangles": f, "segments": s}


def check_pymeshlab(path):
    expected = file_counts(path)
    problems = []
    ms = pymeshlab.MeshSet()
    ms.load_new_mesh(path)
    m = ms.current_mesh()
    got = {"vertices": m.vertex_number(), "triangles": m.face_number(), "segments": m.edge_number()}
    print(f"== {path}")
    print(f"   file:       {expected['vertices']} vertices, {expected['triangles']} triangles, {expected['segments']} segments")
    print(f"   pymeshlab:  {got['vertices']} vertices, {got['triangles']} triangles, {got['segments']} edges")
    for key in got:
        if got[key] != expected[key]:
            problems.append(f"MISMATCH {key}: MeshLab has {got[key]}, the file has {expected[key]}")
    if m.has_vertex_color():
        c = m.vertex_color_matrix()[:, :3]
        print(f"   per-vertex colour: {len(c)} values {c.min():.4f} … {c.max():.4f}")
        if c.min() < 0 or c.max() > 1:
            problems.append("colour out of [0, 1]")
    else:
        problems.append("no per-vertex colour")
    v = m.vertex_matrix()
    print(f"   box {v.min(axis=0)} … {v.max(axis=0)}")
    if not np.isfinite(v).all():
        problems.append("a coordinate is not finite")
    if m.face_number():
        up = 1 if path.lower().endswith(".obj") else 2
        n = m.face_normal_matrix()
        facing = int((n[:, up] > 0).sum())
        print(f"   normals facing up ({'+Y' if up == 1 else '+Z'}): {facing} of {m.face_number()}")
        if facing != m.face_number():
            problems.append(f"{m.face_number() - facing} faces face down")
    return problems


def try_meshlabserver(path):
    """Debian's meshlabserver: the counts it prints, or how it failed."""
    server = shutil.which("meshlabserver")
    if not server:
        return
    command = [server, "-i", path]
    if os.environ.get("DISPLAY") is None and shutil.which("xvfb-run"):
        command = ["xvfb-run", "-a"] + command
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp)
    text = out.stdout + out.stderr
    loaded = re.search(r"loaded has (\d+) vn (\d+) fn", text)
    if loaded:
        print(f"   meshlabserver: {loaded.group(1)} vertices, {loaded.group(2)} faces")
    else:
        reason = next((l for l in text.splitlines() if "Assertion" in l or "rror" in l), f"exit {out.returncode}")
        print(f"   meshlabserver: did not load ({reason.strip()[:160]})")


def main():
    paths = sys.argv[1:]
    if not paths:
        print(__doc__)
        sys.exit(2)
    problems = []
    for path in paths:
        found = check_pymeshlab(path)
        try_meshlabserver(path)
        for p in found:
            print(f"   PROBLEM: {p}")
        problems += found
    print("all checks passed" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
