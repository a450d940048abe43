//! Bar charts drawn as SVG on the server (no charting library reaches the browser). Every
//! chart comes with a table of the same figures on the page that uses it.

use leptos::prelude::*;

/// One bar: its label under the axis, its value, and where a click on it leads.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub href: Option<String>,
    pub highlighted: bool,
}

const WIDTH: u64 = 720;
const HEIGHT: u64 = 200;
const AXIS: u64 = 24;

fn scale(value: u64, max: u64, span: u64) -> u64 {
    if max == 0 {
        0
    } else {
        (u128::from(value) * u128::from(span) / u128::from(max)) as u64
    }
}

/// A bar chart with an optional dashed reference line (for example a daily share of the
/// allowance). `summary` is read out by screen readers in place of the picture.
#[component]
pub fn BarChart(
    bars: Vec<Bar>,
    reference: Option<u64>,
    summary: String,
    #[prop(optional)] every_nth_label: Option<usize>,
) -> impl IntoView {
    let max = bars
        .iter()
        .map(|b| b.value)
        .chain(reference)
        .max()
        .unwrap_or(0)
        .max(1);
    let count = bars.len().max(1) as u64;
    let slot = WIDTH / count;
    let gap = (slot / 5).max(1);
    let label_every = every_nth_label.unwrap_or_else(|| bars.len().div_ceil(6).max(1));
    let plot = HEIGHT - AXIS;
    let rects = bars
        .into_iter()
        .enumerate()
        .map(|(i, bar)| {
            let h = scale(bar.value, max, plot).max(if bar.value > 0 { 1 } else { 0 });
            let x = i as u64 * slot + gap / 2;
            let y = plot - h;
            let rect = view! {
                <rect x=x.to_string() y=y.to_string() width=(slot - gap).to_string() height=h.to_string()
                    class=if bar.highlighted { "bar bar-highlighted" } else { "bar" }>
                    <title>{bar.label.clone()}</title>
                </rect>
            };
            let shape = match bar.href {
                Some(href) => view! { <a href=href>{rect}</a> }.into_any(),
                None => rect.into_any(),
            };
            let label = (i % label_every == 0).then(|| {
                view! {
                    <text x=(x + (slot - gap) / 2).to_string() y=(HEIGHT - 6).to_string() class="axis-label" text-anchor="middle">
                        {bar.label}
                    </text>
                }
            });
            view! { {shape} {label} }
        })
        .collect_view();
    let line = reference.map(|r| {
        let y = (plot - scale(r, max, plot)).to_string();
        view! { <line x1="0" x2=WIDTH.to_string() y1=y.clone() y2=y class="reference-line" /> }
    });
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary preserveAspectRatio="xMidYMid meet">
            <line x1="0" x2=WIDTH.to_string() y1=plot.to_string() y2=plot.to_string() class="axis" />
            {rects}
            {line}
        </svg>
    }
}
