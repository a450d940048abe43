//! The statement PDF read back the way a reader would: the strings each page shows, how many
//! pages there are, and which images are embedded.

use std::io::Read as _;

use app::i18n::I18n;
use app::types::{
    StatementDetail, StatementGroup, StatementLine, StatementState, StatementSummary,
};
use billing::statement::LineGroup;
use billing::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::helvetica;
use super::logo::tests::png;
use super::{address_lines, render_statement_pdf, Logo, Provider};

/// What a PDF shows, read back from its bytes.
struct Reading {
    /// Per page, every string drawn, in drawing order.
    pages: Vec<Vec<String>>,
    /// Per page, the drawing operators as text.
    contents: Vec<String>,
    /// The page tree's own count.
    count: usize,
    images: Vec<String>,
}

impl Reading {
    fn of(pdf: &[u8]) -> Reading {
        assert!(pdf.starts_with(b"%PDF-"), "a PDF header");
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "a PDF trailer");
        let mut pages = Vec::new();
        let mut contents = Vec::new();
        let mut images = Vec::new();
        let mut rest = pdf;
        while let Some(start) = find(rest, b"\nstream\n") {
            let dictionary = &rest[..start];
            let dictionary = &dictionary[find_last(dictionary, b" obj\n").unwrap_or(0)..];
            let after = &rest[start + b"\nstream\n".len()..];
            let end = find(after, b"\nendstream").expect("every stream ends");
            let data = &after[..end];
            let dictionary = String::from_utf8_lossy(dictionary).into_owned();
            assert!(dictionary.contains("/FlateDecode"), "{dictionary}");
            if dictionary.contains("/Image") {
                images.push(dictionary);
            } else {
                let content = inflate(data);
                pages.push(strings_shown(&content));
                contents.push(String::from_utf8_lossy(&content).into_owned());
            }
            rest = &after[end..];
        }
        let text = String::from_utf8_lossy(pdf);
        let count = text
            .split("/Count ")
            .nth(1)
            .and_then(|after| after.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .expect("a page count");
        Reading {
            pages,
            contents,
            count,
            images,
        }
    }

    fn all(&self) -> Vec<&str> {
        self.pages.iter().flatten().map(String::as_str).collect()
    }

    /// Whether some page draws exactly this string.
    fn shows(&self, text: &str) -> bool {
        self.all().contains(&text)
    }

