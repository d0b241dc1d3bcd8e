//! A small SVG chart renderer for the HTML reports: a time (or value) axis, a value axis with
//! "nice" ticks (1, 2, 5 × 10^k), step and straight lines, vertical range bars (a bucket's lowest to
//! highest trade), bars from the axis (volume), and a legend. Charts are `maud` markup, so every
//! text (titles, legend names, tooltips) is escaped by construction.
//!
//! Invariants: the output is a pure function of the chart (no clock, no randomness, no unordered
//! iteration), so the same run renders the same bytes; coordinates are written with one decimal,
//! and a chart holds what its caller gives it — the series are already bounded by
//! `sim::series::BUCKETS` — so its size is bounded by its points; a value that is not finite is
//! dropped, never drawn.

use std::fmt::Write as _;

use maud::{html, Markup};

/// Colours of the runs in a file, base first (colour-blind safe, Okabe–Ito order).
pub const RUN_COLOURS: [&str; 8] =
    ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

/// The colour of run `i`.
pub fn run_colour(i: usize) -> &'static str {
    RUN_COLOURS[i % RUN_COLOURS.len()]
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stroke {
    Solid,
    Dashed,
    Dotted,
}

/// A series on a chart.
#[derive(Clone, Debug)]
pub enum Mark {
    /// A line through (x, y); with `step`, the value holds until the next point.
    Line { name: String, colour: &'static str, stroke: Stroke, width: f64, step: bool, points: Vec<(f64, f64)> },
    /// Vertical ranges (x, low, high), e.g. a time bucket's lowest and highest trade.
    Ranges { name: String, colour: &'static str, points: Vec<(f64, f64, f64)> },
    /// Bars from zero over [x0, x1] to y.
    Bars { name: String, colour: &'static str, points: Vec<(f64, f64, f64)> },
    /// Shaded spans over [x0, x1] between two values (x0, x1, low, high), e.g. a shortfall.
    Spans { name: String, colour: &'static str, points: Vec<(f64, f64, f64, f64)> },
}

impl Mark {
    fn name(&self) -> &str {
        match self {
            Mark::Line { name, .. }
            | Mark::Ranges { name, .. }
            | Mark::Bars { name, .. }
            | Mark::Spans { name, .. } => name,
        }
    }

    fn values(&self) -> Vec<f64> {
        match self {
            Mark::Line { points, .. } => points.iter().map(|p| p.1).collect(),
            Mark::Ranges { points, .. } => points.iter().flat_map(|p| [p.1, p.2]).collect(),
            Mark::Bars { points, .. } => points.iter().flat_map(|p| [0.0, p.2]).collect(),
            Mark::Spans { points, .. } => points.iter().flat_map(|p| [p.2, p.3]).collect(),
        }
    }

    fn xs(&self) -> Vec<f64> {
        match self {
            Mark::Line { points, .. } => points.iter().map(|p| p.0).collect(),
            Mark::Ranges { points, .. } => points.iter().map(|p| p.0).collect(),
            Mark::Bars { points, .. } => points.iter().flat_map(|p| [p.0, p.1]).collect(),
            Mark::Spans { points, .. } => points.iter().flat_map(|p| [p.0, p.1]).collect(),
        }
    }
}

/// How the x axis reads: time in seconds, shown in a unit that suits the span.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    pub end_s: f64,
}

/// A chart: a title, a time axis from 0, a value axis with its unit, and marks.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The SVG element's id (also its CSS hook).
    pub id: String,
    pub title: String,
    pub y_unit: String,
    pub time: TimeAxis,
    pub marks: Vec<Mark>,
    pub width: u32,
    pub height: u32,
    /// Fixed value range, e.g. shared by paired charts; `None`: from the marks.
    pub y_range: Option<(f64, f64)>,
    /// Whether the value axis starts at zero (amounts) or at the lowest value (prices).
    pub from_zero: bool,
}

const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 34.0;

impl Chart {
    pub fn new(id: impl Into<String>, title: impl Into<String>, y_unit: impl Into<String>, time: TimeAxis) -> Chart {
        Chart {
            id: id.into(),
            title: title.into(),
            y_unit: y_unit.into(),
            time,
            marks: Vec::new(),
            width: 640,
            height: 240,
            y_range: None,
            from_zero: true,
        }
    }

    /// The value range of the marks (lowest, highest), if any mark has a finite value.
    pub fn data_range(&self) -> Option<(f64, f64)> {
        let values: Vec<f64> = self.marks.iter().flat_map(Mark::values).filter(|v| v.is_finite()).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo <= hi).then_some((lo, hi))
    }

    /// The chart as an inline `<svg>` with its legend below.
    pub fn render(&self) -> Markup {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let (plot_w, plot_h) = (w - LEFT - RIGHT, h - TOP - BOTTOM);
        let (y_lo, y_hi) = self.y_range.or_else(|| self.data_range()).unwrap_or((0.0, 1.0));
        let y_lo = if self.from_zero { y_lo.min(0.0) } else { y_lo };
        let (y_lo, y_hi, y_ticks) = nice_range(y_lo, y_hi);
        let x_hi = self.x_end();
        let (unit, scale) = time_unit(x_hi);
        let (_, x_hi_nice, x_ticks) = time_range(x_hi / scale);
        let x_hi = x_hi_nice * scale;
        let sx = |x: f64| LEFT + x / x_hi * plot_w;
        let sy = |y: f64| TOP + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h;
        let mut grid = String::new();
        for &t in &y_ticks {
            let _ = write!(grid, "M{:.1} {:.1}H{:.1}", LEFT, sy(t), LEFT + plot_w);
        }
        for &t in &x_ticks {
            let _ = write!(grid, "M{:.1} {:.1}V{:.1}", sx(t * scale), TOP, TOP + plot_h);
        }
        let paths: Vec<(String, &Mark)> = self.marks.iter().map(|m| (path(m, &sx, &sy, y_lo), m)).collect();
        let label = format!("{} ({})", self.title, self.y_unit);
        html! {
            figure.chart id=(self.id) style=(format!("width:{}px", self.width)) {
                svg.plot viewBox=(format!("0 0 {w} {h}")) width=(self.width) height=(self.height) role="img" aria-label=(label) {
                    text.title x=(LEFT) y="16" { (self.title) }
                    path.grid d=(grid) {}
                    @for &t in &y_ticks {
                        text.tick x=(format!("{:.1}", LEFT - 6.0)) y=(format!("{:.1}", sy(t) + 4.0)) text-anchor="end" { (number(t)) }
                    }
                    @for &t in &x_ticks {
                        text.tick x=(format!("{:.1}", sx(t * scale))) y=(format!("{:.1}", TOP + plot_h + 16.0)) text-anchor="middle" { (number(t)) }
                    }
                    text.axis x=(format!("{:.1}", LEFT + plot_w)) y=(format!("{:.1}", h - 4.0)) text-anchor="end" { "time (" (unit) ")" }
                    text.axis transform=(format!("translate(12 {:.1}) rotate(-90)", TOP + plot_h / 2.0)) text-anchor="middle" { (self.y_unit) }
                    path.frame d=(format!("M{LEFT} {TOP}V{:.1}H{:.1}", TOP + plot_h, LEFT + plot_w)) {}
                    @for (d, m) in &paths {
                        @match m {
                            Mark::Line { colour, stroke, width, name, .. } => {
                                path.line d=(d) stroke=(colour) stroke-width=(width) stroke-dasharray=(dash(*stroke)) fill="none" { title { (name) } }
                            }
                            Mark::Ranges { colour, name, .. } => {
                                path.range d=(d) stroke=(colour) stroke-width="2" fill="none" opacity="0.45" { title { (name) } }
                            }
                            Mark::Bars { colour, name, .. } => {
                                path.bars d=(d) fill=(colour) opacity="0.6" { title { (name) } }
                            }
                            Mark::Spans { colour, name, .. } => {
                                path.spans d=(d) fill=(colour) opacity="0.18" { title { (name) } }
                            }
                        }
                    }
                }
                figcaption.legend {
                    @for m in &self.marks {
                        span.key {
                            @match m {
                                Mark::Line { colour, stroke, .. } => {
                                    svg width="22" height="10" { path d="M1 5H21" stroke=(colour) stroke-width="2" stroke-dasharray=(dash(*stroke)) {} }
                                }
                                Mark::Ranges { colour, .. } | Mark::Bars { colour, .. } | Mark::Spans { colour, .. } => {
                                    svg width="22" height="10" { rect x="1" y="1" width="20" height="8" fill=(colour) opacity="0.5" {} }
                                }
                            }
                            " " (m.name())
                        }
                    }
                }
            }
        }
    }

    /// The end of the time axis: the run's end, or the last point if later.
    fn x_end(&self) -> f64 {
        let last = self.marks.iter().flat_map(Mark::xs).filter(|x| x.is_finite()).fold(0.0, f64::max);
        self.time.end_s.max(last).max(1e-9)
    }
}

/// What a timeline marker stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Happening {
    /// An invariant's first violation.
    Violation,
    /// The first attack.
    Attack,
    /// The reserves monitor's alarm.
    Detection,
}

