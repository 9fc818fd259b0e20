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

/// Losses at the ends of `f64` used to hang `plot` at 100 % CPU (issue 12): the padded range
/// overflowed to infinity, or the log axis counted `usize::MAX` decades. Each trajectory now
/// gives a picture (with its line drawn where it has two points) or one line and exit 2.
#[test]
fn extreme_losses_plot_or_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.png");
    let max = f64::MAX;
    let sub = f64::MIN_POSITIVE / 4096.0;
    let rows = |losses: &[f64]| -> String {
        let mut text = String::from("run,step,loss\n");
        for (i, l) in losses.iter().enumerate() {
            text += &format!("0,{i},{l:e}\n");
        }
        text
    };
    // (name, file, flags, Ok(axis and whether a line is drawn) or Err(part of the message))
    let cases: Vec<(&str, String, &[&str], Result<(&str, bool), &str>)> = vec![
        ("up_to_1e308", rows(&[1.0, 1e308, 1e300]), &[], Ok(("log", true))),
        ("down_to_1e-308", rows(&[1.0, 1e-308]), &[], Ok(("log", true))),
        ("both_ends", rows(&[1e308, 1e-308, max, 5e-324]), &[], Ok(("log", true))),
        ("max_log", rows(&[max, max / 2.0]), &["--log"], Ok(("log", true))),
        ("max_linear", rows(&[max, 1e308, -max]), &["--linear"], Ok(("linear", true))),
        ("max_linear_flat", rows(&[max, max]), &["--linear"], Ok(("linear", true))),
        ("near_max_linear", rows(&[max, max * (1.0 - f64::EPSILON)]), &["--linear"], Ok(("linear", true))),
        ("tiny_linear", rows(&[1e-308, 2e-308]), &["--linear"], Ok(("linear", true))),
        ("subnormal", rows(&[sub, 5e-324]), &[], Ok(("log", true))),
        ("subnormal_linear", rows(&[sub, 5e-324, 0.0]), &["--linear"], Ok(("linear", true))),
        ("single_point", rows(&[0.5]), &[], Ok(("linear", false))),
        ("single_max", rows(&[max]), &["--log"], Ok(("log", false))),
        ("all_equal", rows(&[2.5; 6]), &[], Ok(("linear", true))),
        ("all_zero", rows(&[0.0; 3]), &[], Ok(("linear", true))),
        ("last_step", "run,step,loss\n0,0,1\n0,18446744073709551615,1e308\n".into(), &[], Ok(("log", true))),
        ("negative_log", rows(&[3.0, -2.0]), &["--log"], Err("--log needs positive losses")),
        ("zero_log", rows(&[3.0, 0.0]), &["--log"], Err("--log needs positive losses")),
    ];
    for (name, text, flags, expected) in cases {
        let input = write(dir.path(), &format!("{name}.csv"), &text);
        let _ = std::fs::remove_file(&out);
        let mut args = vec!["plot", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--width", "400", "--height", "300"];
        args.extend(flags);
        let o = losscape(&args);
        let e = stderr(&o);
        match expected {
            Ok((axis, line)) => {
                assert!(o.status.success(), "{name}: {e}");
                assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("{axis} loss axis")), "{name}");
                let (w, h, px) = decode(&out);
                assert_eq!((w, h), (400, 300), "{name}");
                if line {
                    assert!(count(&px, PALETTE[0]) > 20, "{name}: the run's line is drawn");
                }
            }
            Err(message) => {
                assert_eq!(o.status.code(), Some(2), "{name}: {e}");
                assert!(e.starts_with("losscape: ") && e.contains(message), "{name}: {e}");
                assert_eq!(e.trim_end().lines().count(), 1, "{name}: {e}");
                assert!(!out.exists(), "{name}");
            }
        }
    }
}
