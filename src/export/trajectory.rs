//! Trajectory files: one row per run and step (DESIGN.md's CSV), or one JSON document.
//!
//! CSV header `run,step,loss,grad_norm,clipped[,holdout_loss],p0,…,p{P-1}`; floats in
//! shortest round-trip form (`NaN` and `inf` for a diverged run's last row).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::core::format::push_exact;
use crate::core::{Objective, Record, Run, RunStatus, Session, Trajectory};

/// Writes runs to `path` as CSV or JSON by extension (anything but `.json` is CSV).
pub fn write_trajectory(path: &Path, objective: &Objective, runs: &[Run]) -> io::Result<()> {
    let json = super::is_json(path);
    super::write_atomic(path, |w| if json { write_trajectory_json(w, objective, runs) } else { write_trajectory_csv(w, runs) })
}

/// `losscape train` on scene text without a folder (the web page's core, for its test): the
/// trajectory CSV of `steps` updates of every run, or the scene's one-line error. `name`'s
/// extension gives the format.
pub fn train_text(name: &Path, text: &str, steps: u64) -> Result<String, String> {
    let scene = crate::scene::parse(text, crate::scene::Format::of(name).map_err(|e| e.to_string())?, name).map_err(|e| e.to_string())?;
    let objective = scene.build_in(Path::new("")).map_err(|e| crate::scene::located(text, name, e).to_string())?;
    crate::core::session::check_path_memory(objective.dim(), scene.runs.len(), steps).map_err(|e| e.to_string())?;
    let mut session = Session::new(objective, &scene.runs).map_err(|e| crate::scene::located(text, name, e).to_string())?;
    session.run(steps);
    let mut csv = Vec::new();
    write_trajectory_csv(&mut csv, &session.runs).map_err(|e| e.to_string())?;
    String::from_utf8(csv).map_err(|e| e.to_string())
}

/// What a run did, for the line `losscape train` prints about it: enough to say it without
/// keeping its path.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// The legend label.
    pub label: String,
    /// Loss at θ₀.
    pub first_loss: f64,
    /// The last row.
    pub last: Record,
    /// How many updates clipped their gradient: rows whose gradient a step used, so the
    /// gradient at the last θ, which no step uses, is not counted.
    pub clipped_steps: u64,
    /// Running (it completed its steps) or diverged.
    pub status: RunStatus,
}

impl RunSummary {
    /// The summary of a run whose whole path is kept.
    pub fn of(run: &Run) -> Self {
        let t = &run.trajectory;
        RunSummary {
            label: run.spec.label(),
            first_loss: t.records[0].loss,
            last: t.records[t.len() - 1],
            clipped_steps: t.clipped_steps() as u64,
            status: run.status,
        }
    }
}

/// Runs `steps` updates of `session` and writes its trajectory to `path`, CSV or JSON by
/// extension: a CSV streams ([`run_and_write_csv`]); a JSON document is one value, written
/// after the runs (the caller checks [`crate::core::session::check_path_memory`] first).
pub fn run_and_write_trajectory(path: &Path, session: &mut Session, steps: u64) -> io::Result<Vec<RunSummary>> {
    let json = super::is_json(path);
    let mut summaries = Vec::new();
    super::write_atomic(path, |w| {
        if json {
            session.run_on_pool(steps);
            summaries = session.runs.iter().map(RunSummary::of).collect();
            write_trajectory_json(w, &session.objective, &session.runs)
        } else {
            summaries = run_and_write_csv(session, steps, w)?;
            Ok(())
        }
    })?;
    Ok(summaries)
}

/// The most bytes of θ one block of rows holds (1 MiB), and the blocks waiting to be written
/// at once: what bounds a streamed trajectory's memory, whatever the steps or the parameters.
const BLOCK_BYTES: usize = 1 << 20;
const BLOCKS_IN_FLIGHT: usize = 8;

/// Rows per block for `dim` parameters: up to 256, fewer for wide networks.
fn block_rows(dim: usize) -> usize {
    (BLOCK_BYTES / (8 * dim + 64)).clamp(1, 256)
}

