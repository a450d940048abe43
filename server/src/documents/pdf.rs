//! A statement as a PDF, drawn on the server so that a subscriber can keep or forward exactly
//! what the statement page shows: the provider's letterhead, the statement's facts, the
//! bill-to block, the summary of totals, then every line by group with its subtotal, over as
//! many pages as the lines need. Every word and amount comes from `app::i18n`, as on the page.
//!
//! Pages are US Letter (8.5 × 11 in), since the provider bills in dollars. Text is set in the
//! built-in Helvetica faces and measured with their published widths, which is what lets
//! amounts line up on the right. The output depends on nothing but its inputs (no dates, no
//! random file ids), so one statement always gives the same bytes.

#![expect(
    clippy::float_arithmetic,
    reason = "page geometry is measured in points; money is formatted before it gets here"
)]

use app::i18n::I18n;
use app::types::{StatementDetail, StatementGroup, StatementLine, StatementState};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::helvetica::{self, Face, FIRST_CODE, LAST_CODE};
use super::logo::{deflate, Colours, Logo};
use super::Provider;

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 48.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// The body stops here, leaving the footer its room.
const BODY_BOTTOM: f32 = MARGIN + 30.0;

/// The letterhead and the bill-to block keep left of the facts and the totals.
const LEFT_COLUMN_WIDTH: f32 = 260.0;
const FACTS_X: f32 = RIGHT - 210.0;
const TOTALS_X: f32 = 336.0;
/// The largest box the logo is scaled into, keeping its proportions.
const LOGO_BOX: (f32, f32) = (180.0, 54.0);

/// A line's billed period starts here; its description wraps before it.
const PERIOD_X: f32 = 372.0;
const DESCRIPTION_WIDTH: f32 = PERIOD_X - LEFT - 14.0;
const ROW_PADDING: f32 = 3.0;
const HEADING_HEIGHT: f32 = 22.0;
const SUBTOTAL_HEIGHT: f32 = 20.0;
const GROUP_GAP: f32 = 14.0;

const REGULAR_FONT: Name = Name(b"F1");
const BOLD_FONT: Name = Name(b"F2");
const LOGO_IMAGE: Name = Name(b"Im1");

type Rgb = [f32; 3];

const fn rgb(hex: u32) -> Rgb {
    [
        ((hex >> 16) & 0xff) as f32 / 255.0,
        ((hex >> 8) & 0xff) as f32 / 255.0,
        (hex & 0xff) as f32 / 255.0,
    ]
}

// The portal's palette (style/main.css), so that the PDF reads like the page.
const INK: Rgb = rgb(0x1b1f24);
const MUTED: Rgb = rgb(0x57606a);
const LINE: Rgb = rgb(0xd0d7de);
const WASH: Rgb = rgb(0xf5f7fa);
const BRAND: Rgb = rgb(0x0b5cad);
const GOOD: Rgb = rgb(0x1a7f37);
const BAD: Rgb = rgb(0xb42318);

/// How a run of text is set: face, size, the distance between baselines, colour.
#[derive(Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    leading: f32,
    colour: Rgb,
}

const fn style(face: Face, size: f32, colour: Rgb) -> Style {
    Style {
        face,
        size,
        leading: size * 1.3,
        colour,
    }
}

const TITLE: Style = style(Face::Bold, 18.0, INK);
const PROVIDER_NAME: Style = style(Face::Bold, 13.0, INK);
const ADDRESS: Style = style(Face::Regular, 9.0, MUTED);
const FACT_LABEL: Style = style(Face::Regular, 9.5, MUTED);
const FACT: Style = style(Face::Regular, 9.5, INK);
const BILL_TO: Style = style(Face::Bold, 11.0, INK);
const BILL_TO_ADDRESS: Style = style(Face::Regular, 10.0, INK);
const TOTAL: Style = style(Face::Regular, 9.5, INK);
const GRAND_TOTAL: Style = style(Face::Bold, 12.0, INK);
const HEADING: Style = style(Face::Bold, 11.5, INK);
const LINE_TEXT: Style = style(Face::Regular, 9.5, INK);
const PERIOD: Style = style(Face::Regular, 8.5, MUTED);
const SUBTOTAL: Style = style(Face::Bold, 9.5, INK);
const RUNNING_HEADER: Style = style(Face::Bold, 9.5, INK);
const FOOTER: Style = style(Face::Regular, 8.0, MUTED);

