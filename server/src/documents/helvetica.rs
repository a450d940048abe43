//! Helvetica and Helvetica-Bold, two of the fonts every PDF reader has built in, so nothing is
//! embedded. Text is written in WinAnsiEncoding (one byte per character, Latin-1 plus a few
//! typographic marks), and measured with the advance widths Adobe publishes for these fonts
//! (their AFM files), which is what right-aligning amounts needs.

/// One of the two faces the documents use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    Regular,
    Bold,
}

impl Face {
    /// The standard font's PostScript name.
    pub fn base_font(self) -> &'static [u8] {
        match self {
            Face::Regular => b"Helvetica",
            Face::Bold => b"Helvetica-Bold",
        }
    }

    /// Advance widths (thousandths of the font size) of the codes `FIRST_CODE..=LAST_CODE`.
    pub fn widths(self) -> &'static [u16; 224] {
        match self {
            Face::Regular => &REGULAR,
            Face::Bold => &BOLD,
        }
    }

    /// The width of WinAnsi-encoded text at a font size, in points.
    pub fn measure(self, encoded: &[u8], size: f32) -> f32 {
        let thousandths: u32 = encoded
            .iter()
            .map(|&code| u32::from(self.width_of(code)))
            .sum();
        #[expect(
            clippy::float_arithmetic,
            reason = "page geometry is in points; this is layout, not money"
        )]
        let points = thousandths as f32 * size / 1000.0;
        points
    }

    fn width_of(self, code: u8) -> u16 {
        match code {
            FIRST_CODE..=LAST_CODE => self.widths()[usize::from(code - FIRST_CODE)],
            _ => 0,
        }
    }
}

/// The first and last codes that have a width (control characters are never written).
pub const FIRST_CODE: u8 = 32;
pub const LAST_CODE: u8 = 255;

/// Text in WinAnsiEncoding. Spaces that WinAnsi lacks (the narrow no-break space some
/// locales group digits with, thin spaces) become a no-break space so that an amount still
/// reads as one; any other character it cannot show becomes `?`.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

fn win_ansi(c: char) -> u8 {
    let code = u32::from(c);
    match c {
        ' '..='~' => code as u8,
        '\u{a0}'..='\u{ff}' => code as u8,
        '\u{2009}' | '\u{202f}' | '\u{2007}' => 0xa0,
        '\t' | '\n' | '\r' => b' ',
        _ => HIGH_CODES
            .iter()
            .position(|&mapped| mapped == c)
            .map(|i| 0x80 + i as u8)
            .unwrap_or(b'?'),
    }
}

/// What WinAnsiEncoding puts at 0x80–0x9F (`'\0'`: nothing there).
const HIGH_CODES: [char; 32] = [
    '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', //
    '\0', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
];

/// The character a WinAnsi code stands for (for reading documents back in tests).
#[cfg(test)]
pub fn decode(code: u8) -> char {
    match code {
        0x80..=0x9f => HIGH_CODES[usize::from(code - 0x80)],
        _ => char::from(code),
    }
}

// Rows of sixteen codes, from 0x20. Codes WinAnsi leaves empty (0x7F, 0x81, 0x8D, 0x8F,
// 0x90, 0x9D) are never written and have no width.

#[rustfmt::skip]
static REGULAR: [u16; 224] = [
    // 0x20  space ! " # $ % & ' ( ) * + , - . /
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    // 0x30  0-9 : ; < = > ?
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    // 0x40  @ A-O
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    // 0x50  P-Z [ \ ] ^ _
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    // 0x60  ` a-o
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    // 0x70  p-z { | } ~
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    // 0x80  € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    // 0x90  ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    // 0xA0  nbsp ¡ ¢ £ ¤ ¥ ¦ § ¨ © ª « ¬ soft-hyphen ® ¯
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    // 0xB0  ° ± ² ³ ´ µ ¶ · ¸ ¹ º » ¼ ½ ¾ ¿
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    // 0xC0  À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    // 0xD0  Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    // 0xE0  à á â ã ä å æ ç è é ê ë ì í î ï
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    // 0xF0  ð ñ ò ó ô õ ö ÷ ø ù ú û ü ý þ ÿ
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[rustfmt::skip]
static BOLD: [u16; 224] = [
    // 0x20  space ! " # $ % & ' ( ) * + , - . /
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    // 0x30  0-9 : ; < = > ?
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    // 0x40  @ A-O
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    // 0x50  P-Z [ \ ] ^ _
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    // 0x60  ` a-o
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    // 0x70  p-z { | } ~
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    // 0x80  € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    // 0x90  ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    // 0xA0  nbsp ¡ ¢ £ ¤ ¥ ¦ § ¨ © ª « ¬ soft-hyphen ® ¯
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    // 0xB0  ° ± ² ³ ´ µ ¶ · ¸ ¹ º » ¼ ½ ¾ ¿
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    // 0xC0  À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    // 0xD0  Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    // 0xE0  à á â ã ä å æ ç è é ê ë ì í î ï
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    // 0xF0  ð ñ ò ó ô õ ö ÷ ø ù ú û ü ý þ ÿ
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_one_byte_a_character_and_the_rest_becomes_a_question_mark() {
        assert_eq!(encode("Zoë Ñúñez"), b"Zo\xeb \xd1\xfa\xf1ez");
        assert_eq!(encode("€5 – “ok”"), b"\x805 \x96 \x93ok\x94");
        assert_eq!(encode("Łódź 東京"), b"?\xf3d? ??");
        assert_eq!(encode("1\u{202f}234,56\u{a0}€"), b"1\xa0234,56\xa0\x80");
    }

    #[test]
    fn decoding_gives_back_what_was_encoded() {
        let text = "Zoë Ñúñez — 1,234.56 € ‘quoted’ Œuvre";
        let round_trip: String = encode(text).into_iter().map(decode).collect();
        assert_eq!(round_trip, text);
    }

    #[test]
    fn widths_follow_the_published_metrics() {
        // Digits share one width in both faces, which keeps columns of amounts straight.
        assert_eq!(Face::Regular.measure(b"0123456789", 10.0), 55.6);
        assert_eq!(Face::Bold.measure(b"0123456789", 10.0), 55.6);
        // "Wi" is 944 + 222 in Helvetica, 944 + 278 in the bold face.
        assert_eq!(Face::Regular.measure(b"Wi", 1000.0), 1166.0);
        assert_eq!(Face::Bold.measure(b"Wi", 1000.0), 1222.0);
        assert_eq!(Face::Regular.measure(&encode("é"), 1000.0), 556.0);
    }
}