/// Writes DESIGN.md's trajectory CSV.
pub fn write_trajectory_csv(w: &mut dyn Write, runs: &[Run]) -> io::Result<()> {
    use rayon::prelude::*;
    let holdout = write_header(w, runs)?;
    for (i, run) in runs.iter().enumerate() {
        let rows = block_rows(run.trajectory.dim());
        let starts: Vec<usize> = (0..run.trajectory.len()).step_by(rows).collect();
        for group in starts.chunks(32) {
            let texts: Vec<String> =
                group.par_iter().map(|&k| format_rows(i, Rows::of(run, k..(k + rows).min(run.trajectory.len())), holdout)).collect();
            for text in texts {
                w.write_all(text.as_bytes())?;
            }
        }
    }
    Ok(())
}

/// Runs `steps` updates of every run of `session` while writing its trajectory CSV, with memory
/// that does not grow with the steps: the runs are stepped one after another (the file lists
/// them so), and every block of new rows is taken out of the run's trajectory and handed to a
/// writer thread that formats and writes it while the next block is computed. At most
/// [`BLOCKS_IN_FLIGHT`] blocks wait; the stepping waits for the writer beyond that.
///
/// The bytes are those of [`Session::run_on_pool`] followed by [`write_trajectory_csv`]
/// (tested). Afterwards each run has its final θ and status, and an empty trajectory; the
/// returned summaries say what each run did. A failed write stops the runs and is returned.
pub fn run_and_write_csv(session: &mut Session, steps: u64, w: &mut (dyn Write + Send)) -> io::Result<Vec<RunSummary>> {
    let holdout = write_header(w, &session.runs)?;
    let dim = session.objective.dim();
    let rows = block_rows(dim) as u64;
    let (blocks, received) = std::sync::mpsc::sync_channel::<(usize, Trajectory)>(BLOCKS_IN_FLIGHT);
    // Written blocks come back emptied, to be filled again, and the writer keeps one text
    // buffer: new memory for every block (1 MiB of θ, 3 MB of text for 2-64-64-1) cost
    // 2-64-64-1's 200 steps on 5000 points 8 % of their time in page faults (perf).
    let (spares, spare) = std::sync::mpsc::channel::<Trajectory>();
    let mut summaries: Vec<RunSummary> = Vec::with_capacity(session.runs.len());
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<()> {
            // The text is made when a core idles (a step's chunks waiting on each other),
            // instead of taking a core from the steps mid-chunk and holding up the step:
            // 200 steps of 2-128-128-1 on 5000 points on 2 threads 1.748 → 1.611 s, 2-64-64-1
            // 0.552 → 0.535 s (medians of 9, 2026-11-29). The stepping still waits for the
            // writer when BLOCKS_IN_FLIGHT blocks are queued, so the text always keeps up.
            crate::priority::lower_this_thread(19);
            let mut text = String::new();
            for (i, mut block) in received {
                text.clear();
                format_rows_into(&mut text, i, Rows::all(&block), holdout);
                w.write_all(text.as_bytes())?;
                block.clear();
                let _ = spares.send(block); // the stepping may be done: then nobody needs it
            }
            Ok(())
        });
        // On rayon's pool, so a large full batch has its chunks computed on several cores.
        rayon::scope(|_| {
            let spare = spare; // moved in: a receiver is not shared between threads
            'runs: for i in 0..session.runs.len() {
                let mut done = 0;
                let mut summary: Option<RunSummary> = None;
                loop {
                    let n = (steps - done).min(rows);
                    for _ in 0..n {
                        session.step_run(i);
                    }
                    done += n;
                    let run = &mut session.runs[i];
                    let finished = done == steps || !run.is_running();
                    let empty = spare.try_recv().unwrap_or_else(|_| Trajectory::new(dim));
                    let block = std::mem::replace(&mut run.trajectory, empty);
                    let s = summary.get_or_insert_with(|| RunSummary {
                        label: run.spec.label(),
                        first_loss: block.records[0].loss,
                        last: block.records[0],
                        clipped_steps: 0,
                        status: RunStatus::Running,
                    });
                    // Every row but the very last one's gradient was used by a step.
                    s.clipped_steps += block.records.iter().filter(|r| r.clipped).count() as u64;
                    if let Some(last) = block.last() {
                        s.last = *last;
                    }
                    if finished {
                        s.clipped_steps -= u64::from(s.last.clipped);
                        s.status = run.status;
                    }
                    if blocks.send((i, block)).is_err() {
                        break 'runs; // the writer failed: its error is returned below
                    }
                    if finished {
                        break;
                    }
                }
                summaries.extend(summary);
            }
        });
        drop(blocks);
        writer.join().unwrap_or_else(|_| Err(io::Error::other("the trajectory writer panicked")))
    });
    written?;
    Ok(summaries)
}