/// Draws one statement; the bytes of a complete PDF file.
pub fn render_statement_pdf(detail: &StatementDetail, provider: &Provider, i18n: I18n) -> Vec<u8> {
    let title = (i18n.t.statement_title)(&detail.summary.number);
    let mut sheet = Sheet::new(&provider.name, &title);

    let letterhead_bottom = draw_letterhead(&mut sheet, provider);
    let facts_bottom = draw_facts(&mut sheet, detail, i18n, &title);
    let block_top = letterhead_bottom.min(facts_bottom) - 20.0;
    let bill_to_bottom = draw_bill_to(&mut sheet, detail, block_top);
    let totals_bottom = draw_totals(&mut sheet, detail, i18n, block_top);
    sheet.y = bill_to_bottom.min(totals_bottom) - 22.0;

    for group in &detail.groups {
        draw_group(&mut sheet, group, i18n);
    }

    let pages = sheet.finish(i18n);
    assemble(pages, provider, &title)
}

/// The provider's logo, name and address, top left. Returns how far down it reaches.
fn draw_letterhead(sheet: &mut Sheet, provider: &Provider) -> f32 {
    let mut top = TOP;
    if let Some(logo) = &provider.logo {
        let (width, height) = fit(logo, LOGO_BOX);
        sheet.image(LEFT, top - height, width, height);
        top -= height + 10.0;
    }
    top = sheet.paragraph(PROVIDER_NAME, LEFT, top, LEFT_COLUMN_WIDTH, &provider.name);
    for line in &provider.address {
        top = sheet.paragraph(ADDRESS, LEFT, top, LEFT_COLUMN_WIDTH, line);
    }
    top
}

/// The title, state and dates, top right, as the page's header shows them.
fn draw_facts(sheet: &mut Sheet, detail: &StatementDetail, i18n: I18n, title: &str) -> f32 {
    let (t, f) = (i18n.t, i18n.f);
    let s = &detail.summary;
    let mut top = TOP;
    sheet.text_right(TITLE, RIGHT, top - TITLE.size, title);
    top -= TITLE.leading;
    let state = Style {
        colour: state_colour(s.state),
        ..style(Face::Bold, 10.0, INK)
    };
    sheet.text_right(state, RIGHT, top - state.size, t.statement_state(s.state));
    top -= state.leading + 6.0;

    let last_day = s.period_end.pred_opt().unwrap_or(s.period_end);
    let facts = [
        (t.statement_account, detail.account_number.clone()),
        (
            t.statement_period,
            (t.cycle_dates)(&f.date(s.period_start), &f.date(last_day)),
        ),
        (t.statement_issued, f.date(s.issued_on)),
        (t.statement_due, f.date(s.due_on)),
    ];
    for (label, value) in facts {
        let baseline = top - FACT.size;
        sheet.text(FACT_LABEL, FACTS_X, baseline, label);
        sheet.text_right(FACT, RIGHT, baseline, &value);
        top -= 13.0;
    }
    top
}

fn state_colour(state: StatementState) -> Rgb {
    match state {
        StatementState::Open => BRAND,
        StatementState::Paid => GOOD,
        StatementState::Overdue => BAD,
        StatementState::Void => MUTED,
    }
}

/// Who the statement is for, left, under the letterhead.
fn draw_bill_to(sheet: &mut Sheet, detail: &StatementDetail, top: f32) -> f32 {
    let mut top = sheet.paragraph(BILL_TO, LEFT, top, LEFT_COLUMN_WIDTH, &detail.bill_to);
    for line in &detail.address {
        top = sheet.paragraph(BILL_TO_ADDRESS, LEFT, top, LEFT_COLUMN_WIDTH, line);
    }
    top
}