/// One run's lane on a timeline.
#[derive(Clone, Debug)]
pub struct Lane {
    pub name: String,
    pub colour: &'static str,
    /// Labelled moments: (time in s, what, label), each drawn on its own row.
    pub markers: Vec<(f64, Happening, String)>,
    /// Crashes and recoveries: (time in s, crashes, recoveries) per time bucket.
    pub outages: Vec<(f64, u32, u32)>,
}

/// A timeline: one lane per run, every labelled moment on its own row so labels never overlap.
pub fn timeline(id: &str, end_s: f64, lanes: &[Lane]) -> Markup {
    const ROW: f64 = 15.0;
    let width = 1000.0;
    let plot_w = width - LEFT - 190.0;
    let end_s = end_s.max(1e-9);
    let (unit, scale) = time_unit(end_s);
    let (_, x_hi, x_ticks) = time_range(end_s / scale);
    let sx = |x: f64| LEFT + x / (x_hi * scale) * plot_w;
    let mut tops = Vec::with_capacity(lanes.len());
    let mut y = TOP;
    for lane in lanes {
        tops.push(y);
        y += ROW * (2.0 + lane.markers.len() as f64) + 8.0;
    }
    let height = y + BOTTOM;
    let mut grid = String::new();
    for &t in &x_ticks {
        let _ = write!(grid, "M{:.1} {:.1}V{:.1}", sx(t * scale), TOP, y);
    }
    html! {
        figure.chart.timeline id=(id) {
            svg.plot viewBox=(format!("0 0 {width} {height:.0}")) width=(width) height=(format!("{height:.0}")) role="img" aria-label="timeline" {
                text.title x=(LEFT) y="16" { "Timeline: first violations, crashes and recoveries, first attack, detection" }
                path.grid d=(grid) {}
                @for &t in &x_ticks {
                    text.tick x=(format!("{:.1}", sx(t * scale))) y=(format!("{:.1}", y + 16.0)) text-anchor="middle" { (number(t)) }
                }
                text.axis x=(format!("{:.1}", LEFT + plot_w)) y=(format!("{:.1}", height - 4.0)) text-anchor="end" { "time (" (unit) ")" }
                @for (lane, &top) in lanes.iter().zip(&tops) {
                    g.lane {
                        text.lane-name x="4" y=(format!("{:.1}", top + 11.0)) fill=(lane.colour) { (lane.name) }
                        path.frame d=(format!("M{LEFT} {:.1}H{:.1}", top + ROW * 1.5, LEFT + plot_w)) stroke=(lane.colour) {}
                        @for &(t, crashes, recoveries) in &lane.outages {
                            @if crashes > 0 {
                                path.crash d=(format!("M{:.1} {:.1}v-9", sx(t), top + ROW * 1.5)) { title { (crashes) " crash(es) at " (number(t / scale)) " " (unit) } }
                            }
                            @if recoveries > 0 {
                                path.recovery d=(format!("M{:.1} {:.1}v7", sx(t), top + ROW * 1.5)) { title { (recoveries) " recovery(ies) at " (number(t / scale)) " " (unit) } }
                            }
                        }
                        @for (i, (t, what, label)) in lane.markers.iter().enumerate() {
                            @let (x, row) = (sx(*t), top + ROW * (2.5 + i as f64));
                            @let right = x > LEFT + plot_w * 0.7;
                            path.guide d=(format!("M{x:.1} {:.1}V{row:.1}", top + ROW * 1.5)) {}
                            @match what {
                                Happening::Violation => { circle.violation cx=(format!("{x:.1}")) cy=(format!("{row:.1}")) r="4" {} }
                                Happening::Attack => { path.attack d=(format!("M{:.1} {:.1}l5 8h-10z", x, row - 5.0)) {} }
                                Happening::Detection => { path.detection d=(format!("M{:.1} {row:.1}l5 -5l5 5l-5 5z", x - 5.0)) {} }
                            }
                            text.marker x=(format!("{:.1}", if right { x - 8.0 } else { x + 8.0 })) y=(format!("{:.1}", row + 4.0)) text-anchor=(if right { "end" } else { "start" }) {
                                (label) " (" (human_time(*t)) ")"
                            }
                        }
                    }
                }
            }
            figcaption.legend {
                span.key { svg width="12" height="12" { circle.violation cx="6" cy="6" r="4" {} } " first violation" }
                span.key { svg width="12" height="12" { path.attack d="M6 1l5 9h-10z" {} } " first attack" }
                span.key { svg width="12" height="12" { path.detection d="M1 6l5 -5l5 5l-5 5z" {} } " detection (reserves alarm)" }
                span.key { svg width="12" height="12" { path.crash d="M6 11v-10" {} } " crash" }
                span.key { svg width="12" height="12" { path.recovery d="M6 1v10" {} } " recovery" }
            }
        }
    }
}

