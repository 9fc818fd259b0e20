"""Open losscape's OBJ and PLY meshes in Blender and report what Blender really made of them.

Run by hand, not by CI or `cargo test` (it needs Blender: `apt-get install blender`, 3.4 tested):

    losscape surface assets/scenes/03_hours_studied.ron --res 64 --mesh /tmp/s.obj
    losscape surface assets/scenes/03_hours_studied.ron --res 64 --mesh /tmp/s.ply
    blender -b --factory-startup --python scripts/check_meshes_blender.py -- /tmp/s.obj /tmp/s.ply \
        [--render docs/blender_surface.png]

For each file it imports the mesh with Blender's own importer (`wm.obj_import`, the C++ one of
3.x; `import_mesh.ply`), then counts, per object, vertices, triangles, edges and loose edges
(the polylines), and checks them against the counts in the file itself: grid vertices, the
2·(res−1)² triangles, and one edge per polyline segment, so that anything the importer drops
shows as a MISMATCH. It also checks the colour attribute (present, every value in [0, 1]), that
the surface's normals face up in world space, and that every coordinate is finite. With
--render it draws the first file's surface with Workbench (CPU, vertex colours) to a PNG.

Exit status 0 when every count matches and every check passes, 1 otherwise.
"""

import math
import struct
import sys

import bpy
from mathutils import Vector


def file_counts(path):
    """What the file says it holds: vertices, triangles, polyline segments."""
    if path.lower().endswith(".ply"):
        data = open(path, "rb").read()
        end = data.index(b"end_header\n")
        counts = {}
        for line in data[:end].decode("ascii").splitlines():
            parts = line.split()
            if parts and parts[0] == "element":
                counts[parts[1]] = int(parts[2])
        return {"vertices": counts.get("vertex", 0), "triangles": counts.get("face", 0), "segments": counts.get("edge", 0)}
    v = f = s = 0
    for line in open(path, encoding="utf-8"):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "v":
            v += 1
        elif parts[0] == "f":
            f += len(parts) - 3  # a polygon of n corners is n − 2 triangles
        elif parts[0] == "l":
            s += len(parts) - 2  # a polyline of n points is n − 1 segments
    return {"vertices": v, "triangles": f, "segments": s}