/// The summary box: the same five figures and total as the page's totals list.
fn draw_totals(sheet: &mut Sheet, detail: &StatementDetail, i18n: I18n, top: f32) -> f32 {
    let (t, f) = (i18n.t, i18n.f);
    let rows = [
        (t.previous_balance, &detail.previous_balance),
        (t.new_charges, &detail.total_charges),
        (t.taxes, &detail.total_tax),
        (t.payments, &detail.total_payments),
        (t.credits, &detail.total_credits),
    ];
    let padding = 8.0;
    let row_height = 15.0;
    let total_height = 22.0;
    let height = padding * 2.0 + row_height * rows.len() as f32 + 5.0 + total_height;
    let bottom = top - height;
    sheet.filled_box(TOTALS_X, bottom, RIGHT - TOTALS_X, height, WASH, LINE);

    let (left, right) = (TOTALS_X + padding, RIGHT - padding);
    let mut line_top = top - padding;
    for (label, amount) in rows {
        let baseline = line_top - row_height + 4.0;
        sheet.text(TOTAL, left, baseline, label);
        sheet.text_right(TOTAL, right, baseline, &f.money(amount));
        line_top -= row_height;
    }
    line_top -= 5.0;
    sheet.rule(left, right, line_top, 1.5, INK);
    let baseline = line_top - total_height + 6.0;
    sheet.text(GRAND_TOTAL, left, baseline, t.total_due);
    sheet.text_right(
        GRAND_TOTAL,
        right,
        baseline,
        &f.money(&detail.summary.total_due),
    );
    bottom
}

/// One line of a group, wrapped and measured before it is placed.
struct Row {
    description: Vec<Vec<u8>>,
    period: Option<String>,
    amount: String,
}

impl Row {
    fn new(line: &StatementLine, i18n: I18n) -> Row {
        let (t, f) = (i18n.t, i18n.f);
        Row {
            description: wrap(LINE_TEXT, &line.description, DESCRIPTION_WIDTH),
            // As on the page: the last day billed, not the exclusive end.
            period: line.period_start.zip(line.period_end).map(|(from, to)| {
                (t.cycle_dates)(
                    &f.short_date(from),
                    &f.short_date(to.pred_opt().unwrap_or(to)),
                )
            }),
            amount: f.money(&line.amount),
        }
    }

    fn height(&self) -> f32 {
        ROW_PADDING * 2.0 + LINE_TEXT.leading * self.description.len() as f32
    }
}

/// A group's heading, its lines and its subtotal. A group that runs off the page carries on
/// under its heading marked "continued"; a heading is never left alone at a page's foot.
fn draw_group(sheet: &mut Sheet, group: &StatementGroup, i18n: I18n) {
    let heading = i18n.t.line_group(group.group);
    let continued = (i18n.t.continued)(heading);
    let rows: Vec<Row> = group.lines.iter().map(|l| Row::new(l, i18n)).collect();

    // A row needs its own room, and the last one the subtotal's too, so that neither a
    // heading nor a subtotal is ever left alone on a page.
    let needs = |i: usize, row: &Row| {
        row.height()
            + if i + 1 == rows.len() {
                SUBTOTAL_HEIGHT
            } else {
                0.0
            }
    };
    let first = rows.first().map_or(SUBTOTAL_HEIGHT, |row| needs(0, row));
    if !sheet.fits(HEADING_HEIGHT + first) {
        sheet.next_page();
    }
    sheet.heading(heading);
    for (i, row) in rows.iter().enumerate() {
        if !sheet.fits(needs(i, row)) {
            sheet.next_page();
            sheet.heading(&continued);
        }
        sheet.row(row);
    }
    if !sheet.fits(SUBTOTAL_HEIGHT) {
        sheet.next_page();
        sheet.heading(&continued);
    }
    let top = sheet.y;
    sheet.rule(LEFT, RIGHT, top, 0.75, INK);
    let baseline = top - SUBTOTAL_HEIGHT + 6.5;
    sheet.text(SUBTOTAL, LEFT, baseline, i18n.t.subtotal);
    sheet.text_right(SUBTOTAL, RIGHT, baseline, &i18n.f.money(&group.subtotal));
    sheet.y = top - SUBTOTAL_HEIGHT - GROUP_GAP;
}

/// The pages drawn so far, and where the body goes on next.
struct Sheet<'a> {
    done: Vec<Content>,
    page: Content,
    /// The top of the free space on the current page.
    y: f32,
    provider_name: &'a str,
    title: &'a str,
}

impl<'a> Sheet<'a> {
    fn new(provider_name: &'a str, title: &'a str) -> Self {
        Sheet {
            done: Vec::new(),
            page: Content::new(),
            y: TOP,
            provider_name,
            title,
        }
    }

    fn fits(&self, height: f32) -> bool {
        self.y - height >= BODY_BOTTOM
    }