    fn position(&self, text: &str) -> usize {
        self.all()
            .iter()
            .position(|s| *s == text)
            .unwrap_or_else(|| panic!("{text:?} is not shown"))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a FlateDecode stream");
    out
}

/// The literal `(...)` and hex `<...>` strings of a content stream, decoded from WinAnsi.
fn strings_shown(content: &[u8]) -> Vec<String> {
    let mut strings = Vec::new();
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'(' => {
                let mut bytes = Vec::new();
                let mut depth = 1;
                i += 1;
                while depth > 0 {
                    let byte = content[i];
                    i += 1;
                    match byte {
                        b'\\' => {
                            let escaped = content[i];
                            i += 1;
                            bytes.push(match escaped {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 8,
                                b'f' => 12,
                                b'0'..=b'7' => {
                                    let mut value = u32::from(escaped - b'0');
                                    for _ in 0..2 {
                                        match content[i] {
                                            d @ b'0'..=b'7' => {
                                                value = value * 8 + u32::from(d - b'0');
                                                i += 1;
                                            }
                                            _ => break,
                                        }
                                    }
                                    value as u8
                                }
                                other => other,
                            });
                        }
                        b'(' => {
                            depth += 1;
                            bytes.push(byte);
                        }
                        b')' => {
                            depth -= 1;
                            if depth > 0 {
                                bytes.push(byte);
                            }
                        }
                        _ => bytes.push(byte),
                    }
                }
                strings.push(bytes.into_iter().map(helvetica::decode).collect());
            }
            b'<' => {
                let end = i + find(&content[i..], b">").expect("a hex string ends");
                let digits: Vec<u8> = content[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                let bytes = digits.chunks(2).map(|pair| {
                    u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()
                });
                strings.push(bytes.map(helvetica::decode).collect());
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    strings
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn usd(amount: Decimal) -> Money {
    Money::new(amount, Currency::USD)
}

fn line(description: &str, amount: Decimal, period: Option<(&str, &str)>) -> StatementLine {
    StatementLine {
        description: description.into(),
        period_start: period.map(|(from, _)| day(from)),
        period_end: period.map(|(_, to)| day(to)),
        amount: usd(amount),
        working: None,
        question: None,
    }
}

fn group(group: LineGroup, lines: Vec<StatementLine>) -> StatementGroup {
    let subtotal = usd(lines.iter().map(|l| l.amount.amount()).sum());
    StatementGroup {
        group,
        lines,
        subtotal,
    }
}

/// A November statement with `usage_lines` usage charges besides its plan, tax and payment.
fn statement(usage_lines: usize) -> StatementDetail {
    let usage = (1..=usage_lines)
        .map(|n| {
            line(
                &format!("Extra data block {n}"),
                Decimal::new(1000 + n as i64, 2),
                None,
            )
        })
        .collect();
    StatementDetail {
        summary: StatementSummary {
            id: 7,
            number: "S-10000001-202611".into(),
            period_start: day("2026-11-01"),
            period_end: day("2026-12-01"),
            issued_on: day("2026-12-01"),
            due_on: day("2026-12-22"),
            total_due: usd(dec!(1234.56)),
            state: StatementState::Open,
        },
        account_number: "10000001".into(),
        bill_to: "Alex Morgan".into(),
        address: vec!["12 Elm Street".into(), "Springfield OR 97477".into()],
        previous_balance: usd(dec!(79.99)),
        total_charges: usd(dec!(1150.00)),
        total_tax: usd(dec!(84.56)),
        total_payments: usd(dec!(-79.99)),
        total_credits: usd(dec!(0)),
        groups: vec![
            group(
                LineGroup::Recurring,
                vec![
                    line(
                        "Fiber 1000",
                        dec!(79.99),
                        Some(("2026-11-01", "2026-12-01")),
                    ),
                    line(
                        "Static IP address",
                        dec!(5.00),
                        Some(("2026-11-01", "2026-12-01")),
                    ),
                ],
            ),
            group(LineGroup::Usage, usage),
            group(
                LineGroup::Taxes,
                vec![line("State sales tax (7.25%)", dec!(84.56), None)],
            ),
            group(
                LineGroup::PaymentsAndCredits,
                vec![line("Payment, thank you", dec!(-79.99), None)],
            ),
        ],
    }
}

fn provider() -> Provider {
    Provider {
        name: "Lastmile Broadband".into(),
        address: vec!["1 Exchange Street".into(), "Springfield, OR 97477".into()],
        logo: None,
    }
}

fn en_us() -> I18n {
    I18n::new("en-US")
}

#[test]
fn the_pdf_says_what_the_statement_page_says() {
    let detail = statement(3);
    let (t, f) = (en_us().t, en_us().f);
    let pdf = Reading::of(&render_statement_pdf(&detail, &provider(), en_us()));

    assert_eq!((pdf.count, pdf.pages.len()), (1, 1));
    for expected in [
        "Statement S-10000001-202611",
        "Open",
        "10000001",
        "Nov 1, 2026 – Nov 30, 2026",
        "Dec 1, 2026",
        "Dec 22, 2026",
        "Lastmile Broadband",
        "1 Exchange Street",
        "Springfield, OR 97477",
        "Alex Morgan",
        "12 Elm Street",
        "Springfield OR 97477",
        "Page 1 of 1",
    ] {
        assert!(pdf.shows(expected), "{expected:?} in {:?}", pdf.all());
    }
    for (label, amount) in [
        ("Previous balance", "$79.99"),
        ("New charges", "$1,150.00"),
        ("Taxes", "$84.56"),
        ("Payments", "-$79.99"),
        ("Credits and adjustments", "$0.00"),
        ("Total due", "$1,234.56"),
    ] {
        assert_eq!(
            pdf.position(amount),
            pdf.position(label) + 1,
            "{label} then {amount}"
        );
    }
    for group in &detail.groups {
        assert!(pdf.shows(t.line_group(group.group)));
        for line in &group.lines {
            assert!(pdf.shows(&line.description), "{}", line.description);
            assert!(pdf.shows(&f.money(&line.amount)), "{}", line.description);
        }
        assert!(pdf.shows(&f.money(&group.subtotal)));
    }
    // The plan lines show the days they bill, the last day included, as the page does.
    assert!(pdf.shows("Nov 1 – Nov 30"));
    // The groups come in the page's order.
    let headings: Vec<usize> = [
        "Plan and services",
        "Usage",
        "Taxes",
        "Payments and credits",
    ]
    .iter()
    .map(|h| {
        pdf.all()
            .iter()
            .rposition(|s| s == h)
            .unwrap_or_else(|| panic!("{h}"))
    })
    .collect();
    assert!(headings.windows(2).all(|w| w[0] < w[1]), "{headings:?}");
    assert!(pdf.images.is_empty(), "no logo configured, none embedded");
}

#[test]
fn many_lines_run_onto_numbered_pages_that_repeat_a_small_header() {
    let counts: Vec<usize> = [5, 60, 200]
        .iter()
        .map(|&n| {
            let bytes = render_statement_pdf(&statement(n), &provider(), en_us());
            Reading::of(&bytes).count
        })
        .collect();
    assert_eq!(counts[0], 1);
    assert!(counts[0] < counts[1] && counts[1] < counts[2], "{counts:?}");

    let detail = statement(200);
    let pdf = Reading::of(&render_statement_pdf(&detail, &provider(), en_us()));
    let pages = pdf.pages.len();
    assert_eq!(pdf.count, pages);
    for (i, page) in pdf.pages.iter().enumerate() {
        let numbering = format!("Page {} of {pages}", i + 1);
        assert!(page.contains(&numbering), "{numbering}");
        if i > 0 {
            assert_eq!(
                page[..2],
                ["Lastmile Broadband", "Statement S-10000001-202611"]
            );
            assert!(
                page.contains(&"Usage (continued)".to_string())
                    || !page.iter().any(|s| s.starts_with("Extra data block")),
                "usage lines on page {} sit under their heading",
                i + 1
            );
        }
    }
    // Every line is drawn once, and the summary only on the first page.
    for n in 1..=200 {
        let description = format!("Extra data block {n}");
        assert_eq!(
            pdf.all().iter().filter(|s| **s == description).count(),
            1,
            "{description}"
        );
    }
    assert!(pdf.pages[0].contains(&"$1,234.56".to_string()));
    assert!(!pdf.pages[1..]
        .iter()
        .any(|p| p.contains(&"Total due".to_string())));
}

#[test]
fn the_logo_is_embedded_with_its_transparency_when_configured() {
    let translucent =
        Logo::from_png(&png(40, 20, png::ColorType::Rgba, &[11, 92, 173, 200]), "t").unwrap();
    let provider = Provider {
        logo: Some(translucent),
        ..provider()
    };
    let bytes = render_statement_pdf(&statement(2), &provider, en_us());
    let pdf = Reading::of(&bytes);
    assert_eq!(pdf.images.len(), 2, "the image and its soft mask");
    assert!(pdf.images[0].contains("/SMask") && pdf.images[0].contains("/DeviceRGB"));
    assert!(pdf.images[1].contains("/DeviceGray"));
    assert!(pdf.images.iter().all(|d| d.contains("/Width 40")));
    assert!(
        pdf.contents[0].contains("/Im1 Do"),
        "drawn on the first page"
    );

    let opaque = Provider {
        logo: Some(Logo::from_png(&png(8, 8, png::ColorType::Rgb, &[0, 0, 0]), "t").unwrap()),
        ..provider
    };
    let pdf = Reading::of(&render_statement_pdf(&statement(2), &opaque, en_us()));
    assert_eq!(pdf.images.len(), 1);
    assert!(!pdf.images[0].contains("/SMask"));
}

#[test]
fn names_beyond_latin_1_print_without_breaking_the_document() {
    let mut detail = statement(2);
    detail.bill_to = "Zoë Ñúñez".into();
    detail.address = vec!["Łódź 東京".into()];
    let provider = Provider {
        name: "Fibra Ñandú — “Rápida”".into(),
        ..provider()
    };
    let pdf = Reading::of(&render_statement_pdf(&detail, &provider, en_us()));
    assert!(pdf.shows("Zoë Ñúñez"));
    assert!(pdf.shows("?ód? ??"));
    assert!(pdf.shows("Fibra Ñandú — “Rápida”"));
}

#[test]
fn amounts_in_another_locale_read_as_that_locale_writes_them() {
    let mut detail = statement(1);
    detail.summary.total_due = Money::new(dec!(1234.5), Currency::EUR);
    let pdf = Reading::of(&render_statement_pdf(
        &detail,
        &provider(),
        I18n::new("de-DE"),
    ));
    assert!(pdf.shows("1.234,50\u{a0}€"), "{:?}", pdf.all());
    assert!(pdf.shows("01.11.2026 – 30.11.2026"));
}

#[test]
fn a_long_description_wraps_and_keeps_every_word() {
    let description = "Installation visit including fibre termination, optical network unit, \
                       router configuration and a walk-through of the subscriber's home network";
    let mut detail = statement(1);
    detail.groups[0].lines[0].description = description.into();
    let pdf = Reading::of(&render_statement_pdf(&detail, &provider(), en_us()));
    let all = pdf.all();
    let first = all
        .iter()
        .position(|s| s.starts_with("Installation"))
        .unwrap();
    let wrapped: Vec<&str> = all[first..]
        .iter()
        .take_while(|s| !s.starts_with('$') && !s.starts_with("Nov"))
        .copied()
        .collect();
    assert!(wrapped.len() >= 2, "{wrapped:?}");
    assert_eq!(wrapped.join(" "), description);
}

#[test]
fn one_statement_always_gives_the_same_bytes() {
    let once = render_statement_pdf(&statement(30), &provider(), en_us());
    let again = render_statement_pdf(&statement(30), &provider(), en_us());
    assert_eq!(once, again);
}

#[test]
fn an_address_is_split_at_bars_and_new_lines() {
    assert_eq!(
        address_lines("1 Exchange Street | Springfield, OR 97477\r\n\nbilling@example.net|"),
        [
            "1 Exchange Street",
            "Springfield, OR 97477",
            "billing@example.net"
        ]
    );
}
