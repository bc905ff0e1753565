//! A small line chart drawn as SVG on the server, so the trend needs no JavaScript library and
//! prints as it shows. High-contrast colours, labelled axes, one line per series.

use maud::{html, Markup, PreEscaped};

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

/// A line chart of `series` over `x_labels`, y from 0 to `y_max`, with `y_ticks` gridlines.
/// `format_y` writes the tick labels (in the page's language).
pub fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    y_max: f64,
    y_ticks: usize,
    format_y: impl Fn(f64) -> String,
) -> Markup {
    let (width, height) = (760.0_f64, 260.0_f64);
    let (left, right, top, bottom) = (48.0, 12.0, 12.0, 48.0);
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
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let y_at = |v: f64| top + plot_h * (1.0 - (v / y_max).clamp(0.0, 1.0));
    let ticks = y_ticks.max(1);
    // Label every x position when they fit, else every other one.
    let label_every = if n > 13 { 2 } else { 1 };
    html! {
        figure.chart {
            svg viewBox=(format!("0 0 {width} {height}")) role="img" aria-label=(title) xmlns="http://www.w3.org/2000/svg" {
                title { (title) }
                @for t in 0..=ticks {
                    @let v = y_max * t as f64 / ticks as f64;
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
                @for s in series {
                    @let points = s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (x_at(i), y_at(v)))).collect::<Vec<_>>();
                    @if points.len() > 1 {
                        polyline fill="none" stroke=(s.color) stroke-width="3" points=(
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
                    @for s in series {
                        span.key { span.swatch style=(PreEscaped(format!("background:{}", s.color))) {} (s.label) }
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
            19.0,
            4,
            |v| format!("{v:.0}"),
        )
        .into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("03/2020"));
    }
}