    /// Starts a page under a small header that says whose statement it continues.
    fn next_page(&mut self) {
        let full = std::mem::replace(&mut self.page, Content::new());
        self.done.push(full);
        let baseline = TOP - RUNNING_HEADER.size;
        self.text(RUNNING_HEADER, LEFT, baseline, self.provider_name);
        let title_style = Style {
            face: Face::Regular,
            ..RUNNING_HEADER
        };
        self.text_right(title_style, RIGHT, baseline, self.title);
        self.rule(LEFT, RIGHT, TOP - 18.0, 0.75, LINE);
        self.y = TOP - 36.0;
    }

    fn heading(&mut self, text: &str) {
        let top = self.y;
        self.text(HEADING, LEFT, top - 14.0, text);
        self.rule(LEFT, RIGHT, top - HEADING_HEIGHT + 3.0, 1.0, INK);
        self.y = top - HEADING_HEIGHT;
    }

    fn row(&mut self, row: &Row) {
        let top = self.y;
        let first_baseline = top - ROW_PADDING - LINE_TEXT.size;
        for (i, line) in row.description.iter().enumerate() {
            let baseline = first_baseline - LINE_TEXT.leading * i as f32;
            show(&mut self.page, LINE_TEXT, LEFT, baseline, line);
        }
        if let Some(period) = &row.period {
            self.text(PERIOD, PERIOD_X, first_baseline, period);
        }
        self.text_right(LINE_TEXT, RIGHT, first_baseline, &row.amount);
        let bottom = top - row.height();
        self.rule(LEFT, RIGHT, bottom, 0.5, LINE);
        self.y = bottom;
    }

    /// Text wrapped to a width from `top`; returns the top of the line after it.
    fn paragraph(&mut self, style: Style, x: f32, top: f32, width: f32, text: &str) -> f32 {
        let mut top = top;
        for line in wrap(style, text, width) {
            show(&mut self.page, style, x, top - style.size, &line);
            top -= style.leading;
        }
        top
    }

    fn text(&mut self, style: Style, x: f32, baseline: f32, text: &str) {
        show(&mut self.page, style, x, baseline, &helvetica::encode(text));
    }

    fn text_right(&mut self, style: Style, right: f32, baseline: f32, text: &str) {
        let encoded = helvetica::encode(text);
        let x = right - style.face.measure(&encoded, style.size);
        show(&mut self.page, style, x, baseline, &encoded);
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32, colour: Rgb) {
        let [r, g, b] = colour;
        self.page
            .set_stroke_rgb(r, g, b)
            .set_line_width(width)
            .move_to(x1, y)
            .line_to(x2, y)
            .stroke();
    }

    fn filled_box(&mut self, x: f32, y: f32, width: f32, height: f32, fill: Rgb, edge: Rgb) {
        let ([fr, fg, fb], [er, eg, eb]) = (fill, edge);
        self.page
            .set_fill_rgb(fr, fg, fb)
            .set_stroke_rgb(er, eg, eb)
            .set_line_width(0.75)
            .rect(x, y, width, height)
            .fill_nonzero_and_stroke();
    }

    fn image(&mut self, x: f32, y: f32, width: f32, height: f32) {
        self.page
            .save_state()
            .transform([width, 0.0, 0.0, height, x, y])
            .x_object(LOGO_IMAGE)
            .restore_state();
    }

    /// Every page, each with its footer: the statement's title and "Page n of m".
    fn finish(mut self, i18n: I18n) -> Vec<Content> {
        let title = self.title;
        self.done.push(self.page);
        let count = self.done.len();
        for (i, page) in self.done.iter_mut().enumerate() {
            let [r, g, b] = LINE;
            page.set_stroke_rgb(r, g, b)
                .set_line_width(0.5)
                .move_to(LEFT, MARGIN + 14.0)
                .line_to(RIGHT, MARGIN + 14.0)
                .stroke();
            show(page, FOOTER, LEFT, MARGIN, &helvetica::encode(title));
            let numbering = helvetica::encode(&(i18n.t.page_of)(i + 1, count));
            let x = RIGHT - FOOTER.face.measure(&numbering, FOOTER.size);
            show(page, FOOTER, x, MARGIN, &numbering);
        }
        self.done
    }
}