fn dash(stroke: Stroke) -> &'static str {
    match stroke {
        Stroke::Solid => "none",
        Stroke::Dashed => "6 3",
        Stroke::Dotted => "2 2",
    }
}

/// The path data of a mark.
fn path(mark: &Mark, sx: &dyn Fn(f64) -> f64, sy: &dyn Fn(f64) -> f64, y_lo: f64) -> String {
    let mut d = String::new();
    let ok = |v: f64| v.is_finite();
    match mark {
        Mark::Line { points, step, .. } => {
            let mut first = true;
            let mut prev_y = 0.0;
            for &(x, y) in points.iter().filter(|p| ok(p.0) && ok(p.1)) {
                if first {
                    let _ = write!(d, "M{:.1} {:.1}", sx(x), sy(y));
                    first = false;
                } else if *step {
                    let _ = write!(d, "H{:.1}", sx(x));
                    if sy(y) != prev_y {
                        let _ = write!(d, "V{:.1}", sy(y));
                    }
                } else {
                    let _ = write!(d, "L{:.1} {:.1}", sx(x), sy(y));
                }
                prev_y = sy(y);
            }
        }
        Mark::Ranges { points, .. } => {
            for &(x, lo, hi) in points.iter().filter(|p| ok(p.0) && ok(p.1) && ok(p.2)) {
                // A range of one price is still visible: at least one pixel tall.
                let (y0, y1) = (sy(lo), sy(hi));
                let y1 = if (y0 - y1).abs() < 1.0 { y0 - 1.0 } else { y1 };
                let _ = write!(d, "M{:.1} {:.1}V{:.1}", sx(x), y0, y1);
            }
        }
        Mark::Bars { points, .. } => {
            let base = sy(y_lo.max(0.0));
            for &(x0, x1, y) in points.iter().filter(|p| ok(p.0) && ok(p.1) && ok(p.2)) {
                let (a, b) = (sx(x0), sx(x1).max(sx(x0) + 0.6));
                let _ = write!(d, "M{a:.1} {base:.1}V{:.1}H{b:.1}V{base:.1}Z", sy(y));
            }
        }
        Mark::Spans { points, .. } => {
            for &(x0, x1, lo, hi) in points.iter().filter(|p| ok(p.0) && ok(p.1) && ok(p.2) && ok(p.3) && p.3 > p.2) {
                let _ = write!(d, "M{:.1} {:.1}V{:.1}H{:.1}V{:.1}Z", sx(x0), sy(lo), sy(hi), sx(x1), sy(lo));
            }
        }
    }
    d
}

