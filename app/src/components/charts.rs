//! Bar charts drawn as SVG on the server (no charting library reaches the browser). Every
//! chart comes with a table of the same figures on the page that uses it.
//!
//! Drawn for a phone first: the picture is 480 units wide (a 360-pixel screen shows it at
//! about two thirds), so axis labels of 20 units read at 13 pixels; a vertical scale with
//! round figures; margins so that no label is cut at either end; and a bar that leads
//! somewhere is a target the whole height of the chart and the width of its slot.

use leptos::prelude::*;

/// One bar: its label under the axis, its value, and where a click on it leads.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
    pub highlighted: bool,
    /// What the bar says to a screen reader and in its tooltip ("Nov 5: 12.3 GB").
    pub title: String,
}

const WIDTH: u64 = 480;
const HEIGHT: u64 = 220;
/// Room for the scale's figures on the left, and half a label on the right.
const LEFT: u64 = 100;
const RIGHT: u64 = 16;
const TOP: u64 = 10;
/// Room for the labels under the axis.
const BOTTOM: u64 = 30;

fn scale(value: u64, max: u64, span: u64) -> u64 {
    if max == 0 {
        0
    } else {
        (u128::from(value) * u128::from(span) / u128::from(max)) as u64
    }
}

/// Round values for a vertical scale reaching `max` or just above it: 0 and two or three
/// steps of 1, 2 or 5 times a power of ten (`max` 37 → 0, 20, 40).
pub fn nice_ticks(max: u64) -> Vec<u64> {
    let max = max.max(1);
    let mut step: u64 = 1;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m);
            if candidate.saturating_mul(3) >= max {
                let top = max.div_ceil(candidate) * candidate;
                return (0..=top / candidate).map(|i| i * candidate).collect();
            }
        }
        if step > u64::MAX / 10 {
            return vec![0, max];
        }
        step *= 10;
    }
}

/// A bar chart with a vertical scale (`ticks`: values with their labels, the highest the
/// scale's top, from [`nice_ticks`]) and an optional dashed reference line (a daily share of
/// the allowance, say). `summary` names the chart for screen readers; a chart whose bars
/// lead somewhere is a group of links, each named by its bar's title.
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    reference: Option<u64>,
    summary: String,
    ticks: Vec<(u64, String)>,
    #[prop(optional)] every_nth_label: Option<usize>,
) -> impl IntoView {
    let max = ticks
        .iter()
        .map(|(v, _)| *v)
        .chain(bars.iter().map(|b| b.value))
        .chain(reference)
        .max()
        .unwrap_or(0)
        .max(1);
    let count = bars.len().max(1) as u64;
    let plot_width = WIDTH - LEFT - RIGHT;
    let slot = plot_width / count;
    let gap = (slot / 5).max(1);
    let label_every = every_nth_label.unwrap_or_else(|| bars.len().div_ceil(4).max(1));
    let plot = HEIGHT - BOTTOM - TOP;
    let base = TOP + plot;
    let linked = bars.iter().any(|b| b.href.is_some());
    let grid = ticks
        .into_iter()
        .map(|(value, label)| {
            let y = (base - scale(value, max, plot)).to_string();
            view! {
                <line x1=LEFT.to_string() x2=(WIDTH - RIGHT).to_string() y1=y.clone() y2=y.clone() class="grid" />
                <text x=(LEFT - 6).to_string() y=y class="axis-label" text-anchor="end" dominant-baseline="middle">{label}</text>
            }
        })
        .collect_view();
    let rects = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let h = scale(bar.value, max, plot).max(if bar.value > 0 { 1 } else { 0 });
            let slot_x = LEFT + i as u64 * slot;
            let x = slot_x + gap / 2;
            let rect = view! {
                <rect x=x.to_string() y=(base - h).to_string() width=(slot - gap).to_string() height=h.to_string()
                    class=if bar.highlighted { "bar bar-highlighted" } else { "bar" } />
            };
            let shape = match bar.href {
                // The whole slot, top to axis, is the target; the bar is drawn inside it.
                Some(href) => view! {
                    <a href=href aria-label=bar.title.clone()>
                        <title>{bar.title.clone()}</title>
                        <rect x=slot_x.to_string() y=TOP.to_string() width=slot.to_string() height=plot.to_string() class="bar-hit" />
                        {rect}
                    </a>
                }
                .into_any(),
                None => view! { <g><title>{bar.title.clone()}</title>{rect}</g> }.into_any(),
            };
            let label = (i % label_every == 0).then(|| {
                view! {
                    <text x=(x + (slot - gap) / 2).to_string() y=(HEIGHT - 8).to_string() class="axis-label" text-anchor="middle">
                        {bar.label}
                    </text>
                }
            });
            view! { {shape} {label} }
        })
        .collect_view();
    let line = reference.map(|r| {
        let y = (base - scale(r, max, plot)).to_string();
        view! { <line x1=LEFT.to_string() x2=(WIDTH - RIGHT).to_string() y1=y.clone() y2=y class="reference-line" /> }
    });
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role=if linked { "group" } else { "img" }
            aria-label=summary preserveAspectRatio="xMidYMid meet">
            {grid}
            <line x1=LEFT.to_string() x2=(WIDTH - RIGHT).to_string() y1=base.to_string() y2=base.to_string() class="axis" />
            {rects}
            {line}
        </svg>
    }
}

/// One row of a [`CategoryChart`]: its name, its value, and the value in words.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub value: u64,
    pub figure: String,
}

/// Room for a row: its name above its bar.
const ROW: u64 = 58;
/// Room at the bars' right for the longest figure.
const FIGURE_ROOM: u64 = 170;

/// A horizontal bar chart of categories (plans, ages of a debt, outcomes): one row per
/// category, its name written above its bar and its figure at the bar's end, so that long
/// names read on a phone as well as on a desktop. The bars share one scale from zero to the
/// largest value. `summary` names the chart for screen readers; each bar's title says its
/// name and figure.
#[component]
pub fn CategoryChart(rows: Vec<Row>, summary: String) -> impl IntoView {
    let max = rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let span = WIDTH - FIGURE_ROOM;
    let height = ROW * rows.len().max(1) as u64 + 6;
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let top = i as u64 * ROW;
            let w = scale(row.value, max, span).max(if row.value > 0 { 2 } else { 0 });
            let title = format!("{}: {}", row.label, row.figure);
            view! {
                <g>
                    <title>{title}</title>
                    <text x="0" y=(top + 20).to_string() class="bar-label">{row.label}</text>
                    <rect x="0" y=(top + 28).to_string() width=w.to_string() height="22" class="bar" />
                    <text x=(w + 8).to_string() y=(top + 46).to_string() class="bar-figure">{row.figure}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="chart category-chart" viewBox=format!("0 0 {WIDTH} {height}") role="img"
            aria-label=summary preserveAspectRatio="xMinYMin meet">
            {bars}
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::nice_ticks;

    #[test]
    fn the_scale_is_round_and_reaches_the_highest_bar() {
        assert_eq!(nice_ticks(37), vec![0, 20, 40]);
        assert_eq!(nice_ticks(100), vec![0, 50, 100]);
        assert_eq!(nice_ticks(101), vec![0, 50, 100, 150]);
        assert_eq!(nice_ticks(1), vec![0, 1]);
        assert_eq!(nice_ticks(0), vec![0, 1]);
        // 48.2 GB in bytes: 0, 20 GB, 40 GB, 60 GB.
        assert_eq!(
            nice_ticks(48_200_000_000),
            vec![0, 20_000_000_000, 40_000_000_000, 60_000_000_000]
        );
    }
}