/// Sets WinAnsi-encoded text with its baseline starting at (x, y).
fn show(page: &mut Content, style: Style, x: f32, y: f32, encoded: &[u8]) {
    let font = match style.face {
        Face::Regular => REGULAR_FONT,
        Face::Bold => BOLD_FONT,
    };
    let [r, g, b] = style.colour;
    page.set_fill_rgb(r, g, b);
    page.begin_text()
        .set_font(font, style.size)
        .next_line(x, y)
        .show(Str(encoded))
        .end_text();
}

/// Text broken into lines no wider than `width`, at spaces where it can be; a word longer
/// than a whole line is cut.
fn wrap(style: Style, text: &str, width: f32) -> Vec<Vec<u8>> {
    let measure = |bytes: &[u8]| style.face.measure(bytes, style.size);
    let space = measure(b" ");
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    let encoded = helvetica::encode(text);
    for word in encoded.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let joined = if line.is_empty() {
            measure(word)
        } else {
            measure(&line) + space + measure(word)
        };
        if joined <= width {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while measure(rest) > width {
            let cut = (1..rest.len())
                .rev()
                .find(|&n| measure(&rest[..n]) <= width)
                .unwrap_or(1);
            lines.push(rest[..cut].to_vec());
            rest = &rest[cut..];
        }
        line = rest.to_vec();
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The logo's size on the page: as large as fits the box, proportions kept.
fn fit(logo: &Logo, (max_width, max_height): (f32, f32)) -> (f32, f32) {
    let (width, height) = (logo.width as f32, logo.height as f32);
    let scale = (max_width / width).min(max_height / height);
    (width * scale, height * scale)
}

/// Writes the file: catalog, pages, the two standard fonts, the logo and its mask, and each
/// page's drawing, compressed.
fn assemble(pages: Vec<Content>, provider: &Provider, title: &str) -> Vec<u8> {
    let mut last_id = 0;
    let mut new_id = || {
        last_id += 1;
        Ref::new(last_id)
    };
    let catalog_id = new_id();
    let tree_id = new_id();
    let info_id = new_id();
    let regular_id = new_id();
    let bold_id = new_id();
    let logo = provider.logo.as_ref().map(|logo| {
        let image_id = new_id();
        let mask_id = logo.alpha.as_ref().map(|_| new_id());
        (logo, image_id, mask_id)
    });
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (new_id(), new_id())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|&(page, _)| page))
        .count(page_ids.len() as i32);
    pdf.document_info(info_id)
        .title(TextStr(title))
        .author(TextStr(&provider.name))
        .creator(TextStr("Lastmile"));

    for (face, id) in [(Face::Regular, regular_id), (Face::Bold, bold_id)] {
        pdf.type1_font(id)
            .base_font(Name(face.base_font()))
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(FIRST_CODE)
            .last_char(LAST_CODE)
            .widths(face.widths().iter().map(|&w| f32::from(w)));
    }

    if let Some((logo, image_id, mask_id)) = logo {
        let mut image = pdf.image_xobject(image_id, &logo.samples);
        image
            .width(logo.width as i32)
            .height(logo.height as i32)
            .bits_per_component(8);
        image.filter(Filter::FlateDecode);
        match logo.colours {
            Colours::Gray => image.color_space().device_gray(),
            Colours::Rgb => image.color_space().device_rgb(),
        };
        if let Some(mask_id) = mask_id {
            image.s_mask(mask_id);
        }
        image.finish();
        if let (Some(mask_id), Some(alpha)) = (mask_id, &logo.alpha) {
            let mut mask = pdf.image_xobject(mask_id, alpha);
            mask.width(logo.width as i32)
                .height(logo.height as i32)
                .bits_per_component(8);
            mask.filter(Filter::FlateDecode);
            mask.color_space().device_gray();
        }
    }

    for (i, (content, &(page_id, content_id))) in pages.into_iter().zip(&page_ids).enumerate() {
        let mut page = pdf.page(page_id);
        page.parent(tree_id)
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(REGULAR_FONT, regular_id)
            .pair(BOLD_FONT, bold_id);
        if let (0, Some((_, image_id, _))) = (i, logo) {
            resources.x_objects().pair(LOGO_IMAGE, image_id);
        }
        resources.finish();
        page.finish();
        pdf.stream(content_id, &deflate(&content.finish()))
            .filter(Filter::FlateDecode);
    }
    pdf.finish()
}