/// Writes the CSV header; returns whether it has the held-out column.
fn write_header(w: &mut dyn Write, runs: &[Run]) -> io::Result<bool> {
    let dim = runs.first().map_or(0, |r| r.theta.len());
    let holdout = runs.iter().any(|r| r.trajectory.records.first().is_some_and(|x| x.holdout_loss.is_some()));
    let mut header = String::with_capacity(32 + dim * 8);
    header.push_str("run,step,loss,grad_norm,clipped");
    if holdout {
        header.push_str(",holdout_loss");
    }
    for p in 0..dim {
        header.push_str(&format!(",p{p}"));
    }
    header.push('\n');
    w.write_all(header.as_bytes())?;
    Ok(holdout)
}

/// Consecutive rows of one run's trajectory: their records and their θs, one after another.
#[derive(Clone, Copy)]
struct Rows<'a> {
    records: &'a [Record],
    params: &'a [f64],
    dim: usize,
}

impl<'a> Rows<'a> {
    fn of(run: &'a Run, rows: std::ops::Range<usize>) -> Self {
        let t = &run.trajectory;
        let dim = t.dim();
        Rows { records: &t.records[rows.clone()], params: t.params_of_rows(rows), dim }
    }

    fn all(t: &'a Trajectory) -> Self {
        Rows { records: &t.records, params: t.params_of_rows(0..t.len()), dim: t.dim() }
    }
}

/// The CSV lines of `rows`, of run number `i`.
fn format_rows(i: usize, rows: Rows<'_>, holdout: bool) -> String {
    let mut text = String::new();
    format_rows_into(&mut text, i, rows, holdout);
    text
}

/// [`format_rows`] appended to `text`.
fn format_rows_into(text: &mut String, i: usize, rows: Rows<'_>, holdout: bool) {
    use std::fmt::Write as _;
    text.reserve(rows.records.len() * (40 + rows.dim * 24));
    // Żmij: the shortest text that reads back as the same f64 (`NaN`, `inf` when diverged),
    // spelt as ryu spells it ([`push_number`]), in about half ryu's time.
    let mut fmt = zmij::Buffer::new();
    for (k, r) in rows.records.iter().enumerate() {
        let _ = write!(text, "{i},{},", r.step);
        push_exact(text, &mut fmt, r.loss);
        text.push(',');
        push_exact(text, &mut fmt, r.grad_norm);
        text.push_str(if r.clipped { ",true" } else { ",false" });
        if holdout {
            text.push(',');
            push_exact(text, &mut fmt, r.holdout_loss.unwrap_or(f64::NAN));
        }
        for &p in &rows.params[k * rows.dim..(k + 1) * rows.dim] {
            text.push(',');
            push_exact(text, &mut fmt, p);
        }
        text.push('\n');
    }
}

#[derive(Serialize)]
struct JsonTrajectory<'a> {
    param_names: Vec<String>,
    runs: Vec<JsonRun<'a>>,
}

#[derive(Serialize)]
struct JsonRun<'a> {
    label: String,
    spec: &'a crate::core::RunSpec,
    diverged_at: Option<u64>,
    steps: Vec<JsonStep<'a>>,
}