/// A range that contains [lo, hi] with round ends, and its ticks (about 5).
pub fn nice_range(lo: f64, hi: f64) -> (f64, f64, Vec<f64>) {
    let (lo, hi) = if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        // A flat series: a band around it.
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.05 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let step = nice_step((hi - lo) / 5.0);
    let start = (lo / step).floor() * step;
    let end = (hi / step).ceil() * step;
    let n = ((end - start) / step).round() as usize;
    let ticks = (0..=n.min(20)).map(|i| start + step * i as f64).collect();
    (start, end, ticks)
}

/// A time axis from 0 to about `end` (in its unit): like [`nice_range`], but a run that ends a
/// hair past a round time (an hour and 90 ms) ends its axis at that round time rather than a
/// whole step later; what lies past it is under 1% of the axis.
fn time_range(end: f64) -> (f64, f64, Vec<f64>) {
    let (lo, hi, mut ticks) = nice_range(0.0, end);
    let step = ticks.get(1).copied().unwrap_or(hi) - lo;
    if ticks.len() > 2 && hi - end > step * 0.99 && (end - (hi - step)) / (hi - step) < 0.01 {
        ticks.pop();
        return (lo, hi - step, ticks);
    }
    (lo, hi, ticks)
}

/// 1, 2 or 5 × 10^k, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// The unit time is shown in for a span of `end_s` seconds, and its length in seconds.
pub fn time_unit(end_s: f64) -> (&'static str, f64) {
    match end_s {
        s if s < 2e-3 => ("µs", 1e-6),
        s if s < 2.0 => ("ms", 1e-3),
        s if s < 180.0 => ("s", 1.0),
        s if s < 3.0 * 3600.0 => ("min", 60.0),
        s if s < 3.0 * 86400.0 => ("h", 3600.0),
        _ => ("d", 86400.0),
    }
}

