//! `losscape plot` as a user runs it: the PNG decodes, has the requested size and shows every
//! run in its colour; bad input exits 2 with one line and leaves an existing picture alone.

use std::path::{Path, PathBuf};

use losscape::cli::plot::PALETTE;

mod common;
use common::{losscape, scene, stderr};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Width, height and RGB pixels of a PNG file.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = buf[..info.buffer_size()].chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, pixels)
}

fn count(pixels: &[[u8; 3]], (r, g, b): (u8, u8, u8)) -> usize {
    pixels.iter().filter(|p| **p == [r, g, b]).count()
}

#[test]
fn lesson_three_plots_every_run_in_its_colour() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("traj.csv");
    let o = losscape(&["train", &scene("03_hours_studied.ron"), "--out", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let png = dir.path().join("loss.png");
    let o = losscape(&["plot", csv.to_str().unwrap(), "--out", png.to_str().unwrap(), "--width", "640", "--height", "480"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 runs, linear loss axis"), "30 → 0.54 spans less than two decades");
    let (w, h, px) = decode(&png);
    assert_eq!((w, h), (640, 480));
    let white = count(&px, (255, 255, 255));
    assert!(white < px.len() * 97 / 100, "something is drawn: {white} of {} pixels are white", px.len());
    assert!(white > px.len() / 2, "and the background is white");
    for (i, &c) in PALETTE[..3].iter().enumerate() {
        assert!(count(&px, c) > 200, "run {i}'s line in {c:?}");
    }
    assert_eq!(count(&px, PALETTE[3]), 0, "no fourth run");
    // --log forces the scale; the default size is 1000×600.
    let o = losscape(&["plot", csv.to_str().unwrap(), "--out", png.to_str().unwrap(), "--log", "--scene", &scene("03_hours_studied.ron")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("log loss axis"));
    assert_eq!(decode(&png).0, 1000);
}

#[test]
fn held_out_and_diverged_runs_are_drawn() {
    let dir = tempfile::tempdir().unwrap();
    // Run 0 trains with a held-out loss; run 1 explodes and turns NaN at step 3.
    let csv = write(
        dir.path(),
        "t.csv",
        "run,step,loss,grad_norm,clipped,holdout_loss,p0\n\
         0,0,10,1,false,12,0\n0,1,1,1,false,2,0\n0,2,0.1,1,false,0.5,0\n0,3,0.01,1,false,0.2,0\n\
         1,0,10,1,false,12,0\n1,1,1e4,1,false,1e4,0\n1,2,1e9,1,false,1e9,0\n1,3,NaN,NaN,false,NaN,0\n",
    );
    let png = dir.path().join("p.png");
    let o = losscape(&["plot", csv.to_str().unwrap(), "--out", png.to_str().unwrap(), "--title", "two runs"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 runs, log loss axis"), "0.01 … 1e9 spans decades");
    let (_, _, px) = decode(&png);
    assert!(count(&px, PALETTE[0]) > 200 && count(&px, PALETTE[1]) > 200);
    // A linear axis can be forced; a log axis cannot hold a loss ≤ 0.
    let o = losscape(&["plot", csv.to_str().unwrap(), "--out", png.to_str().unwrap(), "--linear"]);
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains("linear loss axis"), "{}", stderr(&o));
    let neg = write(dir.path(), "neg.csv", "run,step,loss\n0,0,3\n0,1,-2\n");
    let o = losscape(&["plot", neg.to_str().unwrap(), "--out", png.to_str().unwrap(), "--log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--log needs positive losses"), "{}", stderr(&o));
}

#[test]
fn bad_input_exits_2_with_one_line_and_keeps_the_old_png() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "old.png", "old picture");
    let out_s = out.to_str().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing.csv"), "missing.csv: cannot read:"),
        (write(dir.path(), "empty.csv", ""), "empty.csv:1: header: the file is empty"),
        (PathBuf::from(scene("01_x_squared.ron")), "01_x_squared.ron:1: header: not a trajectory CSV"),
        (write(dir.path(), "grid.csv", "a,b,loss\n0,0,1\n"), "grid.csv:1: header: not a trajectory CSV: no column run, step"),
        (write(dir.path(), "bad.csv", "run,step,loss\n0,0,1\n0,1,0.5\n0,2,zero\n"), "bad.csv:4: loss: \"zero\" is not a number"),
        (write(dir.path(), "short.csv", "run,step,loss\n0,0,1\n0,1\n"), "short.csv:3: row: has 2 fields but the header has 3"),
        (write(dir.path(), "header.csv", "run,step,loss\n"), "header.csv:2: row: the file has a header but no rows"),
        (write(dir.path(), "nan.csv", "run,step,loss\n0,0,NaN\n"), "nan.csv:2: loss: no run has a finite loss"),
    ];
    for (input, expected) in cases {
        let o = losscape(&["plot", input.to_str().unwrap(), "--out", out_s]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{input:?}: {e}");
        assert!(e.starts_with("losscape: ") && e.contains(expected), "{input:?}: {e}");
        assert_eq!(e.trim_end().lines().count(), 1, "{e}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old picture", "{input:?}");
    }
    let good = write(dir.path(), "good.csv", "run,step,loss\n0,0,1\n");
    for size in [["--width", "20"], ["--height", "100000"]] {
        let o = losscape(&["plot", good.to_str().unwrap(), "--out", out_s, size[0], size[1]]);
        assert_eq!(o.status.code(), Some(2), "{size:?}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old picture");
    }
    let o = losscape(&["plot", good.to_str().unwrap(), "--out", dir.path().join("no/such/dir.png").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    // A single run with a single step still plots.
    let o = losscape(&["plot", good.to_str().unwrap(), "--out", out_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(decode(&out).0, 1000);
}
