//! A small line chart drawn as SVG on the server, so the trend needs no JavaScript library and
//! prints as it shows. High-contrast colours and a dash pattern per line (lines that lie on top
//! of each other stay apart), gridlines on whole numbers, and a message where nothing is known.

use maud::{html, Markup};

/// One line of the chart: a label and a value per x position (`None` where unknown).
pub struct Series {
    pub label: String,
    pub color: &'static str,
    pub values: Vec<Option<f64>>,
}

/// Colours that stay apart for colour-blind readers and on a poor screen (Okabe–Ito).
pub const PALETTE: [&str; 6] = [
    "#0057b8", "#d55e00", "#009e73", "#cc79a7", "#000000", "#e69f00",
];

/// Dash patterns, one per series beside its colour: solid, dashed, dotted, dash-dot, ...
const DASHES: [&str; 6] = ["", "10 5", "3 4", "12 4 3 4", "6 3", "1 6"];

/// The gridline step: a whole number, so that at most `ticks` steps reach `y_max`.
fn whole_step(y_max: f64, ticks: usize) -> f64 {
    (y_max / ticks.max(1) as f64).ceil().max(1.0)
}

/// A line chart of `series` over `x_labels`, y from 0 to at least `y_max`, with at most
/// `y_ticks` gridlines on whole numbers. `format_y` writes the tick labels (in the page's
/// language); `no_data` is shown instead of an empty chart when no series has a value.
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    (y_max, y_ticks): (f64, usize),
    format_y: impl Fn(f64) -> String,
    no_data: &str,
) -> Markup {
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return html! { p.nodata.chart-empty { (title) ": " (no_data) } };
    }
    let (width, height) = (760.0_f64, 260.0_f64);
    // Room for "100 %" on the left and for half of the last month's label on the right.
    let (left, right, top, bottom) = (52.0, 30.0, 12.0, 48.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let n = x_labels.len().max(1);
    let x_at = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let step = whole_step(y_max, y_ticks);
    let ticks = ((y_max / step).ceil() as usize).max(1);
    let y_max = step * ticks as f64;
    let y_at = |v: f64| top + plot_h * (1.0 - (v / y_max).clamp(0.0, 1.0));
    // Label every x position when they fit, else every other one.
    let label_every = if n > 13 { 2 } else { 1 };
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                @for t in 0..=ticks {
                    @let v = step * t as f64;
                    @let y = y_at(v);
                    line x1=(left) x2=(width - right) y1=(y) y2=(y) stroke="#bbb" stroke-width="1" {}
                    text x=(left - 6.0) y=(y + 4.0) text-anchor="end" font-size="12" fill="#222" { (format_y(v)) }
                }
                @for (i, label) in x_labels.iter().enumerate() {
                    @if i % label_every == 0 || i + 1 == n {
                        text x=(x_at(i)) y=(height - bottom + 18.0) text-anchor="middle" font-size="12" fill="#222" { (label) }
                    }
                }
                line x1=(left) x2=(left) y1=(top) y2=(top + plot_h) stroke="#222" {}
                line x1=(left) x2=(width - right) y1=(top + plot_h) y2=(top + plot_h) stroke="#222" {}
                @for (n, s) in series.iter().enumerate() {
                    @let dash = DASHES[n % DASHES.len()];
                    @let points = s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (x_at(i), y_at(v)))).collect::<Vec<_>>();
                    @if points.len() > 1 {
                        polyline fill="none" stroke=(s.color) stroke-width="3" stroke-dasharray=[(!dash.is_empty()).then_some(dash)] points=(
                            points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")
                        ) {}
                    }
                    @for (x, y) in &points {
                        circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="4" fill=(s.color) {}
                    }
                }
            }
            @if series.len() > 1 || series.first().is_some_and(|s| !s.label.is_empty()) {
                figcaption.legend {
                    @for (n, s) in series.iter().enumerate() {
                        span.key {
                            svg.swatch width="28" height="10" aria-hidden="true" {
                                line x1="0" x2="28" y1="5" y2="5" stroke=(s.color) stroke-width="3" stroke-dasharray=[(!DASHES[n % DASHES.len()].is_empty()).then_some(DASHES[n % DASHES.len()])] {}
                            }
                            (s.label)
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_point_per_known_value_and_a_line_through_them() {
        let labels: Vec<String> = (1..=4).map(|m| format!("{m:02}/2020")).collect();
        let svg = line_chart(
            "trend",
            &labels,
            &[Series {
                label: "N/19".into(),
                color: PALETTE[0],
                values: vec![Some(14.0), None, Some(15.0), Some(16.0)],
            }],
            (19.0, 4),
            |v| format!("{v:.0}"),
            "no data",
        )
        .into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("03/2020"));
    }

    #[test]
    fn gridlines_fall_on_whole_numbers_and_reach_the_top() {
        assert_eq!(whole_step(19.0, 4), 5.0);
        assert_eq!(whole_step(10.0, 4), 3.0);
        assert_eq!(whole_step(100.0, 4), 25.0);
        assert_eq!(whole_step(2.0, 4), 1.0);
        let labels = vec!["01/2026".to_owned(), "02/2026".to_owned()];
        let series = Series {
            label: "N/19".into(),
            color: PALETTE[0],
            values: vec![Some(3.0), Some(4.0)],
        };
        let svg =
            line_chart("t", &labels, &[series], (19.0, 4), |v| format!("{v}"), "x").into_string();
        for tick in ["0<", "5<", "10<", "15<", "20<"] {
            assert!(svg.contains(&format!(">{tick}")), "tick {tick} in {svg}");
        }
        assert!(!svg.contains(">4.75<"));
    }

    #[test]
    fn a_chart_with_nothing_known_says_so_and_lines_differ_by_dash_too() {
        let labels = vec!["01/2026".to_owned(), "02/2026".to_owned()];
        let none = Series {
            label: "a".into(),
            color: PALETTE[0],
            values: vec![None, None],
        };
        let empty = line_chart(
            "Xu hướng",
            &labels,
            &[none],
            (19.0, 4),
            |v| format!("{v}"),
            "Chưa có dữ liệu",
        )
        .into_string();
        assert!(
            empty.contains("Chưa có dữ liệu") && !empty.contains("<svg"),
            "{empty}"
        );
        let line = |label: &str| Series {
            label: label.into(),
            color: PALETTE[0],
            values: vec![Some(50.0), Some(50.0)],
        };
        let two = line_chart(
            "t",
            &labels,
            &[line("a"), line("b")],
            (100.0, 4),
            |v| format!("{v}"),
            "x",
        )
        .into_string();
        assert_eq!(
            two.matches("stroke-dasharray=\"10 5\"").count(),
            2,
            "the second line and its key"
        );
    }
}