/// A moment for a label, in the largest unit it reaches, to four significant digits: `1.001 h`.
pub fn human_time(s: f64) -> String {
    let (unit, scale) = match s {
        s if s >= 86400.0 => ("d", 86400.0),
        s if s >= 3600.0 => ("h", 3600.0),
        s if s >= 60.0 => ("min", 60.0),
        s if s >= 1.0 => ("s", 1.0),
        s if s >= 1e-3 => ("ms", 1e-3),
        _ => ("µs", 1e-6),
    };
    let v = s / scale;
    let decimals = if v >= 100.0 {
        1
    } else if v >= 10.0 {
        2
    } else {
        3
    };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    format!("{text} {unit}")
}

/// A tick label: short, with k/M/G for large values and no float noise.
pub fn number(v: f64) -> String {
    let a = v.abs();
    let (v, suffix) = match a {
        a if a >= 1e12 => (v / 1e12, "T"),
        a if a >= 1e9 => (v / 1e9, "G"),
        a if a >= 1e6 => (v / 1e6, "M"),
        _ => (v, ""),
    };
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    let s = if s == "-0" { "0" } else { s };
    format!("{s}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let (lo, hi, ticks) = nice_range(3.0, 97.0);
        assert_eq!((lo, hi), (0.0, 100.0));
        assert_eq!(ticks, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        let (lo, hi, _) = nice_range(5.0, 5.0);
        assert!(lo < 5.0 && hi > 5.0, "a flat series gets a band");
        assert_eq!(number(25_000.0), "25000");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(1_500_000.0), "1.5M");
        assert_eq!(time_unit(7200.0).0, "min");
        assert_eq!(human_time(3602.001), "1.001 h");
        assert_eq!(time_range(60.0015).1, 60.0, "an hour and a bit ends at the hour");
        assert_eq!(time_range(59.0).1, 60.0);
        assert_eq!(time_range(2.49).1, 2.5);
        assert_eq!(human_time(0.25), "250 ms");
        assert_eq!(human_time(432000.0), "5 d");
        assert_eq!(time_unit(86400.0 * 5.0).0, "d");
    }

    #[test]
    fn a_chart_escapes_its_text_and_drops_what_is_not_finite() {
        let mut c = Chart::new("c1", "price <b>", "USD", TimeAxis { end_s: 10.0 });
        c.marks.push(Mark::Line {
            name: "a&b".to_owned(),
            colour: run_colour(0),
            stroke: Stroke::Solid,
            width: 1.5,
            step: true,
            points: vec![(0.0, 1.0), (5.0, f64::NAN), (10.0, 2.0)],
        });
        let s = c.render().into_string();
        assert!(s.contains("price &lt;b&gt;") && s.contains("a&amp;b"), "{s}");
        assert!(!s.contains("NaN") && !s.contains("inf"), "{s}");
        assert!(s.starts_with("<figure class=\"chart\" id=\"c1\" style=\"width:640px\">"), "{s}");
    }
}
