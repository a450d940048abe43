//! The provider's logo: a PNG read once at start-up and kept ready to embed, so that a bad
//! file stops the server with its path instead of failing on a subscriber's download.

use std::io::Cursor;
use std::path::Path;

use png::{ColorType, Transformations};

/// Larger logos are refused: a letterhead needs a few hundred pixels, and this bounds the
/// memory one decode may take.
const MAX_SIDE: u32 = 4096;

/// Why a logo cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LogoError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a PNG image that can be read: {reason}")]
    NotPng { path: String, reason: String },
    #[error("{path} is {width}×{height} pixels; a logo may be at most {MAX_SIDE} on each side")]
    TooLarge {
        path: String,
        width: u32,
        height: u32,
    },
}

/// The colours a logo's samples are in, as PDF names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colours {
    Gray,
    Rgb,
}

/// A decoded logo, its samples already deflated for a `/FlateDecode` image.
#[derive(Clone)]
pub struct Logo {
    pub width: u32,
    pub height: u32,
    pub colours: Colours,
    /// 8 bits per sample, rows top to bottom, zlib-compressed.
    pub samples: Vec<u8>,
    /// Opacity, 8 bits per pixel, zlib-compressed; `None` when every pixel is opaque.
    pub alpha: Option<Vec<u8>>,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("colours", &self.colours)
            .field("transparent", &self.alpha.is_some())
            .finish_non_exhaustive()
    }
}

impl Logo {
    /// Reads and checks a PNG file (`LASTMILE_PROVIDER_LOGO`).
    pub fn load(path: &Path) -> Result<Logo, LogoError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| LogoError::Read {
            path: shown.clone(),
            source,
        })?;
        Logo::from_png(&bytes, &shown)
    }

    /// Decodes a PNG of any bit depth, palette or transparency into 8-bit gray or RGB
    /// samples and a separate opacity channel, which is how PDF wants them.
    /// `name` says where the bytes came from, for errors.
    pub fn from_png(bytes: &[u8], name: &str) -> Result<Logo, LogoError> {
        let not_png = |e: png::DecodingError| LogoError::NotPng {
            path: name.to_string(),
            reason: e.to_string(),
        };
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        decoder.set_transformations(Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(not_png)?;
        let (width, height) = {
            let info = reader.info();
            (info.width, info.height)
        };
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(LogoError::TooLarge {
                path: name.to_string(),
                width,
                height,
            });
        }
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| LogoError::NotPng {
                path: name.to_string(),
                reason: "the image is too large to decode".into(),
            })?;
        let mut pixels = vec![0; size];
        let frame = reader.next_frame(&mut pixels).map_err(not_png)?;
        pixels.truncate(frame.buffer_size());

        let (colours, channels, has_alpha) = match frame.color_type {
            ColorType::Grayscale => (Colours::Gray, 1, false),
            ColorType::GrayscaleAlpha => (Colours::Gray, 2, true),
            ColorType::Rgb => (Colours::Rgb, 3, false),
            ColorType::Rgba => (Colours::Rgb, 4, true),
            // Palettes are expanded by the transformation above; this is only for safety.
            ColorType::Indexed => {
                return Err(LogoError::NotPng {
                    path: name.to_string(),
                    reason: "palette images could not be expanded".into(),
                })
            }
        };
        let colour_channels = channels - usize::from(has_alpha);
        let mut samples = Vec::with_capacity(pixels.len());
        let mut alpha = Vec::new();
        for pixel in pixels.chunks_exact(channels) {
            samples.extend_from_slice(&pixel[..colour_channels]);
            if has_alpha {
                alpha.push(pixel[colour_channels]);
            }
        }
        let alpha = (has_alpha && alpha.iter().any(|&a| a != u8::MAX)).then(|| deflate(&alpha));
        Ok(Logo {
            width,
            height,
            colours,
            samples: deflate(&samples),
            alpha,
        })
    }
}

/// zlib-compressed bytes, the format of PDF's `/FlateDecode`.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A PNG made in memory: `width`×`height` pixels of one colour and opacity.
    pub fn png(width: u32, height: u32, colour: ColorType, pixel: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut out, width, height);
            encoder.set_color(colour);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().unwrap();
            let data: Vec<u8> = (0..width * height).flat_map(|_| pixel.to_vec()).collect();
            writer.write_image_data(&data).unwrap();
        }
        out
    }

    fn inflate(bytes: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(bytes)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_transparent_rgba_logo_keeps_its_colours_and_its_opacity_apart() {
        let logo = Logo::from_png(&png(3, 2, ColorType::Rgba, &[10, 20, 30, 128]), "t").unwrap();
        assert_eq!(
            (logo.width, logo.height, logo.colours),
            (3, 2, Colours::Rgb)
        );
        assert_eq!(inflate(&logo.samples), [10, 20, 30].repeat(6));
        assert_eq!(inflate(logo.alpha.as_deref().unwrap()), vec![128; 6]);
    }

    #[test]
    fn an_opaque_logo_needs_no_mask() {
        let logo = Logo::from_png(&png(2, 2, ColorType::Rgba, &[1, 2, 3, 255]), "t").unwrap();
        assert!(logo.alpha.is_none());
        let gray = Logo::from_png(&png(4, 1, ColorType::Grayscale, &[77]), "t").unwrap();
        assert_eq!(gray.colours, Colours::Gray);
        assert_eq!(inflate(&gray.samples), vec![77; 4]);
    }

    #[test]
    fn a_file_that_is_not_a_png_is_refused_with_its_name() {
        let error = Logo::from_png(b"GIF89a not a png", "/etc/logo.png").unwrap_err();
        assert!(matches!(error, LogoError::NotPng { .. }));
        assert!(error.to_string().contains("/etc/logo.png"), "{error}");
        let missing = Logo::load(Path::new("/nonexistent/logo.png")).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("cannot read /nonexistent/logo.png"),
            "{missing}"
        );
    }
}