def import_file(path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    if path.lower().endswith(".ply"):
        result = bpy.ops.import_mesh.ply(filepath=path)
    else:
        result = bpy.ops.wm.obj_import(filepath=path)
    return result, [o for o in bpy.data.objects if o.type == "MESH"]


def colour_report(mesh):
    """(name, domain, type, count, lo, hi) of each colour attribute."""
    out = []
    for a in mesh.color_attributes:
        values = [c for d in a.data for c in d.color]
        lo, hi = (min(values), max(values)) if values else (float("nan"), float("nan"))
        out.append((a.name, a.domain, a.data_type, len(a.data), lo, hi))
    return out


def check(path):
    """Imports one file, prints what Blender made of it; returns the list of problems."""
    expected = file_counts(path)
    result, objects = import_file(path)
    problems = []
    print(f"== {path}: {result}")
    print(f"   file: {expected['vertices']} vertices, {expected['triangles']} triangles, {expected['segments']} polyline segments")
    total = {"vertices": 0, "triangles": 0, "segments": 0}
    for o in objects:
        m = o.data
        in_face = set()
        for p in m.polygons:
            in_face.update(p.edge_keys)
        loose = sum(1 for e in m.edges if e.key not in in_face)
        tris = sum(1 for p in m.polygons if len(p.vertices) == 3)
        world = [o.matrix_world @ v.co for v in m.vertices]
        finite = all(math.isfinite(c) for w in world for c in w)
        print(
            f"   object {o.name!r}: {len(m.vertices)} vertices, {len(m.polygons)} faces ({tris} triangles), "
            f"{len(m.edges)} edges of which {loose} loose"
        )
        for name, domain, kind, n, lo, hi in colour_report(m):
            print(f"     colour {name!r}: {domain} {kind} ×{n}, values {lo:.4f} … {hi:.4f}")
            if not (0.0 <= lo <= hi <= 1.0):
                problems.append(f"{o.name}: colour {name} out of [0, 1]")
        if world:
            lo = [min(w[i] for w in world) for i in range(3)]
            hi = [max(w[i] for w in world) for i in range(3)]
            print(f"     world box {[round(x, 4) for x in lo]} … {[round(x, 4) for x in hi]}")
        if not finite:
            problems.append(f"{o.name}: a coordinate is not finite")
        if m.polygons:
            rot = o.matrix_world.to_3x3()
            up = sum(1 for p in m.polygons if (rot @ p.normal).z > 0)
            print(f"     normals facing up (world +Z): {up} of {len(m.polygons)}")
            if up != len(m.polygons):
                problems.append(f"{o.name}: {len(m.polygons) - up} faces face down")
            if not m.color_attributes:
                problems.append(f"{o.name}: no colour attribute")
        total["vertices"] += len(m.vertices)
        total["triangles"] += tris
        total["segments"] += loose
    for key in ("vertices", "triangles", "segments"):
        if total[key] != expected[key]:
            problems.append(f"MISMATCH {key}: Blender has {total[key]}, the file has {expected[key]}")
    print(f"   Blender: {total['vertices']} vertices, {total['triangles']} triangles, {total['segments']} loose edges")
    return problems


def render(path, png):
    """The surface of `path` with its vertex colours, paths as thin tubes, Workbench on the CPU."""
    _, objects = import_file(path)
    scene = bpy.context.scene
    surface = max(objects, key=lambda o: len(o.data.polygons))
    # Scale the surface into a 2 × 2 × 1 box: the loss often dwarfs the span.
    for o in objects:
        o.select_set(True)
    bpy.context.view_layer.objects.active = surface
    bpy.ops.object.transform_apply(location=False, rotation=True, scale=True)
    corners = [v.co for v in surface.data.vertices]
    lo = Vector([min(c[i] for c in corners) for i in range(3)])
    hi = Vector([max(c[i] for c in corners) for i in range(3)])
    span = hi - lo
    scale = Vector((2.0 / max(span.x, 1e-30), 2.0 / max(span.y, 1e-30), 1.0 / max(span.z, 1e-30)))
    centre = (lo + hi) / 2
    for o in objects:
        for v in o.data.vertices:
            v.co = Vector(((v.co.x - centre.x) * scale.x, (v.co.y - centre.y) * scale.y, (v.co.z - lo.z) * scale.z))
        o.data.update()
        if not o.data.polygons:  # a path: loose edges, drawn as a tube
            bpy.context.view_layer.objects.active = o
            for other in bpy.data.objects:
                other.select_set(other == o)
            bpy.ops.object.convert(target="CURVE")
            o.data.bevel_depth = 0.012
    surface.data.color_attributes.active_color = surface.data.color_attributes[0]
    bpy.ops.object.select_all(action="DESELECT")
    surface.select_set(True)
    bpy.context.view_layer.objects.active = surface
    bpy.ops.object.shade_smooth()

    scene.render.engine = "BLENDER_WORKBENCH"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "VERTEX"
    shading.show_specular_highlight = False
    scene.render.resolution_x, scene.render.resolution_y = 1000, 700
    scene.render.film_transparent = False
    scene.view_settings.view_transform = "Standard"  # the file's colours as they are, not Filmic's
    scene.world = bpy.data.worlds.new("background") if scene.world is None else scene.world
    scene.world.color = (0.8, 0.8, 0.8)
    scene.render.image_settings.file_format = "PNG"

    cam_data = bpy.data.cameras.new("camera")
    cam_data.lens = 50
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (3.2, -3.4, 2.4)
    direction = Vector((0.0, 0.0, 0.3)) - cam.location
    cam.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
    scene.camera = cam
    scene.render.filepath = png
    bpy.ops.render.render(write_still=True)
    print(f"   rendered {png}")


def main():
    argv = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    png = None
    if "--render" in argv:
        i = argv.index("--render")
        png = argv[i + 1]
        del argv[i : i + 2]
    if not argv:
        print(__doc__)
        sys.exit(2)
    problems = []
    for path in argv:
        found = check(path)
        for p in found:
            print(f"   PROBLEM: {p}")
        problems += [f"{path}: {p}" for p in found]
    if png:
        render(argv[0], png)
    print("all checks passed" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


main()