#[derive(Serialize)]
struct JsonStep<'a> {
    step: u64,
    loss: f64,
    grad_norm: f64,
    clipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdout_loss: Option<f64>,
    params: &'a [f64],
}

/// Writes the runs as one JSON document: parameter names, and per run its settings, where it
/// diverged (if it did) and every step (non-finite numbers become `null`).
pub fn write_trajectory_json(w: &mut dyn Write, objective: &Objective, runs: &[Run]) -> io::Result<()> {
    let doc = JsonTrajectory {
        param_names: (0..objective.dim()).map(|i| objective.param_name(i)).collect(),
        runs: runs
            .iter()
            .map(|run| JsonRun {
                label: run.spec.label(),
                spec: &run.spec,
                diverged_at: match run.status {
                    RunStatus::Diverged { step } => Some(step),
                    RunStatus::Running => None,
                },
                steps: run
                    .trajectory
                    .records
                    .iter()
                    .enumerate()
                    .map(|(k, r)| JsonStep {
                        step: r.step,
                        loss: r.loss,
                        grad_norm: r.grad_norm,
                        clipped: r.clipped,
                        holdout_loss: r.holdout_loss,
                        params: run.trajectory.params(k),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *w, &doc).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::{FunctionSpec, ObjectiveSpec, OptimizerConfig, RunSpec, Session, Sgd, Table};

    /// x² + 3y² from (10, −4): every test's objective.
    fn bowl() -> Arc<Objective> {
        let spec = ObjectiveSpec::Function(FunctionSpec { expr: "x^2 + 3*y^2".into(), start: vec![10.0, -4.0] });
        Arc::new(spec.build(&|_| -> Result<Table, crate::core::CoreError> { unreachable!() }).unwrap())
    }

    #[test]
    fn train_text_is_what_losscape_train_streams() {
        let lesson = crate::lessons::find("08_exploding").unwrap();
        let lesson = &crate::lessons::LESSONS[lesson];
        let text = train_text(&lesson.path(), lesson.text, 40).unwrap();
        let (scene, objective) = lesson.load().unwrap();
        let mut session = Session::new(objective, &scene.runs).unwrap();
        let mut streamed = Vec::new();
        run_and_write_csv(&mut session, 40, &mut streamed).unwrap();
        assert_eq!(text.as_bytes(), streamed.as_slice());
        let bad = train_text(Path::new("x.ron"), "(steps: -1)", 5).unwrap_err();
        assert!(bad.starts_with("x.ron:"), "{bad}");
    }

    /// The trajectory's number format is ryu's shortest round-trip text; Żmij must print the
    /// same characters for every kind of f64 (normal, subnormal, huge, tiny, non-finite).
    #[test]
    fn zmij_prints_what_ryu_prints() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut values: Vec<f64> = vec![
            0.0,
            -0.0,
            1.0,
            0.1,
            1e-7,
            1e16,
            1e21,
            1e22,
            123456.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
        ];
        for _ in 0..200_000 {
            // xorshift64*: bit patterns over every exponent, and decimals of everyday size.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
            values.push(f64::from_bits(bits));
            values.push((bits >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((bits % 9) as i32 - 4));
        }
        let (mut z, mut r) = (zmij::Buffer::new(), ryu::Buffer::new());
        for v in values {
            let ryu_text = if v.is_nan() {
                "NaN"
            } else if v.is_infinite() {
                if v > 0.0 { "inf" } else { "-inf" }
            } else {
                r.format_finite(v)
            };
            let mut ours = String::new();
            push_exact(&mut ours, &mut z, v);
            assert_eq!(ours, ryu_text, "{v:e}");
        }
    }

    /// The rows a block holds when the bowl (2 parameters) is streamed.
    const BLOCK_ROWS: usize = 256;

    #[test]
    fn blocks_shrink_for_wide_networks() {
        assert_eq!(block_rows(2), BLOCK_ROWS);
        assert_eq!(block_rows(10_000), 13);
        assert_eq!(block_rows(1 << 30), 1);
    }

    /// Writing while training gives the bytes of training, then writing: three runs (one
    /// diverging part-way through a block), steps not a multiple of a block, two threads.
    #[test]
    fn written_while_running_equals_written_after() {
        let objective = bowl();
        let mut runs = [0.01, 2.0, 0.02].map(|lr| RunSpec::new(OptimizerConfig::Sgd(Sgd { lr, ..Sgd::default() })));
        runs[2].clip = Some(crate::core::Clip::Norm(1.0)); // clipped while ‖g‖ > 1: counted in the summary
        let steps = 3 * BLOCK_ROWS as u64 + 17;
        let mut after = Session::new(objective.clone(), &runs).unwrap();
        after.run(steps);
        assert!(matches!(after.runs[1].status, RunStatus::Diverged { step } if step < steps), "run 1 diverges");
        let mut expected = Vec::new();
        write_trajectory_csv(&mut expected, &after.runs).unwrap();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for n in [steps, 5, 0] {
            let mut during = Session::new(objective.clone(), &runs).unwrap();
            let mut out = Vec::new();
            let summaries = pool.install(|| run_and_write_csv(&mut during, n, &mut out)).unwrap();
            let mut reference = Session::new(objective.clone(), &runs).unwrap();
            reference.run(n);
            assert_eq!(summaries, reference.runs.iter().map(RunSummary::of).collect::<Vec<_>>(), "{n} steps");
            assert!(during.runs.iter().all(|r| r.trajectory.is_empty()), "nothing kept");
            assert_eq!(
                during.runs.iter().map(|r| &r.theta).collect::<Vec<_>>(),
                reference.runs.iter().map(|r| &r.theta).collect::<Vec<_>>()
            );
            let mut expected_n = Vec::new();
            write_trajectory_csv(&mut expected_n, &reference.runs).unwrap();
            assert!(out == expected_n, "{n} steps: the streamed CSV differs");
            if n == steps {
                assert!(out == expected);
            }
        }
    }

    /// A write that fails while the runs go on is the one error returned, and stops the writing.
    #[test]
    fn a_failed_write_while_running_is_returned() {
        struct FailsAfter(usize);
        impl Write for FailsAfter {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if buf.len() > self.0 {
                    return Err(io::Error::other("disk full (injected)"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let objective = bowl();
        let runs = [RunSpec::new(OptimizerConfig::Sgd(Sgd { lr: 0.01, ..Sgd::default() }))];
        let mut session = Session::new(objective, &runs).unwrap();
        let err = run_and_write_csv(&mut session, 10 * BLOCK_ROWS as u64, &mut FailsAfter(20_000)).unwrap_err();
        assert_eq!(err.to_string(), "disk full (injected)");
    }

    #[test]
    fn rows_formatted_in_blocks_come_out_in_order() {
        let objective = bowl();
        let runs = [0.01, 0.02].map(|lr| RunSpec::new(OptimizerConfig::Sgd(Sgd { lr, ..Sgd::default() })));
        let mut session = Session::new(objective, &runs).unwrap();
        let steps = 3 * BLOCK_ROWS as u64 + 17;
        session.run(steps);
        let mut out = Vec::new();
        write_trajectory_csv(&mut out, &session.runs).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("run,step,loss,grad_norm,clipped,p0,p1"));
        let rows: Vec<(usize, u64, f64)> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].parse().unwrap(), f[1].parse().unwrap(), f[5].parse().unwrap())
            })
            .collect();
        let expected: Vec<(usize, u64)> = (0..2).flat_map(|i| (0..=steps).map(move |k| (i, k))).collect();
        assert_eq!(rows.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), expected);
        for (i, run) in session.runs.iter().enumerate() {
            for k in [0, BLOCK_ROWS - 1, BLOCK_ROWS, steps as usize] {
                assert_eq!(rows[i * (steps as usize + 1) + k].2, run.trajectory.params(k)[0], "run {i} step {k}");
            }
        }
    }
}
