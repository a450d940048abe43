//! The built browser assets (`/pkg/…`: the WebAssembly, its JavaScript and the CSS),
//! compressed once at start-up with the strongest settings and served from memory.
//! Compressing a 400 KB WebAssembly file with brotli's best setting takes a good part of a
//! second, far too much to spend on every download, while pages (small and different each
//! time) are compressed per response at a fast level by the compression layer.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// File names carry no content hash, so browsers keep assets for an hour, then revalidate
/// with the ETag.
const CACHE: &str = "public, max-age=3600";

struct Asset {
    content_type: &'static str,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
    etag: HeaderValue,
}

/// The assets by file name.
#[derive(Clone, Default)]
pub struct Assets(Arc<HashMap<String, Asset>>);

fn content_type(name: &str) -> Option<&'static str> {
    match name.rsplit('.').next()? {
        "wasm" => Some("application/wasm"),
        "js" => Some("text/javascript; charset=utf-8"),
        "css" => Some("text/css; charset=utf-8"),
        _ => None,
    }
}

impl Assets {
    /// Reads and compresses every asset in `dir` (the site's `pkg` folder).
    pub fn load(dir: &Path) -> anyhow::Result<Assets> {
        let mut files = HashMap::new();
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let Some(content_type) = content_type(&name) else {
                continue;
            };
            let identity =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gzip.write_all(&identity)?;
            let gzip = gzip.finish()?;
            let mut brotli = Vec::new();
            let params = brotli::enc::BrotliEncoderParams {
                quality: 11,
                lgwin: 22,
                ..Default::default()
            };
            brotli::BrotliCompress(&mut identity.as_slice(), &mut brotli, &params)?;
            let etag =
                HeaderValue::from_str(&format!("\"{:x}-{:x}\"", identity.len(), fnv1a(&identity)))?;
            files.insert(
                name,
                Asset {
                    content_type,
                    identity: identity.into(),
                    gzip: gzip.into(),
                    brotli: brotli.into(),
                    etag,
                },
            );
        }
        Ok(Assets(Arc::new(files)))
    }

    /// The compressed sizes, for the start-up log.
    pub fn summary(&self) -> Vec<(String, usize, usize)> {
        let mut list: Vec<_> = self
            .0
            .iter()
            .map(|(n, a)| (n.clone(), a.identity.len(), a.brotli.len()))
            .collect();
        list.sort();
        list
    }
}

/// A short content hash for the ETag (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut pieces = part.trim().split(';');
            pieces.next() == Some(encoding) && !pieces.any(|p| p.trim().replace(' ', "") == "q=0")
        })
}

/// `GET /pkg/{file}`.
pub async fn serve(
    State(assets): State<Assets>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = assets.0.get(&file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if headers.get(header::IF_NONE_MATCH) == Some(&asset.etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, asset.etag.clone()),
                (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
            ],
        )
            .into_response();
    }
    let (body, encoding) = if accepts(&headers, "br") {
        (asset.brotli.clone(), Some("br"))
    } else if accepts(&headers, "gzip") {
        (asset.gzip.clone(), Some("gzip"))
    } else {
        (asset.identity.clone(), None)
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::ETAG, asset.etag.clone());
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    if let Some(encoding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_chosen_from_accept_encoding() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=1.0"),
        );
        assert!(accepts(&h, "br") && accepts(&h, "gzip"));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert!(!accepts(&h, "br") && accepts(&h, "gzip"));
    }

    #[tokio::test]
    async fn assets_are_served_compressed_and_decompress_to_the_original() {
        let dir = std::env::temp_dir().join(format!("lastmile-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let css = "body { color: black; }\n".repeat(200);
        std::fs::write(dir.join("lastmile.css"), &css).unwrap();
        std::fs::write(dir.join("notes.txt"), "not an asset").unwrap();
        let assets = Assets::load(&dir).unwrap();
        assert_eq!(
            assets.summary().len(),
            1,
            "only js, wasm and css are served"
        );

        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        let response = serve(
            State(assets.clone()),
            UrlPath("lastmile.css".into()),
            headers,
        )
        .await;
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(body.len() < css.len() / 10);
        let mut plain = Vec::new();
        brotli::BrotliDecompress(&mut body.as_ref(), &mut plain).unwrap();
        assert_eq!(plain, css.as_bytes());

        let missing = serve(State(assets), UrlPath("other.js".into()), HeaderMap::new()).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
